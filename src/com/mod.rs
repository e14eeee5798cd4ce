//! COM bindings (feature `com`, Windows only): the SyncMgr interfaces as
//! real COM objects, in both directions, without losing a cancel code.
//!
//! | direction | Rust side | COM side | made by |
//! |---|---|---|---|
//! | export a host callback | any [`SyncCallback`](crate::SyncCallback) | `ISyncMgrSynchronizeCallback` | [`export_callback`] |
//! | import a host callback | [`ComCallback`] (a `SyncCallback`) | any `ISyncMgrSynchronizeCallback` | [`ComCallback::new`] |
//! | export a handler | any [`SyncHandler`](crate::SyncHandler) | `ISyncMgrSynchronize` + `ISyncMgrEnumItems` | [`export_handler`] |
//! | import a handler | [`ComHandler`] (a `SyncHandler`) | any `ISyncMgrSynchronize` | [`ComHandler::new`] |
//! | in-process server | a handler DLL | `DllGetClassObject`, `DllCanUnloadNow`, `IClassFactory` | [`export_handler_dll!`](crate::export_handler_dll) |
//!
//! So a Rust handler can sit in front of Windows as an in-process COM
//! server, and a [`Session`](crate::Session) can drive an existing Windows
//! handler and check it against every rule.
//!
//! # Success codes are never folded
//!
//! The SyncMgr protocol answers with *success* codes: `Progress` returns
//! `S_SYNCMGR_CANCELITEM` / `S_SYNCMGR_CANCELALL`, `Initialize` and
//! `PrepareForSync` return `S_FALSE` to decline, `EnumSyncMgrItems` returns
//! `S_SYNCMGR_MISSINGITEMS`. The `windows` crate's generated callers return
//! `Result<()>` and turn every one of them into `Ok(())` (FACTS.md §D.4,
//! §G.9 #58). This module therefore:
//!
//! - **calls** COM objects through the raw vtable slot and reads the raw
//!   `HRESULT`, compared by value ([`ComCallback`], [`ComHandler`]);
//! - **answers** from `#[implement]`ed `ISyncMgrSynchronizeCallback` methods
//!   with `Err(Error::from_hresult(code))` for a success code other than
//!   `S_OK`, which windows-rs passes to the caller unchanged;
//! - declares `ISyncMgrSynchronize` and `ISyncMgrEnumItems` for its exported
//!   handler from the IDL with `#[interface]` (same IIDs and vtables as the
//!   `windows` crate's types, to which they `cast`), because the generated
//!   `_Impl` shims of those two write `[out]` pointers without a NULL check.
//!   Each method returns its `HRESULT` as is.
//!
//! # The edge
//!
//! Every COM method entry is a short shim that checks the raw arguments and
//! calls safe code:
//!
//! - a NULL pointer the IDL requires answers `E_POINTER`; a NULL `[unique]`
//!   pointer is "absent" (a NULL `SYNCMGRPROGRESSITEM` is a pure cancellation
//!   poll, §G.3 #25; a NULL `SYNCMGRLOGERRORINFO` is no details; a NULL
//!   connection name is the default connection);
//! - `cbSize` is checked against this architecture's `sizeof`
//!   ([`StructSize::current`](crate::StructSize::current), §A.5, §G.9 #60)
//!   before anything beyond it is read; a wrong size answers `E_INVALIDARG`;
//! - texts are decoded strictly: invalid UTF-16, a missing terminator within
//!   the limit ([`MAX_TEXT_UNITS`] for free texts, the `WCHAR` array for
//!   names), unknown mask bits or enum values are typed [`ComError`]s and
//!   answer `E_INVALIDARG`; non-zero reserved arguments answer
//!   `E_INVALIDARG`;
//! - a panic in user code (or anywhere below the entry) is caught at the
//!   entry and answered with `E_UNEXPECTED`; the process lives. A panic in a
//!   user `Drop` run by `Release` is caught and dropped, since `Release`
//!   cannot fail. (With `panic = "abort"` nothing can be caught.)
//!
//! # Threads and apartments
//!
//! The traits are `Send + Sync`: a handler may call its callback from any
//! thread, and a [`Session`](crate::Session) may call its handler from any
//! thread. COM interface pointers may not simply follow: an apartment-bound
//! object must be reached through a proxy. So:
//!
//! - a foreign object ([`ComCallback`], [`ComHandler`]) is held directly
//!   when it answers `IAgileObject` (its pointers may be called from any
//!   apartment), and otherwise registered in COM's Global Interface Table
//!   and fetched from it on the calling thread for each call: the object
//!   itself when it aggregates the free-threaded marshaler, a proxy when it
//!   is apartment-bound. (`RoGetAgileReference`, which does the same, is
//!   missing from Wine 8.) The thread that creates a wrapper, and every
//!   thread that calls one, must have entered COM ([`Mta::enter`]). An
//!   object that is neither agile nor marshalable is refused when the
//!   wrapper is made;
//! - the objects this module exports are agile (windows-rs aggregates the
//!   free-threaded marshaler and answers `IAgileObject`), which is sound
//!   because the Rust objects behind them are `Send + Sync`.
//!
//! # Reference counts
//!
//! An exported handler holds **exactly one** reference to the current host
//! callback, whatever the Rust handler does with the `Arc` it is given:
//! `SetProgressCallback` gives the Rust handler a *revocable* view of the
//! COM callback. On a replace, and on `SetProgressCallback(NULL)`, the old
//! view is revoked: its COM reference is released (at once, or when a call
//! that another thread is making on it returns — the exported handler never
//! blocks the host's thread, which may be the one that call is waiting for),
//! and calls through an `Arc` the handler kept get
//! [`CallbackError::NoCallback`](crate::CallbackError::NoCallback)
//! (§G.1 #6, #8). [`ComHandler`] does the same for the callback it passes to
//! a COM handler, so a COM handler that leaks it cannot reach the Rust host
//! after release.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

