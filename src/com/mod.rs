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
//! | loading a handler DLL | a host | `LoadLibrary`, `DllGetClassObject`, `IClassFactory::CreateInstance` | [`load_handler`] |
//! | export a Sync Center handler | any [`SyncCenterHandler`](crate::sync_center::SyncCenterHandler) | `ISyncMgrHandler`, `ISyncMgrHandlerInfo`, `ISyncMgrSyncItemContainer`, `IEnumSyncMgrSyncItems`, `ISyncMgrSyncItem`, `ISyncMgrSyncItemInfo` | [`export_sync_center_handler`] |
//! | import a Sync Center handler | [`ComSyncCenterHandler`] (a `SyncCenterHandler`) | any `ISyncMgrHandler`, given an exported `ISyncMgrSessionCreator` | [`ComSyncCenterHandler::new`] |
//! | a server of several classes | a DLL of SyncMgr and Sync Center handlers | the above, `DllRegisterServer`, `DllUnregisterServer` | [`export_com_server!`](crate::export_com_server), [`ServerClass`], [`register_server`] |
//!
//! So a Rust handler can sit in front of Windows as an in-process COM
//! server, and a [`Session`](crate::Session) (or a
//! [`SyncCenterSession`](crate::sync_center::SyncCenterSession)) can drive an
//! existing Windows handler and check it against every rule.
//!
//! # Success codes are never folded
//!
//! The SyncMgr protocol answers with *success* codes: `Progress` returns
//! `S_SYNCMGR_CANCELITEM` / `S_SYNCMGR_CANCELALL`, `Initialize` and
//! `PrepareForSync` return `S_FALSE` to decline, `EnumSyncMgrItems` returns
//! `S_SYNCMGR_MISSINGITEMS`. The `windows` crate's generated callers return
//! `Result<()>` and turn every one of them into `Ok(())` ([the specification](crate::protocol),
//! [§G.9 #58](crate::protocol#fact-58)). This module therefore:
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
//!   poll, [§G.3 #25](crate::protocol#fact-25); a NULL `SYNCMGRLOGERRORINFO` is no details; a NULL
//!   connection name is the default connection);
//! - `cbSize` is checked against this architecture's `sizeof`
//!   ([`StructSize::current`](crate::StructSize::current), §A.5, [§G.9 #60](crate::protocol#fact-60))
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
//! thread. COM interface pointers may not simply follow: COM's apartment
//! rules say which thread may call which pointer. Every import wrapper
//! ([`ComCallback`], [`ComHandler`], [`ComSyncCenterCallback`],
//! [`ComSessionObject`], [`ComWindowsSyncCallback`]) holds its object by
//! those rules, decided once, when it is made, from the object and the
//! apartment of the thread that makes it (`CoGetApartmentType`):
//!
//! | the object | held | a call made on another thread |
//! |---|---|---|
//! | agile: answers `IAgileObject`, or aggregates the free-threaded marshaler | directly | is made directly |
//! | received on an MTA thread (entered, or implicit: a thread outside COM while the MTA exists) | directly; no marshaling is needed or attempted | is made directly from any MTA thread; from an STA thread it is refused with [`ApartmentProblem::MtaObjectOnStaThread`] (`RPC_E_WRONG_THREAD`) |
//! | received on an STA thread, and its interface can be marshaled | its pointer, plus a Global Interface Table registration | goes through the proxy the table gives |
//! | received on an STA thread, and it cannot be marshaled (no proxy/stub registered: Wine has none for the SyncMgr interfaces, Windows may not) | its pointer, on its thread | is carried to the STA thread and run there (a message-only window owned by that thread), while the caller waits |
//! | received in the neutral apartment | a Global Interface Table registration | goes through the table; an object that cannot be marshaled is refused when the wrapper is made |
//!
//! So **an STA that hands out objects must pump messages** whenever it
//! waits (a message loop, `MsgWaitForMultipleObjectsEx`, or
//! [`join_pumping`]), exactly as it must for a COM proxy: a call carried to
//! it runs inside its message loop. Every reference an STA object is given
//! is taken and released on its own thread; a wrapper dropped elsewhere
//! posts its release there. A call that cannot be served is a typed
//! [`ComError::Apartment`] naming the problem ([`ApartmentProblem`]: wrong
//! thread, the STA thread has ended, COM not entered), never a bare code;
//! through the traits it becomes [`HandlerError::Failed`](crate::HandlerError::Failed)
//! with that code and words, or [`CallbackError::Unexpected`](crate::CallbackError::Unexpected)
//! with those words. A thread must be in COM to make a wrapper (in an
//! apartment, or implicitly in the MTA); calls carried to an STA need
//! nothing of the calling thread.
//!
//! The objects this module exports are agile (windows-rs aggregates the
//! free-threaded marshaler and answers `IAgileObject`), which is sound
//! because the Rust objects behind them are `Send + Sync`: a host calls
//! them directly from any thread.
//!
//! # Handlers served to STA hosts
//!
//! SyncMgr and Sync Center call handlers from STA threads, and a host's
//! callback is usually an ordinary object of that STA. A handler that
//! reports from a worker thread therefore has its reports carried to the
//! host's thread, which serves them when it pumps. The deadlock to avoid:
//! the host's thread calls `SetProgressCallback(NULL)` (or the final
//! `Release`) while the worker is inside a report waiting for that very
//! thread; if the handler then *waits* for the worker, or for the worker's
//! call to return, without pumping, neither moves. The pattern
//! (`examples/handler_dll.rs` follows it):
//!
//! 1. `set_progress_callback` revokes the old callback **without waiting**:
//!    [`ProgressReporter::set_callback_nonblocking`](crate::ProgressReporter::set_callback_nonblocking)
//!    (or [`CallbackSlot::set_nonblocking`](crate::CallbackSlot::set_nonblocking)).
//!    The worker's call in flight completes; its next report finds no
//!    callback ([`CallbackError::NoCallback`](crate::CallbackError::NoCallback))
//!    and the worker stops (on a replace, it reports to the new callback).
//!    The exported handler itself revokes its slot the same way.
//! 2. The worker is joined with [`join_pumping`], never with a bare
//!    `join`: on an STA thread it dispatches messages while it waits, so
//!    the worker's calls into this apartment are served and the worker
//!    can end; then it runs the releases the worker posted, so no
//!    reference to the host's callback is left when it returns.
//! 3. `Drop` of the handler (the final `Release`) joins the same way: no
//!    DLL code runs after the last object is gone, so `DllCanUnloadNow`
//!    can answer `S_OK`.
//! 4. A host may release the handler from *inside* its own callback,
//!    while the worker waits for that callback to return. Then nothing
//!    may wait for the worker: [`join_pumping`] sees it (this thread is
//!    serving the worker's call) and answers
//!    [`Joined::WaitingForThisThread`] with the handle; the handler drops
//!    it and lets the worker end on its own, at its next report. The
//!    worker holds a [`ServerLock`] for its whole life, so
//!    `DllCanUnloadNow` answers `S_FALSE` until it is gone.
//!
//! On an MTA thread [`join_pumping`] is a plain `join`, and the pattern
//! costs nothing.
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
//! ([§G.1 #6](crate::protocol#rule-6), #8). [`ComHandler`] does the same for the callback it passes to
//! a COM handler, so a COM handler that leaks it cannot reach the Rust host
//! after release.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

