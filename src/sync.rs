//! The crate's one door to synchronization primitives.
//!
//! Everything that shares state between threads imports from here, so a
//! model checker (loom) can later be swapped in at one place, as tokio does.

pub(crate) use parking_lot::{Condvar, Mutex, RwLock};
pub(crate) use std::sync::Arc;
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
