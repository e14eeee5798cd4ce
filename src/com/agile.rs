//! [`Agile`]: a foreign COM interface pointer held by COM's apartment
//! rules, so that any thread may make calls through it.
//!
//! | the object | how it is held | a call on another thread |
//! |---|---|---|
//! | agile: answers `IAgileObject`, or aggregates the free-threaded marshaler | directly | made directly |
//! | received on an MTA thread (entered or implicit) | directly | made directly from any MTA thread; from an STA thread refused ([`ApartmentProblem::MtaObjectOnStaThread`]) |
//! | received on an STA thread, marshalable | the pointer (for its own thread) and a Global Interface Table registration | through a proxy from the table; carried to the STA thread if the table cannot give one |
//! | received on an STA thread, not marshalable | the pointer, for its own thread | carried to the STA thread and run there (`apartment.rs`); [`ApartmentProblem::HomeThreadEnded`] once it has ended |
//! | received in the neutral apartment | a Global Interface Table registration | through the table; refused when it cannot be marshaled |
//!
//! `RoGetAgileReference` (combase, Windows 8.1+), which would do part of
//! this, is a stub in Wine 8 (calling it aborts the process).
//!
//! # Invariants
//!
//! - An STA object's pointer is used, AddRef'ed and released only on its
//!   thread: the last release made elsewhere is posted there, with the
//!   revocation of its table registration.
//! - A table registration is revoked exactly once, on drop, from a thread
//!   that is in COM: the object's STA thread, or the dropping thread for a
//!   neutral object; a thread that has left COM (after `CoUninitialize`)
//!   enters the MTA for the call, since `RevokeInterfaceFromGlobal` outside
//!   COM fails and the table's references would leak.
//!
//! # Deadlock safety
//!
//! No lock. A call on an STA object made on another thread waits until the
//! object's thread pumps messages (through the table's proxy or the home
//! window), as any COM call into an STA does; a release never waits.

use std::ffi::c_void;

use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, CoCreateInstance, IAgileObject, IGlobalInterfaceTable,
};
use windows_core::{GUID, HRESULT, IUnknown, Interface};

use super::abi::IMarshalAbi;

use super::apartment::{self, Apartment, StaHome};
use super::convert::from_hresult;
use super::error::{ApartmentProblem, ComError};
use crate::HResult;
use crate::sync::Arc;

/// `CLSID_StdGlobalInterfaceTable`.
const CLSID_STD_GLOBAL_INTERFACE_TABLE: GUID =
    GUID::from_u128(0x00000323_0000_0000_C000_000000000046);
/// `CLSID_InProcFreeMarshaler`: the unmarshal class of the free-threaded
/// marshaler.
const CLSID_IN_PROC_FREE_MARSHALER: GUID = GUID::from_u128(0x0000033A_0000_0000_C000_000000000046);
/// `MSHCTX_INPROC`.
const MSHCTX_INPROC: u32 = 3;
/// `MSHLFLAGS_NORMAL`.
const MSHLFLAGS_NORMAL: u32 = 0;

/// The object declares that its pointers may be called from any apartment:
/// it answers `IAgileObject`, or it aggregates the free-threaded marshaler
/// (its `IMarshal` unmarshals in process as the free-threaded marshaler).
fn is_agile<T: Interface>(object: &T) -> bool {
    if object.cast::<IAgileObject>().is_ok() {
        return true;
    }
    let Ok(marshal) = object.cast::<IMarshalAbi>() else {
        return false;
    };
    let mut clsid = GUID::zeroed();
    // SAFETY: a live IMarshal, our IID and object, a writable CLSID.
    let code = unsafe {
        (marshal.vtable().GetUnmarshalClass)(
            marshal.as_raw(),
            &T::IID,
            object.as_raw(),
            MSHCTX_INPROC,
            std::ptr::null(),
            MSHLFLAGS_NORMAL,
            &mut clsid,
        )
    };
    code.is_ok() && clsid == CLSID_IN_PROC_FREE_MARSHALER
}