// The modules import one another without a circle, and none imports from
// this file. Lowest first, each importing only from those before it: abi,
// convert, error, raw, cursor, live, apartment, agile, callback, handler,
// sync_center, windows_sync, server.
mod abi;
mod agile;
mod apartment;
mod callback;
mod convert;
mod cursor;
mod error;
mod handler;
mod live;
mod load;
mod raw;
mod register;
mod server;
mod sync_center;
mod windows_sync;

pub use apartment::{Joined, Mta, join_pumping};
pub use callback::{ComCallback, export_callback};
pub use convert::{from_guid, from_hresult, to_guid, to_hresult};
pub use error::{ApartmentProblem, ComError};
pub use handler::{ComHandler, export_handler};
pub use live::{ServerLock, dll_can_unload_now, live_objects};
pub use load::load_handler;
pub use raw::MAX_TEXT_UNITS;
pub use register::{SYNC_MGR_HANDLERS_KEY, register_server, unregister_server};
#[doc(hidden)]
pub use register::{register_server_lazy, unregister_server_lazy};
pub use server::{
    ClassKind, ServerClass, class_factory, dll_get_class_object, dll_get_server_class_object,
    server_class_factory,
};
#[doc(hidden)]
pub use server::{dll_get_class_object_lazy, dll_get_server_class_object_lazy};
pub use sync_center::{
    ComSessionObject, ComSyncCenterCallback, ComSyncCenterHandler, export_sync_center_callback,
    export_sync_center_handler,
};
pub use windows_sync::{ComWindowsSyncCallback, export_windows_sync_callback};

/// The `windows` crate's Windows Sync interface types this module produces
/// and accepts.
pub use windows::Win32::System::WindowsSync::{ISyncCallback, ISyncCallback2};
/// The `windows` crate's interface types this module produces and accepts.
pub use windows::Win32::UI::Shell::{
    ISyncMgrEnumItems, ISyncMgrHandler, ISyncMgrSyncCallback, ISyncMgrSynchronize,
    ISyncMgrSynchronizeCallback,
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
    assert_send_sync::<ComSyncCenterHandler>();
    assert_send_sync::<ComWindowsSyncCallback>();
    assert_send_sync::<ServerLock>();
};
