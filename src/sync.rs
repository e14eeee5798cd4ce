//! The crate's one door to synchronization primitives.
//!
//! Everything that shares state between threads imports from here — locks,
//! condition variables, atomics, `Arc`, `OnceLock` and thread-locals — so a
//! model checker (loom) can be swapped in at one place, as tokio does.
//! Nothing else in `src/` names `std::sync::atomic` or `parking_lot`.
//! Two things stay `std`'s on purpose: the `Arc`s in public signatures
//! (users pass their own `std::sync::Arc`), and test-only channels.

pub(crate) use parking_lot::{Condvar, Mutex, MutexGuard, RwLock};
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};
pub(crate) use std::sync::{Arc, OnceLock, Weak};
pub(crate) use std::thread_local;

/// Keeps `T` on a cache line of its own (128 bytes covers the adjacent-line
/// prefetcher on x86), so that one thread's writes do not slow down another
/// thread's reads of a neighbour.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
