//! [`Agile`]: a foreign COM interface pointer that may be used from any
//! thread.
//!
//! # Why not `RoGetAgileReference`
//!
//! `windows_core::AgileReference` calls `RoGetAgileReference` (combase,
//! Windows 8.1+), which Wine 8 does not implement (calling it aborts the
//! process). This module uses the two mechanisms COM has documented for
//! this since Windows 2000, and which `RoGetAgileReference` itself uses:
//!
//! - an object that answers `IAgileObject` declares that its interface
//!   pointers may be called directly from any apartment and thread: it is
//!   held as is (one reference);
//! - any other object is registered in the process's Global Interface Table
//!   (`CLSID_StdGlobalInterfaceTable`), and each use gets the pointer for the
//!   calling thread's apartment from it: the object itself when it
//!   aggregates the free-threaded marshaler, a proxy when it is
//!   apartment-bound. The table holds the reference until the registration
//!   is revoked on drop.

use std::ffi::c_void;

use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, CoCreateInstance, IAgileObject, IGlobalInterfaceTable,
};
use windows_core::{GUID, HRESULT, Interface};

use super::{ComError, from_hresult};
use crate::HResult;

/// `CLSID_StdGlobalInterfaceTable`.
const CLSID_STD_GLOBAL_INTERFACE_TABLE: GUID =
    GUID::from_u128(0x00000323_0000_0000_C000_000000000046);

/// A foreign interface pointer held so that any thread may call it.
pub(crate) struct Agile<T: Interface> {
    inner: Inner<T>,
}

enum Inner<T> {
    /// An agile object (it answers `IAgileObject`).
    Direct(T),
    /// Any other object, registered in the Global Interface Table.
    Table {
        table: IGlobalInterfaceTable,
        cookie: u32,
    },
}

// SAFETY: `Direct` holds only objects that answer `IAgileObject`, whose
// contract is that their interface pointers may be used from any apartment
// and thread. `Table` holds the Global Interface Table, which COM documents
// as free-threaded (callable from every apartment of the process), and a
// plain cookie; the object itself is only ever reached through the table,
// on the calling thread.
unsafe impl<T: Interface> Send for Agile<T> {}
// SAFETY: as for `Send`: every access goes through `&self` methods that are
// safe to call concurrently (AddRef, or the free-threaded table).
unsafe impl<T: Interface> Sync for Agile<T> {}

impl<T: Interface> Agile<T> {
    /// Hold `object` for use from any thread.
    ///
    /// # Errors
    ///
    /// The calling thread has not entered COM, or the object is not agile
    /// and cannot be marshaled.
    pub(crate) fn new(method: &'static str, object: &T) -> Result<Self, ComError> {
        if object.cast::<IAgileObject>().is_ok() {
            return Ok(Self {
                inner: Inner::Direct(object.clone()),
            });
        }
        // SAFETY: a plain activation of a system class; the result is an
        // owned interface.
        let table: IGlobalInterfaceTable = unsafe {
            CoCreateInstance(
                &CLSID_STD_GLOBAL_INTERFACE_TABLE,
                None,
                CLSCTX_INPROC_SERVER,
            )
        }
        .map_err(|e| ComError::from_windows(method, &e))?;
        let mut cookie = 0u32;
        // SAFETY: a live table, a live object of interface `T` with its own
        // IID, and a writable cookie; the table takes its own reference.
        let code = from_hresult(unsafe {
            (table.vtable().RegisterInterfaceInGlobal)(
                table.as_raw(),
                object.as_raw(),
                &T::IID,
                &mut cookie,
            )
        });
        if !code.is_s_ok() {
            return Err(ComError::from_code(method, code));
        }
        Ok(Self {
            inner: Inner::Table { table, cookie },
        })
    }

    /// The object (or a proxy to it) for the calling thread.
    ///
    /// # Errors
    ///
    /// The Global Interface Table could not give the object to this thread
    /// (for example because the thread has not entered COM).
    pub(crate) fn get(&self, method: &'static str) -> Result<T, ComError> {
        match &self.inner {
            Inner::Direct(object) => Ok(object.clone()),
            Inner::Table { table, cookie } => {
                let mut raw: *mut c_void = std::ptr::null_mut();
                // SAFETY: a live table, our cookie, our IID and a writable
                // out pointer; the vtable call returns the raw code.
                let code = from_hresult(unsafe {
                    (table.vtable().GetInterfaceFromGlobal)(
                        table.as_raw(),
                        *cookie,
                        &T::IID,
                        &mut raw,
                    )
                });
                if code.is_failure() || raw.is_null() {
                    return Err(ComError::from_code(method, code));
                }
                // SAFETY: the table returned an owned reference to a `T`.
                Ok(unsafe { T::from_raw(raw) })
            }
        }
    }

    /// Call `method` on the object for this thread, through its vtable
    /// (`call` reads the slot itself), and return the raw code: success
    /// codes such as `S_FALSE` or `S_SYNCMGR_CANCELITEM` are never folded
    /// into "ok" (FACTS.md §D.4).
    ///
    /// # Errors
    ///
    /// As [`Agile::get`].
    pub(crate) fn call_raw(
        &self,
        method: &'static str,
        call: impl FnOnce(&T) -> HRESULT,
    ) -> Result<HResult, ComError> {
        let object = self.get(method)?;
        Ok(from_hresult(call(&object)))
    }

    /// As [`call_raw`](Self::call_raw), for a method whose success carries
    /// nothing: every success code is `Ok`, a failure code the error.
    ///
    /// # Errors
    ///
    /// As [`Agile::get`], or the failure code the method returned.
    pub(crate) fn call_checked<E: From<ComError>>(
        &self,
        method: &'static str,
        call: impl FnOnce(&T) -> HRESULT,
    ) -> Result<(), E> {
        let code = self.call_raw(method, call)?;
        if code.is_failure() {
            return Err(ComError::from_code(method, code).into());
        }
        Ok(())
    }
}

impl<T: Interface> Drop for Agile<T> {
    fn drop(&mut self) {
        if let Inner::Table { table, cookie } = &self.inner {
            // SAFETY: our registration, revoked once; the table releases its
            // reference. A failure (a thread outside COM) cannot be reported
            // from a drop.
            let _ = unsafe { table.RevokeInterfaceFromGlobal(*cookie) };
        }
    }
}