// The modules, lowest first: each imports only from modules above it in
// this list (and from the crate's core), never from this file.
mod abi;
mod agile;
mod apartment;
mod callback;
mod convert;
mod cursor;
mod error;
mod handler;
mod live;
mod raw;
mod server;
mod sync_center;
mod windows_sync;

pub use apartment::{Mta, join_pumping};
pub use callback::{ComCallback, export_callback};
pub use convert::{from_guid, from_hresult, to_guid, to_hresult};
pub use error::{ApartmentProblem, ComError};
pub use handler::{ComHandler, export_handler};
pub use live::{dll_can_unload_now, live_objects};
pub use raw::MAX_TEXT_UNITS;
#[doc(hidden)]
pub use server::dll_get_class_object_lazy;
pub use server::{class_factory, dll_get_class_object};
pub use sync_center::{ComSessionObject, ComSyncCenterCallback, export_sync_center_callback};
pub use windows_sync::{ComWindowsSyncCallback, export_windows_sync_callback};

/// The `windows` crate's Windows Sync interface types this module produces
/// and accepts.
pub use windows::Win32::System::WindowsSync::{ISyncCallback, ISyncCallback2};
/// The `windows` crate's interface types this module produces and accepts.
pub use windows::Win32::UI::Shell::{
    ISyncMgrEnumItems, ISyncMgrSyncCallback, ISyncMgrSynchronize, ISyncMgrSynchronizeCallback,
};
/// The raw COM types of the exported DLL entry points.
pub use windows_core::{GUID, HRESULT};

/// Public types that cross threads are `Send + Sync`; checked at compile time.
const _: () = {
    const fn assert_send_sync<T: ?Sized + Send + Sync>() {}
    assert_send_sync::<ComCallback>();
    assert_send_sync::<ComHandler>();
    assert_send_sync::<ComError>();
    assert_send_sync::<ComSyncCenterCallback>();
    assert_send_sync::<ComSessionObject>();
    assert_send_sync::<ComWindowsSyncCallback>();
};