/// A registration in the process's Global Interface Table.
struct Registration {
    table: IGlobalInterfaceTable,
    cookie: u32,
}

impl Registration {
    /// Register `object` (the table takes its own reference).
    ///
    /// # Errors
    ///
    /// The object cannot be marshaled (no proxy/stub is registered for
    /// `T`: `E_NOINTERFACE` or `REGDB_E_IIDNOTREG`), or the table is
    /// unavailable.
    fn new<T: Interface>(method: &'static str, object: &T) -> Result<Self, ComError> {
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
        Ok(Self { table, cookie })
    }

    /// The object, or a proxy to it, for the calling thread's apartment.
    fn get<T: Interface>(&self, method: &'static str) -> Result<T, ComError> {
        let mut raw: *mut c_void = std::ptr::null_mut();
        // SAFETY: a live table, our cookie, our IID and a writable out
        // pointer; the vtable call returns the raw code.
        let code = from_hresult(unsafe {
            (self.table.vtable().GetInterfaceFromGlobal)(
                self.table.as_raw(),
                self.cookie,
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

impl Drop for Registration {
    fn drop(&mut self) {
        // Revoking needs COM on this thread; a thread that has left it
        // enters the MTA for the call, or the table's reference would leak.
        apartment::in_com(|| {
            // SAFETY: our registration, revoked once.
            let _ = unsafe { self.table.RevokeInterfaceFromGlobal(self.cookie) };
        });
    }
}

/// An STA object's pointer, handed to its home thread for the release.
struct HomeBound<T>(T);

/// A foreign interface pointer held so that any thread may call it (see the
/// module docs for each case).
pub(crate) struct Agile<T: Interface> {
    inner: Inner<T>,
}

enum Inner<T> {
    /// An agile object.
    Agile(T),
    /// An object received in the multithreaded apartment.
    Mta(T),
    /// An object received on a single-threaded apartment's thread.
    Sta {
        home: Arc<StaHome>,
        /// `None` only during the drop.
        object: Option<HomeBound<T>>,
        /// When the object could be marshaled.
        table: Option<Registration>,
    },
    /// An object received in the neutral apartment.
    Neutral(Registration),
}

// SAFETY: `Agile` holds agile objects (callable from any thread by their
// own declaration), MTA objects (called only from MTA threads, checked on
// each call), STA objects (called, AddRef'ed and released only on their
// home thread: other threads go through the Global Interface Table, which
// COM documents as callable from every apartment, or through the home
// window, which runs the call on the home thread), and table registrations.
unsafe impl<T: Interface> Send for Agile<T> {}
// SAFETY: as for `Send`: every access through `&self` follows the same
// rules, which allow concurrent callers.
unsafe impl<T: Interface> Sync for Agile<T> {}

impl<T: Interface> Agile<T> {
    /// Hold `object`, received on the calling thread, for use from any
    /// thread.
    ///
    /// # Errors
    ///
    /// The calling thread is in no apartment (and the object is not
    /// agile), or the object is in the neutral apartment and cannot be
    /// marshaled, or its STA thread's home window could not be made.
    pub(crate) fn new(method: &'static str, object: &T) -> Result<Self, ComError> {
        if is_agile(object) {
            return Ok(Self {
                inner: Inner::Agile(object.clone()),
            });
        }
        let inner = match apartment::current(method)? {
            // No marshaling is needed, nor attempted: every MTA thread may
            // call the pointer as it is.
            Apartment::Mta => Inner::Mta(object.clone()),
            Apartment::Sta => Inner::Sta {
                home: StaHome::current(method)?,
                object: Some(HomeBound(object.clone())),
                table: Registration::new(method, object).ok(),
            },
            Apartment::Neutral => {
                Inner::Neutral(Registration::new(method, object).map_err(|_| {
                    ComError::Apartment {
                        method,
                        problem: ApartmentProblem::NeutralUnmarshalable,
                    }
                })?)
            }
        };
        Ok(Self { inner })
    }

    /// Refuse an MTA object's call on a thread outside the MTA.
    fn check_mta(method: &'static str) -> Result<(), ComError> {
        match apartment::current(method)? {
            Apartment::Mta => Ok(()),
            Apartment::Sta | Apartment::Neutral => Err(ComError::Apartment {
                method,
                problem: ApartmentProblem::MtaObjectOnStaThread,
            }),
        }
    }

    /// Run `body` with the object (or a proxy to it) where COM's rules
    /// allow: on this thread, or on the object's STA thread while this one
    /// waits. Everything `body` borrows or returns must be usable on
    /// either thread (interface pointers of the object's apartment stay in
    /// `body`).
    ///
    /// # Errors
    ///
    /// The call cannot be served from this thread ([`ComError::Apartment`])
    /// or the table failed.
    pub(crate) fn with<R>(
        &self,
        method: &'static str,
        body: impl FnOnce(&T) -> R,
    ) -> Result<R, ComError> {
        match &self.inner {
            Inner::Agile(object) => Ok(body(object)),
            Inner::Mta(object) => {
                Self::check_mta(method)?;
                Ok(body(object))
            }
            Inner::Sta {
                home,
                object: Some(HomeBound(object)),
                table,
            } => {
                if home.is_current() {
                    return Ok(body(object));
                }
                if let Some(proxy) = table.as_ref().and_then(|t| t.get::<T>(method).ok()) {
                    return Ok(body(&proxy));
                }
                home.run(method, || body(object))
            }
            Inner::Sta { object: None, .. } => unreachable!("the object is gone only in drop"),
            Inner::Neutral(table) => Ok(body(&table.get::<T>(method)?)),
        }
    }

    /// The object (or a proxy to it) for the calling thread.
    ///
    /// # Errors
    ///
    /// As [`with`](Self::with); and
    /// [`ApartmentProblem::StaObjectElsewhere`] for an object of another
    /// thread's STA that cannot be marshaled (its calls can be carried
    /// there, the pointer cannot).
    pub(crate) fn get(&self, method: &'static str) -> Result<T, ComError> {
        match &self.inner {
            Inner::Sta {
                home,
                object: Some(HomeBound(object)),
                table,
            } if !home.is_current() => match table {
                Some(table) => table.get(method),
                None => {
                    let _ = object;
                    Err(ComError::Apartment {
                        method,
                        problem: ApartmentProblem::StaObjectElsewhere {
                            home: home.thread(),
                        },
                    })
                }
            },
            _ => self.with(method, T::clone),
        }
    }

    /// Call `method` through the object's vtable (`call` reads the slot
    /// itself), and return the raw code: success codes such as `S_FALSE`
    /// or `S_SYNCMGR_CANCELITEM` are never folded into "ok" (the `windows`
    /// crate's generated callers do fold them).
    ///
    /// # Errors
    ///
    /// As [`with`](Self::with).
    pub(crate) fn call_raw(
        &self,
        method: &'static str,
        call: impl FnOnce(&T) -> HRESULT,
    ) -> Result<HResult, ComError> {
        self.with(method, |object| from_hresult(call(object)))
    }

    /// As [`call_raw`](Self::call_raw), for a method whose success carries
    /// nothing: every success code is `Ok`, a failure code the error.
    ///
    /// # Errors
    ///
    /// As [`with`](Self::with), or the failure code the method returned.
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
        if let Inner::Sta {
            home,
            object,
            table,
        } = &mut self.inner
        {
            let table = table.take();
            let raw = object.take().map(|HomeBound(object)| object.into_raw());
            // Revoked and released on the object's own thread: now, or when
            // it next pumps. (Every interface's Release is IUnknown's slot.)
            home.post(move || {
                drop(table);
                if let Some(raw) = raw {
                    // SAFETY: the reference `into_raw` gave up, released
                    // once, on the object's thread.
                    drop(unsafe { IUnknown::from_raw(raw) });
                }
            });
        }
    }
}
