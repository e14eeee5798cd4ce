//! The count of live objects and server locks behind `DllCanUnloadNow`.
//!
//! The lowest module of `com/`: every module that makes a COM object, wraps
//! a foreign one or owns a window counts it here, and the server answers
//! `DllCanUnloadNow` from it.
//!
//! # Invariants
//!
//! - [`live_objects`] counts every COM object this module made (callbacks,
//!   handlers, enumerators, class factories), every foreign interface
//!   wrapper ([`ComCallback`](super::ComCallback),
//!   [`ComHandler`](super::ComHandler), …) and every apartment window (see
//!   `apartment.rs`) that is alive; each is counted from its creation to its
//!   drop (a window: to its `WM_NCDESTROY`), and every [`ServerLock`].
//! - `LockServer(TRUE)` / `LockServer(FALSE)` raise and lower the lock
//!   count, which never goes below zero.
//!
//! # Deadlock safety
//!
//! Two atomics, no lock.

use windows_core::HRESULT;

use super::convert::to_hresult;
use crate::HResult;
use crate::sync::{AtomicUsize, Ordering};

/// Live objects (see the module invariants).
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// `LockServer` locks.
static LOCKS: AtomicUsize = AtomicUsize::new(0);

/// Counts one object in [`live_objects`] for as long as it lives.
#[derive(Debug)]
pub(crate) struct LiveObject(());

impl LiveObject {
    pub(crate) fn new() -> Self {
        acquire();
        Self(())
    }
}

impl Drop for LiveObject {
    fn drop(&mut self) {
        release();
    }
}

/// Count one more live object, for something whose end is not a Rust drop
/// (a window); balanced by [`release`].
pub(crate) fn acquire() {
    LIVE.fetch_add(1, Ordering::SeqCst);
}

/// Count one live object fewer (balances [`acquire`]).
pub(crate) fn release() {
    LIVE.fetch_sub(1, Ordering::SeqCst);
}

/// `LockServer(lock)`: raise or lower the lock count; an unpaired unlock
/// is ignored.
pub(crate) fn lock_server(lock: bool) {
    if lock {
        LOCKS.fetch_add(1, Ordering::SeqCst);
    } else {
        let _ = LOCKS.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }
}

/// Keeps this DLL loaded: [`dll_can_unload_now`] answers `S_FALSE` while a
/// `ServerLock` lives, as it does while a foreign wrapper or an exported
/// object lives.
///
/// A handler's worker thread holds one from its first line to its last, so
/// that a handler which cannot wait for its worker (see
/// [`Joined::WaitingForThisThread`](super::Joined::WaitingForThisThread))
/// can let it end on its own. The worker still runs the end of its thread
/// in the DLL after the lock is gone; COM's `CoFreeUnusedLibraries` delays
/// unloading a DLL that answers `S_OK` for that reason.
#[derive(Debug)]
pub struct ServerLock(LiveObject);

impl ServerLock {
    /// Count one more lock on the DLL, until the guard is dropped.
    pub fn new() -> Self {
        Self(LiveObject::new())
    }
}

impl Default for ServerLock {
    fn default() -> Self {
        Self::new()
    }
}

/// How many objects of this module are alive in this module's copy of the
/// crate (one per DLL).
pub fn live_objects() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// `DllCanUnloadNow`: `S_OK` when no object of this module is alive and
/// the server is not locked, `S_FALSE` otherwise.
///
/// Threads a handler spawns are not counted: join them before the handler
/// is dropped (on `SetProgressCallback(NULL)` or in `Drop`, with
/// [`join_pumping`](super::join_pumping) on a thread that may be a
/// single-threaded apartment), or the DLL may be unloaded under them.
pub fn dll_can_unload_now() -> HRESULT {
    let idle = LIVE.load(Ordering::SeqCst) == 0 && LOCKS.load(Ordering::SeqCst) == 0;
    to_hresult(if idle {
        HResult::S_OK
    } else {
        HResult::S_FALSE
    })
}
