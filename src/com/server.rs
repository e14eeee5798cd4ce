//! The in-process COM server: a class factory for a handler and the
//! `DllGetClassObject` entry point (`DllCanUnloadNow` is
//! [`dll_can_unload_now`](super::dll_can_unload_now), from the live count),
//! for a DLL that serves one SyncMgr handler ([`export_handler_dll!`](crate::export_handler_dll))
//! or several classes of either generation ([`ServerClass`],
//! [`export_com_server!`](crate::export_com_server)).

use std::ffi::c_void;

use windows::Win32::Foundation::{CLASS_E_CLASSNOTAVAILABLE, CLASS_E_NOAGGREGATION};
use windows::Win32::System::Com::{IClassFactory, IClassFactory_Impl};
use windows_core::{BOOL, GUID, HRESULT, IUnknown, Interface, Ref, implement};

use super::convert::{answer, from_hresult, to_hresult};
use super::error::{ComError, entry};
use super::handler::HandlerObject;
use super::live::{self, LiveObject};
use super::raw;
use super::sync_center::SyncCenterHandlerObject;
use crate::sync::Arc;
use crate::sync_center::SyncCenterHandler;
use crate::{Guid, HResult, SyncHandler};

/// What a class of a COM server makes: a handler of one generation.
#[derive(Clone, Copy, Debug)]
pub enum ClassKind {
    /// A SyncMgr handler, served as `ISyncMgrSynchronize`
    /// ([`export_handler`](super::export_handler)).
    SyncMgr(fn() -> Arc<dyn SyncHandler>),
    /// A Sync Center handler, served as `ISyncMgrHandler`
    /// ([`export_sync_center_handler`](super::export_sync_center_handler)),
    /// whose handler id is the CLSID in braces.
    SyncCenter(fn() -> Arc<dyn SyncCenterHandler>),
}

/// One class a COM server DLL serves: its CLSID, a display name (the
/// default value of its `CLSID` key) and what it makes.
#[derive(Clone, Copy, Debug)]
pub struct ServerClass {
    /// The class id.
    pub clsid: Guid,
    /// The display name written when the class is registered.
    pub name: &'static str,
    /// The handler it makes.
    pub kind: ClassKind,
}

impl ServerClass {
    /// A SyncMgr handler class.
    pub const fn sync_mgr(
        clsid: Guid,
        name: &'static str,
        make: fn() -> Arc<dyn SyncHandler>,
    ) -> Self {
        Self {
            clsid,
            name,
            kind: ClassKind::SyncMgr(make),
        }
    }

    /// A Sync Center handler class.
    pub const fn sync_center(
        clsid: Guid,
        name: &'static str,
        make: fn() -> Arc<dyn SyncCenterHandler>,
    ) -> Self {
        Self {
            clsid,
            name,
            kind: ClassKind::SyncCenter(make),
        }
    }

    /// A new instance, as an `IUnknown`.
    fn instance(&self) -> IUnknown {
        match self.kind {
            ClassKind::SyncMgr(make) => HandlerObject::new(make()).into(),
            ClassKind::SyncCenter(make) => SyncCenterHandlerObject::new(self.clsid, make()).into(),
        }
    }
}

/// A class factory whose `CreateInstance` calls `make` and exports the
/// handler with [`export_handler`](super::export_handler).
///
/// `CreateInstance` answers `E_POINTER` for a NULL `riid` or `ppv`,
/// `CLASS_E_NOAGGREGATION` for an outer object, `E_NOINTERFACE` for an
/// interface the handler does not have, and `E_UNEXPECTED` when `make`
/// panics.
pub fn class_factory(make: fn() -> Arc<dyn SyncHandler>) -> IClassFactory {
    server_class_factory(ServerClass::sync_mgr(Guid::from_u128(0), "", make))
}

/// A class factory whose `CreateInstance` makes an instance of `class`
/// (answers as [`class_factory`]'s).
pub fn server_class_factory(class: ServerClass) -> IClassFactory {
    HandlerFactory {
        class,
        _live: LiveObject::new(),
    }
    .into()
}

