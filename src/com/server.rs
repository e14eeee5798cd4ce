//! The in-process COM server: a class factory for a handler and the
//! `DllGetClassObject` entry point (`DllCanUnloadNow` is
//! [`dll_can_unload_now`](super::dll_can_unload_now), from the live count).

use std::ffi::c_void;

use windows::Win32::Foundation::{CLASS_E_CLASSNOTAVAILABLE, CLASS_E_NOAGGREGATION};
use windows::Win32::System::Com::{IClassFactory, IClassFactory_Impl};
use windows_core::{BOOL, GUID, HRESULT, IUnknown, Interface, Ref, implement};

use super::convert::{answer, from_hresult, to_hresult};
use super::error::{ComError, entry};
use super::handler::HandlerObject;
use super::live::{self, LiveObject};
use super::raw;
use crate::sync::Arc;
use crate::{Guid, HResult, SyncHandler};

/// A class factory whose `CreateInstance` calls `make` and exports the
/// handler with [`export_handler`](super::export_handler).
///
/// `CreateInstance` answers `E_POINTER` for a NULL `riid` or `ppv`,
/// `CLASS_E_NOAGGREGATION` for an outer object, `E_NOINTERFACE` for an
/// interface the handler does not have, and `E_UNEXPECTED` when `make`
/// panics.
pub fn class_factory(make: fn() -> Arc<dyn SyncHandler>) -> IClassFactory {
    HandlerFactory {
        make,
        _live: LiveObject::new(),
    }
    .into()
}

#[implement(IClassFactory)]
struct HandlerFactory {
    make: fn() -> Arc<dyn SyncHandler>,
    _live: LiveObject,
}

impl IClassFactory_Impl for HandlerFactory_Impl {
    fn CreateInstance(
        &self,
        punkouter: Ref<IUnknown>,
        riid: *const GUID,
        ppvobject: *mut *mut c_void,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "CreateInstance";
        answer(entry(METHOD, || {
            if ppvobject.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppvObject",
                });
            }
            // SAFETY: a non-NULL `[out]` pointer is writable.
            unsafe { ppvobject.write(std::ptr::null_mut()) };
            if !punkouter.is_null() {
                return Ok(from_hresult(CLASS_E_NOAGGREGATION));
            }
            if riid.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "riid",
                });
            }
            let object: IUnknown = HandlerObject::new((self.make)()).into();
            // SAFETY: `riid` is readable and `ppvobject` writable (checked);
            // QueryInterface writes an owned reference or NULL.
            Ok(from_hresult(unsafe { object.query(riid, ppvobject) }))
        }))
    }

    fn LockServer(&self, flock: BOOL) -> windows_core::Result<()> {
        answer(entry("LockServer", || {
            live::lock_server(flock.as_bool());
            Ok(HResult::S_OK)
        }))
    }
}

/// `DllGetClassObject` for a DLL that serves one handler class: the class
/// factory ([`class_factory`]) for `clsid`.
///
/// Answers `E_POINTER` for a NULL argument, `CLASS_E_CLASSNOTAVAILABLE` for
/// another CLSID, `E_NOINTERFACE` for an interface other than `IUnknown`
/// and `IClassFactory`. Use it through
/// [`export_handler_dll!`](crate::export_handler_dll).
///
/// # Safety
///
/// Each pointer is NULL or valid as `DllGetClassObject`'s contract says:
/// `rclsid` and `riid` readable `GUID`s, `ppv` a writable pointer.
pub unsafe fn dll_get_class_object(
    clsid: Guid,
    make: fn() -> Arc<dyn SyncHandler>,
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut c_void,
) -> HRESULT {
    // SAFETY: forwarded from the caller.
    unsafe { dll_get_class_object_lazy(|| clsid, || make, rclsid, riid, ppv) }
}

/// [`dll_get_class_object`] with its class and factory function computed
/// inside the panic guard: what [`export_handler_dll!`](crate::export_handler_dll)
/// expands to, so that a panicking argument expression answers
/// `E_UNEXPECTED` instead of aborting the process.
///
/// # Safety
///
/// As [`dll_get_class_object`].
#[doc(hidden)]
pub unsafe fn dll_get_class_object_lazy(
    clsid: impl FnOnce() -> Guid,
    make: impl FnOnce() -> fn() -> Arc<dyn SyncHandler>,
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut c_void,
) -> HRESULT {
    const METHOD: &str = "DllGetClassObject";
    to_hresult(entry(METHOD, || {
        if ppv.is_null() {
            return Err(ComError::NullPointer {
                method: METHOD,
                argument: "ppv",
            });
        }
        // SAFETY: a non-NULL `[out]` pointer is writable.
        unsafe { ppv.write(std::ptr::null_mut()) };
        // SAFETY: NULL (refused) or readable, per the contract.
        let wanted = unsafe { raw::read_guid(METHOD, "rclsid", rclsid) }?;
        if riid.is_null() {
            return Err(ComError::NullPointer {
                method: METHOD,
                argument: "riid",
            });
        }
        if wanted != clsid() {
            return Ok(from_hresult(CLASS_E_CLASSNOTAVAILABLE));
        }
        let factory = class_factory(make());
        // SAFETY: `riid` is readable and `ppv` writable (checked above).
        Ok(from_hresult(unsafe { factory.query(riid, ppv) }))
    }))
}

/// Export `DllGetClassObject` and `DllCanUnloadNow` from a `cdylib` that
/// serves one SyncMgr handler class.
///
/// ```ignore
/// use std::sync::Arc;
/// use syncmgr::{Guid, SyncHandler};
///
/// const CLSID: Guid = Guid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
///
/// fn make() -> Arc<dyn SyncHandler> {
///     Arc::new(MyHandler::default())
/// }
///
/// syncmgr::export_handler_dll!(clsid: CLSID, handler: make);
/// ```
///
/// Build the crate with `crate-type = ["cdylib"]`; the entry points are
/// [`dll_get_class_object`] and [`dll_can_unload_now`](super::dll_can_unload_now);
/// the two arguments are evaluated on each `DllGetClassObject` call, inside
/// its panic guard (a panic answers `E_UNEXPECTED`). The expansion is
/// `unsafe` code (`#[unsafe(no_mangle)]`), so the calling crate must not
/// forbid it. Registration (the `InprocServer32` key with
/// `ThreadingModel` `Both`, and `ISyncMgrRegister`) is the installer's job.
#[macro_export]
macro_rules! export_handler_dll {
    (clsid: $clsid:expr, handler: $make:expr $(,)?) => {
        /// `DllGetClassObject`: the class factory of this DLL's handler.
        ///
        /// # Safety
        ///
        /// COM's contract: each pointer is NULL or valid.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllGetClassObject(
            rclsid: *const $crate::com::GUID,
            riid: *const $crate::com::GUID,
            ppv: *mut *mut ::core::ffi::c_void,
        ) -> $crate::com::HRESULT {
            // SAFETY: forwarded from COM's caller; the helper checks for NULL.
            // The arguments are evaluated inside its panic guard.
            unsafe {
                $crate::com::dll_get_class_object_lazy(
                    || $clsid,
                    || -> fn() -> ::std::sync::Arc<dyn $crate::SyncHandler> { $make },
                    rclsid,
                    riid,
                    ppv,
                )
            }
        }

        /// `DllCanUnloadNow`: `S_OK` when no object of this DLL is alive.
        #[unsafe(no_mangle)]
        pub extern "system" fn DllCanUnloadNow() -> $crate::com::HRESULT {
            $crate::com::dll_can_unload_now()
        }
    };
}
