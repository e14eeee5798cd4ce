//! The crate's one door to synchronization primitives.
//!
//! Everything that shares state between threads imports from here — locks,
//! condition variables, atomics, `Arc`, `OnceLock`, statics, thread-locals,
//! spin and yield loops — so a model checker (loom) can be swapped in at one
//! place, as tokio does. Nothing else in `src/` names `std::sync::atomic`
//! or `parking_lot`.
//!
//! Under `RUSTFLAGS="--cfg loom"` (`scripts/loom.sh`) the locks, atomics,
//! statics, thread-locals and yields are loom's, behind the parking_lot API
//! the crate uses (`lock()` without a `Result`, `try_lock()` returning an
//! `Option`, `Condvar::wait(&mut guard)`). `OwnerLock` is the `spin`
//! crate's lock outside loom (see its docs) and loom's mutex under it. Two things stay std's: `Arc`
//! (the public API hands out `Arc<dyn SyncCallback>`, and loom's `Arc`
//! cannot be unsized), and the storage of `OnceLock` (loom has none; its
//! publication goes through a loom atomic, so loom sees the ordering). A
//! deadline wait under loom waits without a deadline: models never time out.
//! Besides, the `Arc`s in public signatures are std's (users pass their
//! own), and test-only channels are std's.

#[cfg(not(loom))]
mod imp {
    pub(crate) use parking_lot::{Condvar, Mutex, RwLock};
    pub(crate) use std::sync::atomic::{
        AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
    };
    pub(crate) use std::sync::{Arc, OnceLock, Weak};
    pub(crate) use std::thread_local;

    /// A `static` item: a plain one (its initializer is `const`).
    macro_rules! static_item {
        ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
            $(#[$attr])* static $name: $t = $init;
        };
    }
    pub(crate) use static_item;

    /// One turn of a spin loop: a CPU hint for the first turns, then give
    /// the core to a thread that may have been preempted holding what this
    /// one waits for.
    #[inline]
    pub(crate) fn spin(turn: u32) {
        if turn < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }

    /// Let another thread run (a wait loop's turn).
    #[inline]
    pub(crate) fn yield_now() {
        std::thread::yield_now();
    }

    /// A lock one thread takes on its hot path and other threads only
    /// *try* (never wait for): a spin lock whose unlock is a plain release
    /// store, where `parking_lot`'s is a locked `cmpxchg` (about 8 ns here).
    /// Not for a lock anyone may wait on.
    pub(crate) type OwnerLock<T> = spin::mutex::SpinMutex<T>;
    /// Its guard.
    pub(crate) type OwnerGuard<'a, T> = spin::mutex::SpinMutexGuard<'a, T>;

    /// One turn of a wait that may last a scheduler's round (another
    /// thread must get a core first): a CPU hint for the first turns, then
    /// a short sleep, so that the waiting thread is not demoted by the
    /// scheduler for spinning and runs as soon as it wakes.
    #[inline]
    pub(crate) fn pause(turn: u32) {
        if turn < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::ops::{Deref, DerefMut};

    pub(crate) use loom::sync::atomic::{
        AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
    };
    pub(crate) use loom::thread_local;
    pub(crate) use std::sync::{Arc, Weak};

    /// A `static` item, reset for every loom execution.
    macro_rules! static_item {
        ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
            loom::lazy_static! { $(#[$attr])* static ref $name: $t = $init; }
        };
    }
    pub(crate) use static_item;

    /// Under loom every turn of a spin loop yields, so the model checker
    /// runs the thread being waited for.
    pub(crate) fn spin(_turn: u32) {
        loom::thread::yield_now();
    }

    pub(crate) fn yield_now() {
        loom::thread::yield_now();
    }

    pub(crate) fn pause(_turn: u32) {
        loom::thread::yield_now();
    }

    /// Under loom the owner lock is the loom mutex.
    pub(crate) type OwnerLock<T> = Mutex<T>;
    /// Its guard.
    pub(crate) type OwnerGuard<'a, T> = MutexGuard<'a, T>;

    /// A loom mutex with parking_lot's API.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    /// Its guard; `Condvar::wait` takes it by `&mut`, as parking_lot's does.
    #[derive(Debug)]
    pub(crate) struct MutexGuard<'a, T>(Option<loom::sync::MutexGuard<'a, T>>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard(Some(
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            ))
        }

        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            match self.0.try_lock() {
                Ok(guard) => Some(MutexGuard(Some(guard))),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(MutexGuard(Some(p.into_inner()))),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            self.0.as_ref().expect("a guard holds its lock")
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.0.as_mut().expect("a guard holds its lock")
        }
    }

    /// A loom condition variable with parking_lot's API.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    /// Whether a wait timed out (never, under loom).
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct WaitTimeoutResult;

    impl WaitTimeoutResult {
        pub(crate) fn timed_out(self) -> bool {
            false
        }
    }

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            let inner = guard.0.take().expect("a guard holds its lock");
            guard.0 = Some(
                self.0
                    .wait(inner)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }

        /// Waits without a deadline: a model never times out.
        pub(crate) fn wait_until<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            _deadline: std::time::Instant,
        ) -> WaitTimeoutResult {
            self.wait(guard);
            WaitTimeoutResult
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }

    /// A loom reader-writer lock with parking_lot's API.
    #[derive(Debug, Default)]
    pub(crate) struct RwLock<T>(loom::sync::RwLock<T>);

    impl<T> RwLock<T> {
        pub(crate) fn read(&self) -> loom::sync::RwLockReadGuard<'_, T> {
            self.0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }

        pub(crate) fn write(&self) -> loom::sync::RwLockWriteGuard<'_, T> {
            self.0
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    /// `std::sync::OnceLock`'s storage, published through a loom atomic
    /// and initialized under a loom mutex, so loom sees both the race to
    /// initialize and the ordering of the publication.
    #[derive(Debug)]
    pub(crate) struct OnceLock<T> {
        value: std::sync::OnceLock<T>,
        published: AtomicBool,
        init: loom::sync::Mutex<()>,
    }

    impl<T> Default for OnceLock<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> OnceLock<T> {
        pub(crate) fn new() -> Self {
            Self {
                value: std::sync::OnceLock::new(),
                published: AtomicBool::new(false),
                init: loom::sync::Mutex::new(()),
            }
        }

        pub(crate) fn get(&self) -> Option<&T> {
            if self.published.load(Ordering::Acquire) {
                self.value.get()
            } else {
                None
            }
        }

        pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
            if let Some(value) = self.get() {
                return value;
            }
            let _init = self.init.lock();
            let value = self.value.get_or_init(init);
            self.published.store(true, Ordering::Release);
            value
        }

        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            let _init = self.init.lock();
            self.value.set(value)?;
            self.published.store(true, Ordering::Release);
            Ok(())
        }
    }
}

pub(crate) use imp::*;

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