#[implement(IClassFactory)]
struct HandlerFactory {
    class: ServerClass,
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
            let object = self.class.instance();
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
    // SAFETY: forwarded from the caller.
    unsafe {
        serve(
            |wanted| {
                let clsid = clsid();
                (wanted == clsid).then(|| ServerClass::sync_mgr(clsid, "", make()))
            },
            rclsid,
            riid,
            ppv,
        )
    }
}

/// `DllGetClassObject` for a DLL that serves `classes`: the class factory
/// ([`server_class_factory`]) of the one whose CLSID is asked for.
///
/// Answers as [`dll_get_class_object`]. Use it through
/// [`export_com_server!`](crate::export_com_server).
///
/// # Safety
///
/// As [`dll_get_class_object`].
pub unsafe fn dll_get_server_class_object(
    classes: &[ServerClass],
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut c_void,
) -> HRESULT {
    // SAFETY: forwarded from the caller.
    unsafe { dll_get_server_class_object_lazy(|| classes, rclsid, riid, ppv) }
}

/// [`dll_get_server_class_object`] with its classes computed inside the
/// panic guard (what [`export_com_server!`](crate::export_com_server)
/// expands to).
///
/// # Safety
///
/// As [`dll_get_class_object`].
#[doc(hidden)]
pub unsafe fn dll_get_server_class_object_lazy<'a>(
    classes: impl FnOnce() -> &'a [ServerClass],
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut c_void,
) -> HRESULT {
    // SAFETY: forwarded from the caller.
    unsafe {
        serve(
            |wanted| classes().iter().find(|c| c.clsid == wanted).copied(),
            rclsid,
            riid,
            ppv,
        )
    }
}

/// The body of every `DllGetClassObject`: `find` names the class asked
/// for, if this DLL serves it.
///
/// # Safety
///
/// As [`dll_get_class_object`].
unsafe fn serve(
    find: impl FnOnce(Guid) -> Option<ServerClass>,
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
        let Some(class) = find(wanted) else {
            return Ok(from_hresult(CLASS_E_CLASSNOTAVAILABLE));
        };
        let factory = server_class_factory(class);
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

/// Export the entry points of a `cdylib` that serves several handler
/// classes, of either generation: `DllGetClassObject`, `DllCanUnloadNow`,
/// `DllRegisterServer` and `DllUnregisterServer`.
///
/// ```ignore
/// use syncmgr::com::ServerClass;
///
/// const CLASSES: &[ServerClass] = &[
///     ServerClass::sync_center(SYNC_CENTER_CLSID, "My Sync Center handler", make_center),
///     ServerClass::sync_mgr(SYNC_MGR_CLSID, "My SyncMgr handler", make_mgr),
/// ];
///
/// syncmgr::export_com_server!(classes: CLASSES);
/// ```
///
/// `DllGetClassObject` is [`dll_get_server_class_object`]; the classes are
/// evaluated on each call, inside its panic guard. `DllRegisterServer` and
/// `DllUnregisterServer` are [`register_server`](super::register_server)
/// and [`unregister_server`](super::unregister_server) for this DLL (the
/// keys they write, and where the locations come from, are in their
/// docs). The expansion is `unsafe` code (`#[unsafe(no_mangle)]`), so the
/// calling crate must not forbid it.
#[macro_export]
macro_rules! export_com_server {
    (classes: $classes:expr $(,)?) => {
        /// `DllGetClassObject`: the class factory of one of this DLL's classes.
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
            // The classes are evaluated inside its panic guard.
            unsafe {
                $crate::com::dll_get_server_class_object_lazy(
                    || -> &[$crate::com::ServerClass] { $classes },
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

        /// `DllRegisterServer`: write this DLL's classes to the registry.
        #[unsafe(no_mangle)]
        pub extern "system" fn DllRegisterServer() -> $crate::com::HRESULT {
            $crate::com::register_server_lazy(
                || -> &[$crate::com::ServerClass] { $classes },
                DllRegisterServer as *const ::core::ffi::c_void,
            )
        }

        /// `DllUnregisterServer`: remove this DLL's classes from the registry.
        #[unsafe(no_mangle)]
        pub extern "system" fn DllUnregisterServer() -> $crate::com::HRESULT {
            $crate::com::unregister_server_lazy(|| -> &[$crate::com::ServerClass] { $classes })
        }
    };
}
