//! [`CallbackSlot`]: where a handler keeps its progress callback — the
//! register / replace / release-on-null lifecycle of `SetProgressCallback`
//! ([the specification](crate::protocol#syncmgr), [§G.1 #5–#8](crate::protocol#fact-5)).

use std::cell::RefCell;
use std::fmt;

use crate::sync::{
    Arc, AtomicBool, AtomicU64, AtomicUsize, CachePadded, Condvar, Mutex, Ordering, OwnerGuard,
    OwnerLock,
};
// The only name the core takes from a generation: the default type of a
// slot is SyncMgr's callback, so that `CallbackSlot` alone keeps meaning
// what it has always meant.
use crate::{CallbackError, SyncCallback};

/// Whether a [`CallbackSlot`] holds a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotState {
    /// No callback: never registered, or released.
    Empty,
    /// Holding exactly one callback.
    Holding,
}

/// What can happen to a [`CallbackSlot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotEvent {
    /// `SetProgressCallback(cb)` with a callback.
    SetSome,
    /// `SetProgressCallback(NULL)`.
    SetNone,
    /// A call through the slot to the callback.
    Call,
}

/// What a [`SlotEvent`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotTransition {
    /// Empty → holding: the callback is held once.
    Registered,
    /// Holding → holding: the old callback was released once and the new
    /// one is held once.
    Replaced,
    /// Holding → empty: the callback was released once.
    Released,
    /// Empty → empty: `SetNone` with nothing held.
    Unchanged,
    /// A call reached the current callback.
    Dispatched,
}

impl SlotState {
    /// Every state.
    pub const ALL: [Self; 2] = [Self::Empty, Self::Holding];

    /// The transition function of the state table in the state table above.
    ///
    /// # Errors
    ///
    /// [`CallbackError::NoCallback`] for [`SlotEvent::Call`] on an empty slot.
    pub const fn on(self, event: SlotEvent) -> Result<(Self, SlotTransition), CallbackError> {
        Ok(match (self, event) {
            (Self::Empty, SlotEvent::SetSome) => (Self::Holding, SlotTransition::Registered),
            (Self::Empty, SlotEvent::SetNone) => (Self::Empty, SlotTransition::Unchanged),
            (Self::Empty, SlotEvent::Call) => return Err(CallbackError::NoCallback),
            (Self::Holding, SlotEvent::SetSome) => (Self::Holding, SlotTransition::Replaced),
            (Self::Holding, SlotEvent::SetNone) => (Self::Empty, SlotTransition::Released),
            (Self::Holding, SlotEvent::Call) => (Self::Holding, SlotTransition::Dispatched),
        })
    }

    /// The transition of a set event, which never fails.
    const fn on_set(self, some: bool) -> SlotTransition {
        match (self, some) {
            (Self::Empty, true) => SlotTransition::Registered,
            (Self::Empty, false) => SlotTransition::Unchanged,
            (Self::Holding, true) => SlotTransition::Replaced,
            (Self::Holding, false) => SlotTransition::Released,
        }
    }
}

crate::sync::static_item! {
    /// Source of registration ids; 0 stands for "no registration".
    static NEXT_REGISTRATION: AtomicU64 = AtomicU64::new(1);
}

/// One registered callback and the calls currently running on it through
/// the shared path (see "How a call finds its callback" on [`CallbackSlot`]).
struct Registration<C: ?Sized> {
    id: u64,
    in_flight: AtomicUsize,
    retired: AtomicBool,
    drained_lock: Mutex<()>,
    drained: Condvar,
    callback: Arc<C>,
}

impl<C: ?Sized> Registration<C> {
    fn new(callback: Arc<C>) -> Self {
        Self {
            id: NEXT_REGISTRATION.fetch_add(1, Ordering::Relaxed),
            in_flight: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
            drained_lock: Mutex::new(()),
            drained: Condvar::new(),
            callback,
        }
    }

    fn address(&self) -> usize {
        std::ptr::from_ref(self).cast::<()>() as usize
    }

    /// Wait until no other thread is calling this (retired) registration
    /// through the shared path.
    fn wait_for_shared_calls(&self) {
        let own_calls = calls_on_this_thread(self.address());
        let mut guard = self.drained_lock.lock();
        while self.in_flight.load(Ordering::SeqCst) > own_calls {
            self.drained.wait(&mut guard);
        }
    }
}

#[cfg(not(loom))]
crate::sync::thread_local! {
    /// Registrations this thread is calling into through the shared path,
    /// innermost last.
    static ACTIVE_CALLS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

// Loom's thread-locals have no `const` initializer.
#[cfg(loom)]
crate::sync::thread_local! {
    static ACTIVE_CALLS: RefCell<Vec<usize>> = RefCell::new(Vec::new());
}

fn calls_on_this_thread(address: usize) -> usize {
    ACTIVE_CALLS
        .try_with(|calls| calls.borrow().iter().filter(|&&a| a == address).count())
        .unwrap_or(0)
}

/// Counts one shared-path call on a registration for as long as it lives,
/// also when the callback panics.
struct InFlightCall<'a, C: ?Sized> {
    registration: &'a Registration<C>,
}

impl<'a, C: ?Sized> InFlightCall<'a, C> {
    /// The caller has already incremented `in_flight` under the lock.
    fn enter(registration: &'a Registration<C>) -> Self {
        let address = registration.address();
        // On a thread that is being torn down the record is skipped; such a
        // thread cannot also be inside `set`.
        let _ = ACTIVE_CALLS.try_with(|calls| calls.borrow_mut().push(address));
        Self { registration }
    }
}

impl<C: ?Sized> Drop for InFlightCall<'_, C> {
    fn drop(&mut self) {
        let address = self.registration.address();
        let _ = ACTIVE_CALLS.try_with(|calls| {
            let mut calls = calls.borrow_mut();
            if let Some(index) = calls.iter().rposition(|&a| a == address) {
                calls.remove(index);
            }
        });
        self.registration.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.registration.retired.load(Ordering::SeqCst) {
            let _guard = self.registration.drained_lock.lock();
            self.registration.drained.notify_all();
        }
    }
}

/// How many threads can have a stripe of their own in every slot (64: a
/// reporting pool of 40 threads all get one, at 8 KB per slot); later
/// threads (while that many live) take the shared path. Under loom two, so
/// that a model's third thread takes the shared path.
const STRIPES: usize = if cfg!(loom) { 2 } else { 64 };
// `clear_stripes` keeps its busy stripes in a `u64`.
const _: () = assert!(STRIPES <= 64);

crate::sync::static_item! {
    /// Stripe indices of threads that have exited, for reuse.
    static FREE_STRIPES: Mutex<Vec<usize>> = Mutex::new(Vec::new());
}
crate::sync::static_item! {
    /// The next never-used stripe index.
    static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);
}

/// This thread's stripe index, claimed on first use and given back when the
/// thread exits.
struct ThreadStripe(Option<usize>);

impl ThreadStripe {
    fn claim() -> Self {
        let reused = FREE_STRIPES.lock().pop();
        Self(reused.or_else(|| {
            NEXT_STRIPE
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < STRIPES).then_some(n + 1)
                })
                .ok()
        }))
    }
}

// Under loom a thread's stripe is not given back: the main thread's
// thread-locals are dropped after the execution's statics, and every
// execution starts with fresh statics anyway.
#[cfg(not(loom))]
impl Drop for ThreadStripe {
    fn drop(&mut self) {
        // From here on this thread takes the shared path: calls made by
        // later thread-local destructors must not use a stripe that another
        // thread may already have claimed.
        let _ = STRIPE_INDEX.try_with(|index| index.set(NO_STRIPE));
        if let Some(index) = self.0 {
            FREE_STRIPES.lock().push(index);
        }
    }
}

crate::sync::thread_local! {
    /// Owns this thread's stripe index and gives it back when the thread
    /// exits.
    static THREAD_STRIPE: ThreadStripe = ThreadStripe::claim();
}

/// [`STRIPE_INDEX`] before the thread's first call.
#[cfg(not(loom))]
const UNCLAIMED: usize = usize::MAX;
/// [`STRIPE_INDEX`] of a thread without a stripe.
#[cfg(not(loom))]
const NO_STRIPE: usize = usize::MAX - 1;

#[cfg(not(loom))]
crate::sync::thread_local! {
    /// This thread's stripe index, [`UNCLAIMED`] or [`NO_STRIPE`]: a copy
    /// of [`THREAD_STRIPE`]'s in a `const` thread-local without a
    /// destructor, so the hot path reads it with one load.
    static STRIPE_INDEX: std::cell::Cell<usize> = const { std::cell::Cell::new(UNCLAIMED) };
}

/// This thread's stripe index, claimed on its first call.
#[cfg(not(loom))]
#[inline]
fn thread_stripe() -> Option<usize> {
    let index = STRIPE_INDEX.with(std::cell::Cell::get);
    if index < STRIPES {
        Some(index)
    } else if index == UNCLAIMED {
        claim_thread_stripe()
    } else {
        None
    }
}

#[cfg(not(loom))]
#[cold]
fn claim_thread_stripe() -> Option<usize> {
    let index = THREAD_STRIPE.try_with(|stripe| stripe.0).ok().flatten();
    STRIPE_INDEX.with(|cell| cell.set(index.unwrap_or(NO_STRIPE)));
    index
}

#[cfg(loom)]
fn thread_stripe() -> Option<usize> {
    THREAD_STRIPE.try_with(|stripe| stripe.0).ok().flatten()
}

/// One thread's cached hold on the current registration.
///
/// Only the owning thread calls through a stripe, so its lock is
/// uncontended except while a `set` clears it.
struct Stripe<C: ?Sized> {
    /// Id of the registration in `cache` (0: none). Stored under `cache`'s
    /// lock, and when a registration is put in, also under the slot's
    /// `current` lock, so a `set` that swapped `current` sees every stripe
    /// that can still call the old registration.
    cached: AtomicU64,
    /// The owning thread is inside a call through this stripe.
    in_call: AtomicBool,
    cache: OwnerLock<Option<Arc<Registration<C>>>>,
}

impl<C: ?Sized> Stripe<C> {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            cached: AtomicU64::new(0),
            in_call: AtomicBool::new(false),
            cache: OwnerLock::new(None),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            cached: AtomicU64::new(0),
            in_call: AtomicBool::new(false),
            cache: OwnerLock::new(None),
        }
    }

    /// Take the cached registration out (under its lock).
    fn take(&self, cache: &mut Option<Arc<Registration<C>>>) -> Option<Arc<Registration<C>>> {
        self.cached.store(0, Ordering::SeqCst);
        cache.take()
    }
}

/// Marks the owning thread as calling through a stripe, also when the
/// callback panics.
struct InCall<'a>(&'a AtomicBool);

impl<'a> InCall<'a> {
    fn enter(flag: &'a AtomicBool) -> Self {
        flag.store(true, Ordering::Relaxed);
        Self(flag)
    }
}

impl Drop for InCall<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Drop a registration taken out of a stripe while the stripe's lock is
/// still held, unless that would drop the callback itself: then hand it back
/// to be dropped after the lock is released.
///
/// A decrement under the lock matters: a `set` waiting for this stripe holds
/// the registration too, so once it gets the lock the stripe's reference is
/// already gone and its reference count check is exact.
fn release_under_lock<C: ?Sized>(taken: Option<Arc<Registration<C>>>) -> Option<Registration<C>> {
    taken.and_then(Arc::into_inner)
}

/// The handler's hold on its progress callback (`SetProgressCallback`).
///
/// A slot is itself a [`SyncCallback`]: each method forwards to the current
/// callback, or fails with [`CallbackError::NoCallback`] when there is none.
/// The state table and what happens to calls in flight are below.
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::{CallbackError, CallbackSlot, CancelDecision, ItemId, SyncMgrProgress,
///              SlotTransition, SyncCallback};
///
/// struct Host;
/// impl SyncCallback for Host {
///    fn progress(&self, _: ItemId, _: Option<&SyncMgrProgress>)
///        -> Result<CancelDecision, CallbackError> {
///        Ok(CancelDecision::Continue)
///    }
/// }
///
/// let slot: CallbackSlot = CallbackSlot::new();
/// let host: Arc<dyn SyncCallback> = Arc::new(Host);
/// assert_eq!(slot.progress(ItemId::NULL, None), Err(CallbackError::NoCallback));
/// assert_eq!(slot.set(Some(host.clone())), SlotTransition::Registered);
/// assert_eq!(Arc::strong_count(&host), 2);
/// assert_eq!(slot.progress(ItemId::NULL, None), Ok(CancelDecision::Continue));
/// assert_eq!(slot.set(None), SlotTransition::Released);
/// assert_eq!(Arc::strong_count(&host), 1);
/// ```
///
/// # State table
///
/// The lifecycle is the pure function [`SlotState::on`]; every `(state,
/// event)` pair:
///
/// | state | event | next state | what happens ([`SlotTransition`]) |
/// |---|---|---|---|
/// | `Empty` | `SetSome` | `Holding` | `Registered`: the new callback is held once |
/// | `Empty` | `SetNone` | `Empty` | `Unchanged`: nothing was held, nothing is released |
/// | `Empty` | `Call` | — | error [`CallbackError::NoCallback`] (`E_UNEXPECTED` at the COM edge) |
/// | `Holding` | `SetSome` | `Holding` | `Replaced`: the new one is held once, the old one released once |
/// | `Holding` | `SetNone` | `Empty` | `Released`: the old one is released once, nothing is held |
/// | `Holding` | `Call` | `Holding` | `Dispatched`: the call runs on the current callback |
///
/// "Released" means the slot drops its `Arc` — exactly once, and always
/// after its internal lock has been released.
///
/// # Calls in flight during a replace or release
///
/// A call picks its callback when it enters the slot. Calls that entered
/// before a replace or release run to completion on the *old* callback;
/// calls that enter afterwards see the new callback (or get `NoCallback`).
/// [`CallbackSlot::set`] then **waits** until every call that other threads
/// are making on the old callback has returned, and drops the slot's
/// reference. So once `set` returns, the old callback is never entered
/// again through this slot, and the slot holds no reference to it
/// ([§G.1 #6](crate::protocol#rule-6), #8 become observable: `Arc::strong_count` is back to its
/// baseline).
///
/// A `set` waits for the calls that began before it and for nothing else:
/// not for calls that begin on the new callback while it waits, however
/// many threads report and however fast. Its wait is as long as the
/// longest of those earlier calls, which includes the time a thread
/// preempted inside one of them waits for a core (see BENCHMARKS.md for
/// what that costs with 8 and 40 reporting threads on 2 cores).
///
/// Calls on the *calling* thread are never waited for: a callback that
/// replaces or releases the slot from inside its own `progress` returns
/// normally, and the old callback stays alive until that outer call
/// returns. [`CallbackSlot::set_nonblocking`] never waits at all.
///
/// # How a call finds its callback
///
/// A progress report is the hot path of the protocol, so a call neither
/// takes a shared lock nor touches a reference count that other threads
/// touch too. Each thread (the first 64 live ones) has a *stripe* of its own
/// in every slot: a cached `Arc` of the current registration behind a lock
/// that only that thread takes, except while a `set` clears it. A call locks
/// its stripe, checks the cache against the slot's registration id (one
/// atomic load), and calls with the stripe locked. A `set` never queues for
/// a stripe's lock (the owner would win it back call after call): it takes
/// the old registration out of idle stripes with `try_lock`, and polls a
/// busy one until its owner's call returns, when the owner drops the old
/// registration itself. A call on a thread without a stripe, or a
/// nested call (a callback reporting through the same slot), takes the
/// shared path instead: it clones the registration under the slot's lock
/// and counts itself in the registration's in-flight counter.
///
/// # Invariants
///
/// - The slot holds at most one callback: the current registration's. Its
///   stripes and shared-path calls hold `Arc`s of *registrations*, never
///   extra `Arc`s of the callback, so `Arc::strong_count` of a callback is
///   its baseline plus one while it is registered, whatever the number of
///   threads.
/// - A registration is put into a stripe only under the slot's lock, with
///   the stripe's `cached` id stored before that lock is released; a `set`
///   swaps the registration under the same lock and then reads every
///   stripe's `cached` id. So a stripe either picks up the new registration
///   or is seen (and waited for) by the `set`.
/// - A shared-path call's in-flight count only grows while its registration
///   is current (it is incremented under the slot's lock, and a replace
///   swaps under that lock), so once swapped out it can only shrink.
/// - When `set` returns, no stripe and no call of another thread holds the
///   old registration; the calling thread's own calls may (they are never
///   waited for), and release it when the outermost of them returns.
///
/// # Deadlock safety
///
/// - No lock that another call or a `set` of the callback's own making could
///   need is held while a callback runs: the slot's lock is released before
///   the call, and a stripe's lock is only ever taken by its owning thread
///   (whose nested calls take the shared path, and whose nested `set`s skip
///   it) and tried, never waited for, by a `set`. A callback
///   may call any slot method (register, replace, release, progress)
///   re-entrantly.
/// - A `set` waits only for calls that are running on the registration it
///   replaced, so two callbacks that replace the slot from inside calls on
///   two threads do not wait for each other.
/// - The replaced callback is dropped after every lock is released, so its
///   `Drop` may use the slot too.
/// - `set` waits only for calls on *other* threads. If the thread calling
///   `set` is itself what such a call is waiting for (for example a host
///   whose `progress` blocks until the same thread pumps messages), use
///   [`CallbackSlot::set_nonblocking`].
pub struct CallbackSlot<C: ?Sized = dyn SyncCallback> {
    /// The current registration.
    current: Mutex<Option<Arc<Registration<C>>>>,
    /// The current registration's id (0 when empty); stored under `current`.
    epoch: AtomicU64,
    stripes: [CachePadded<Stripe<C>>; STRIPES],
}

/// Whether `set` waits for the calls running on the registration it
/// replaced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    Yes,
    No,
}

impl<C: ?Sized> CallbackSlot<C> {
    /// An empty slot.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            current: Mutex::new(None),
            epoch: AtomicU64::new(0),
            stripes: [const { CachePadded(Stripe::new()) }; STRIPES],
        }
    }

    /// An empty slot (not `const` under loom, whose primitives are not).
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            current: Mutex::new(None),
            epoch: AtomicU64::new(0),
            stripes: std::array::from_fn(|_| CachePadded(Stripe::new())),
        }
    }

    /// Whether a callback is held.
    pub fn state(&self) -> SlotState {
        if self.current.lock().is_some() {
            SlotState::Holding
        } else {
            SlotState::Empty
        }
    }

    /// The callback held, if any: a new reference to it, taken under the
    /// slot's lock. Holding it does not keep the slot from replacing or
    /// releasing it.
    pub fn get(&self) -> Option<Arc<C>> {
        self.current
            .lock()
            .as_ref()
            .map(|r| Arc::clone(&r.callback))
    }

    /// True when `callback` is the one held.
    pub fn holds(&self, callback: &Arc<C>) -> bool {
        self.current
            .lock()
            .as_ref()
            .is_some_and(|r| Arc::ptr_eq(&r.callback, callback))
    }

    /// `SetProgressCallback`: register (`Some` into an empty slot), replace
    /// (`Some` over a held one) or release (`None`).
    ///
    /// The old callback is released exactly once, after the internal lock is
    /// released and after every call other threads are making on it has
    /// returned (see the state table above). Calls from this thread — a callback
    /// that sets the slot from inside its own call — are not waited for.
    pub fn set(&self, callback: Option<Arc<C>>) -> SlotTransition {
        self.set_with(callback, Wait::Yes)
    }

    /// Like [`set`](Self::set), but returns without waiting for calls that
    /// are running on the old callback: those finish on it, and it is dropped
    /// when the last of them returns.
    pub fn set_nonblocking(&self, callback: Option<Arc<C>>) -> SlotTransition {
        self.set_with(callback, Wait::No)
    }

    /// `SetProgressCallback(NULL)`: the same as `set(None)`.
    pub fn release(&self) -> SlotTransition {
        self.set(None)
    }

    fn set_with(&self, callback: Option<Arc<C>>, wait: Wait) -> SlotTransition {
        let some = callback.is_some();
        let new = callback.map(|cb| Arc::new(Registration::new(cb)));
        let old = {
            let mut current = self.current.lock();
            self.epoch
                .store(new.as_ref().map_or(0, |r| r.id), Ordering::SeqCst);
            std::mem::replace(&mut *current, new)
        };
        let before = if old.is_some() {
            SlotState::Holding
        } else {
            SlotState::Empty
        };
        if let Some(old) = old {
            old.retired.store(true, Ordering::SeqCst);
            let own_holds = self.clear_stripes(&old, wait);
            if wait == Wait::Yes {
                old.wait_for_shared_calls();
                // A shared-path call that just counted itself out may not
                // have dropped its `Arc` yet: wait for that last step too,
                // so the callback's count is exact when `set` returns.
                let own = 1 + own_holds + calls_on_this_thread(old.address());
                while Arc::strong_count(&old) > own {
                    crate::sync::yield_now();
                }
            }
            // Dropped here, after every lock: the callback's `Drop` may use
            // the slot.
            drop(old);
        }
        before.on_set(some)
    }

    /// Clear every stripe that caches a registration other than the current
    /// one; returns 1 if this thread's own stripe still holds `old` because
    /// this thread is calling through it (0 otherwise).
    ///
    /// A stripe whose owner is busy is never waited for by taking its lock
    /// (the owner would win it back call after call): with [`Wait::Yes`],
    /// a busy stripe that holds `old` is polled until its owner's call
    /// returns, and the owner drops `old` itself at the end of that call
    /// (or at the start of its next, which then runs on the new
    /// registration). So the wait is bounded by the calls that began before
    /// the swap, never by the report rate. A busy stripe that holds an
    /// older registration is left to its owner.
    fn clear_stripes(&self, old: &Arc<Registration<C>>, wait: Wait) -> usize {
        let own = thread_stripe();
        let used = NEXT_STRIPE.load(Ordering::SeqCst).min(STRIPES);
        let mut own_holds = 0;
        // Stripes still holding `old` whose owner is in a call (STRIPES ≤ 64).
        let mut busy: u64 = 0;
        for (index, stripe) in self.stripes[..used].iter().enumerate() {
            let cached = stripe.cached.load(Ordering::SeqCst);
            if cached == 0 || cached == self.epoch.load(Ordering::SeqCst) {
                continue;
            }
            if own == Some(index) && stripe.in_call.load(Ordering::Relaxed) {
                own_holds = usize::from(cached == old.id);
                continue;
            }
            if !self.try_clear(stripe) && cached == old.id && wait == Wait::Yes {
                busy |= 1 << index;
            }
        }
        let mut turn = 0;
        while busy != 0 {
            for index in 0..used {
                if busy & (1 << index) == 0 {
                    continue;
                }
                let stripe = &self.stripes[index];
                if stripe.cached.load(Ordering::SeqCst) != old.id || self.try_clear(stripe) {
                    busy &= !(1 << index);
                }
            }
            crate::sync::pause(turn);
            turn = turn.saturating_add(1);
        }
        own_holds
    }

    /// Take a stale registration out of an idle stripe; false when the
    /// stripe is busy (its lock is held).
    fn try_clear(&self, stripe: &Stripe<C>) -> bool {
        let Some(mut guard) = stripe.cache.try_lock() else {
            return false;
        };
        let stale = guard
            .as_ref()
            .is_some_and(|r| r.id != self.epoch.load(Ordering::SeqCst));
        let taken = if stale { stripe.take(&mut guard) } else { None };
        drop(guard);
        drop(taken);
        true
    }

    /// Run `call` on the current callback, with no shared lock held.
    ///
    /// # Errors
    ///
    /// [`CallbackError::NoCallback`] when the slot is empty.
    pub fn call<R>(&self, call: impl FnOnce(&C) -> R) -> Result<R, CallbackError> {
        self.try_call(|callback| Ok(call(callback)))
    }

    /// [`call`](Self::call) for a callback method that answers a
    /// `Result<_, CallbackError>` itself: its answer is passed through as
    /// it is, with no nested `Result` to build and flatten.
    ///
    /// # Errors
    ///
    /// [`CallbackError::NoCallback`] when the slot is empty; otherwise
    /// whatever `call` answers.
    // Always inlined: it is most of the hot path of every report, and a
    // call of its own costs a tenth of it in register saves.
    #[inline(always)]
    pub fn try_call<T>(
        &self,
        call: impl FnOnce(&C) -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        if let Some(stripe) = thread_stripe().and_then(|index| self.stripes.get(index))
            && let Some(guard) = stripe.cache.try_lock()
        {
            // The hot path: this thread's stripe holds the current
            // registration.
            if let Some(registration) = guard.as_ref()
                && stripe.cached.load(Ordering::Relaxed) == self.epoch.load(Ordering::Acquire)
            {
                let answer = {
                    let _in_call = InCall::enter(&stripe.in_call);
                    call(&registration.callback)
                };
                if stripe.cached.load(Ordering::Relaxed) != self.epoch.load(Ordering::Acquire) {
                    Self::drop_stale(stripe, guard);
                }
                return answer;
            }
            return self.call_refreshed(stripe, guard, call);
        }
        self.call_shared(call)
    }

    /// Drop the stripe's registration, which a `set` replaced while this
    /// thread was calling it; the stripe's lock is released last.
    #[cold]
    #[inline(never)]
    fn drop_stale(stripe: &Stripe<C>, mut guard: OwnerGuard<'_, Option<Arc<Registration<C>>>>) {
        let stale = release_under_lock(stripe.take(&mut guard));
        drop(guard);
        drop(stale);
    }

    /// A call through this thread's stripe after refreshing it from the
    /// slot's current registration (the first call, or the first after a
    /// `set`).
    #[cold]
    #[inline(never)]
    fn call_refreshed<T>(
        &self,
        stripe: &Stripe<C>,
        mut guard: OwnerGuard<'_, Option<Arc<Registration<C>>>>,
        call: impl FnOnce(&C) -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        let dropped = release_under_lock(stripe.take(&mut guard));
        {
            let current = self.current.lock();
            if let Some(registration) = current.as_ref() {
                *guard = Some(Arc::clone(registration));
                stripe.cached.store(registration.id, Ordering::SeqCst);
            }
        }
        let answer = match guard.as_ref() {
            Some(registration) => {
                let _in_call = InCall::enter(&stripe.in_call);
                call(&registration.callback)
            }
            None => Err(CallbackError::NoCallback),
        };
        if stripe.cached.load(Ordering::Relaxed) != self.epoch.load(Ordering::Acquire) {
            Self::drop_stale(stripe, guard);
        } else {
            drop(guard);
        }
        drop(dropped);
        answer
    }

    /// The shared path: clone the registration under the slot's lock and
    /// count the call in it.
    #[cold]
    #[inline(never)]
    fn call_shared<T>(
        &self,
        call: impl FnOnce(&C) -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        let registration = {
            let current = self.current.lock();
            let registration = current.as_ref().ok_or(CallbackError::NoCallback)?;
            registration.in_flight.fetch_add(1, Ordering::SeqCst);
            Arc::clone(registration)
        };
        let _in_flight = InFlightCall::enter(&registration);
        call(&registration.callback)
    }
}

impl<C: ?Sized> Default for CallbackSlot<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ?Sized> fmt::Debug for CallbackSlot<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackSlot")
            .field("state", &self.state())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CancelDecision, ItemId, SyncMgrProgress};

    #[test]
    fn set_transitions_agree_with_the_table() {
        for state in SlotState::ALL {
            for (event, some) in [(SlotEvent::SetSome, true), (SlotEvent::SetNone, false)] {
                let (_, transition) = state.on(event).unwrap();
                assert_eq!(state.on_set(some), transition, "{state:?} {event:?}");
            }
        }
    }

    /// A trivial callback that counts its calls and answers `answer`.
    struct Counter {
        calls: AtomicUsize,
        answer: CancelDecision,
    }

    impl Counter {
        fn new(answer: CancelDecision) -> Arc<Self> {
            Arc::new(Self {
                calls: AtomicUsize::new(0),
                answer,
            })
        }
    }

    impl SyncCallback for Counter {
        fn progress(
            &self,
            _: ItemId,
            _: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(self.answer)
        }
    }

    #[test]
    fn idle_threads_keep_no_reference_after_a_release() {
        // More threads than stripes, so both paths run; every thread stays
        // alive (parked) across the replace and the release, so a cache a
        // thread kept would show in the reference count.
        let threads = STRIPES + 8;
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        let (first, second) = (
            Counter::new(CancelDecision::Continue),
            Counter::new(CancelDecision::CancelAll),
        );
        slot.set(Some(first.clone() as Arc<dyn SyncCallback>));
        let called = Arc::new(std::sync::Barrier::new(threads + 1));
        let proceed = Arc::new(std::sync::Barrier::new(threads + 1));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (slot, called, proceed) = (slot.clone(), called.clone(), proceed.clone());
                std::thread::spawn(move || {
                    let first = slot.progress(ItemId::NULL, None);
                    called.wait();
                    proceed.wait();
                    let second = slot.progress(ItemId::NULL, None);
                    called.wait();
                    proceed.wait();
                    (first, second, slot.progress(ItemId::NULL, None))
                })
            })
            .collect();
        called.wait();
        assert_eq!(first.calls.load(Ordering::SeqCst), threads);
        assert_eq!(
            slot.set(Some(second.clone() as Arc<dyn SyncCallback>)),
            SlotTransition::Replaced
        );
        assert_eq!(
            Arc::strong_count(&first),
            1,
            "a parked thread still holds the replaced callback"
        );
        proceed.wait();
        called.wait();
        assert_eq!(slot.release(), SlotTransition::Released);
        assert_eq!(
            Arc::strong_count(&second),
            1,
            "a parked thread still holds the released callback"
        );
        proceed.wait();
        for worker in workers {
            let answers = worker.join().unwrap();
            assert_eq!(
                answers,
                (
                    Ok(CancelDecision::Continue),
                    Ok(CancelDecision::CancelAll),
                    Err(CallbackError::NoCallback)
                )
            );
        }
        assert_eq!(second.calls.load(Ordering::SeqCst), threads);
    }

    /// Blocks each call in `progress` until told to return, announcing it
    /// first.
    struct Gate {
        answer: CancelDecision,
        entered: Mutex<std::sync::mpsc::Sender<()>>,
        proceed: Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl Gate {
        /// A gate, the receiver of its announcements and the sender that
        /// lets one call return.
        fn new(
            answer: CancelDecision,
        ) -> (
            Arc<Self>,
            std::sync::mpsc::Receiver<()>,
            std::sync::mpsc::Sender<()>,
        ) {
            let (entered_tx, entered) = std::sync::mpsc::channel();
            let (proceed, proceed_rx) = std::sync::mpsc::channel();
            let gate = Arc::new(Self {
                answer,
                entered: Mutex::new(entered_tx),
                proceed: Mutex::new(proceed_rx),
            });
            (gate, entered, proceed)
        }
    }

    impl SyncCallback for Gate {
        fn progress(
            &self,
            _: ItemId,
            _: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            self.entered.lock().send(()).unwrap();
            self.proceed.lock().recv().unwrap();
            Ok(self.answer)
        }
    }

    /// A `set` waits for the calls that began before it, never for one
    /// that began after: here the thread whose call it waits for starts its
    /// next call (on the new callback, which blocks) the moment the first
    /// returns. A `set` that queued for that thread's stripe lock would be
    /// overtaken by the next call and wait for it too.
    #[test]
    fn a_replace_does_not_wait_for_calls_that_began_after_it() {
        use std::time::Duration;

        let (old, old_entered, old_proceed) = Gate::new(CancelDecision::Continue);
        let (new, new_entered, new_proceed) = Gate::new(CancelDecision::CancelItem);
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        slot.set(Some(old as Arc<dyn SyncCallback>));
        let reporter = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                let first = slot.progress(ItemId::NULL, None);
                let second = slot.progress(ItemId::NULL, None);
                (first, second)
            })
        };
        old_entered.recv().unwrap();
        let (done_tx, done) = std::sync::mpsc::channel();
        let replacer = {
            let (slot, new) = (slot.clone(), new.clone());
            std::thread::spawn(move || {
                slot.set(Some(new as Arc<dyn SyncCallback>));
                done_tx.send(()).unwrap();
            })
        };
        while !slot.holds(&(new.clone() as Arc<dyn SyncCallback>)) {
            std::thread::yield_now();
        }
        // The first call returns; the reporter's second call begins on the
        // new callback and blocks there.
        old_proceed.send(()).unwrap();
        new_entered.recv().unwrap();
        // A watchdog, not a timing: the replace has nothing left to wait for.
        assert_eq!(
            done.recv_timeout(Duration::from_secs(10)),
            Ok(()),
            "the replace waited for a call that began after it"
        );
        new_proceed.send(()).unwrap();
        let (first, second) = reporter.join().unwrap();
        assert_eq!(first, Ok(CancelDecision::Continue));
        assert_eq!(second, Ok(CancelDecision::CancelItem));
        replacer.join().unwrap();
    }

    #[test]
    fn a_report_is_not_blocked_by_a_replace_that_waits_for_another_call() {
        use std::sync::mpsc;
        use std::time::Duration;

        let (gate, entered, proceed) = Gate::new(CancelDecision::Continue);
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        slot.set(Some(gate as Arc<dyn SyncCallback>));
        let under_way = {
            let slot = slot.clone();
            std::thread::spawn(move || slot.progress(ItemId::NULL, None))
        };
        entered.recv().unwrap();
        let next = Counter::new(CancelDecision::CancelItem);
        let replacer = {
            let (slot, next) = (slot.clone(), next.clone());
            std::thread::spawn(move || slot.set(Some(next as Arc<dyn SyncCallback>)))
        };
        while !slot.holds(&(next.clone() as Arc<dyn SyncCallback>)) {
            std::thread::yield_now();
        }
        // The replace is waiting for the call under way; reports from here
        // and from a fresh thread go to the new callback meanwhile.
        let (tx, rx) = mpsc::channel();
        for _ in 0..2 {
            let (slot, tx) = (slot.clone(), tx.clone());
            std::thread::spawn(move || tx.send(slot.progress(ItemId::NULL, None)).unwrap());
        }
        for _ in 0..2 {
            let answer = rx.recv_timeout(Duration::from_secs(10));
            assert_eq!(answer, Ok(Ok(CancelDecision::CancelItem)));
        }
        assert_eq!(
            slot.progress(ItemId::NULL, None),
            Ok(CancelDecision::CancelItem)
        );
        assert!(
            !replacer.is_finished(),
            "the replace waits for the call under way"
        );
        proceed.send(()).unwrap();
        assert_eq!(under_way.join().unwrap(), Ok(CancelDecision::Continue));
        assert_eq!(replacer.join().unwrap(), SlotTransition::Replaced);
        assert_eq!(next.calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_nested_call_takes_the_shared_path_and_a_nested_release_returns() {
        struct Nested {
            slot: Arc<CallbackSlot>,
            depth: AtomicUsize,
        }
        impl SyncCallback for Nested {
            fn progress(
                &self,
                _: ItemId,
                _: Option<&SyncMgrProgress>,
            ) -> Result<CancelDecision, CallbackError> {
                if self.depth.fetch_add(1, Ordering::SeqCst) == 0 {
                    // The outer call holds this thread's stripe.
                    assert_eq!(
                        self.slot.progress(ItemId::NULL, None),
                        Ok(CancelDecision::Continue)
                    );
                    assert_eq!(self.slot.release(), SlotTransition::Released);
                }
                Ok(CancelDecision::Continue)
            }
        }
        let slot = Arc::new(CallbackSlot::new());
        let nested = Arc::new(Nested {
            slot: slot.clone(),
            depth: AtomicUsize::new(0),
        });
        slot.set(Some(nested.clone() as Arc<dyn SyncCallback>));
        assert_eq!(
            slot.progress(ItemId::NULL, None),
            Ok(CancelDecision::Continue)
        );
        assert_eq!(nested.depth.load(Ordering::SeqCst), 2);
        // Released from inside; the outer call's return dropped the last
        // reference (the slot's, through this thread's stripe).
        assert_eq!(Arc::strong_count(&nested), 1);
        assert_eq!(
            slot.progress(ItemId::NULL, None),
            Err(CallbackError::NoCallback)
        );
    }

    #[test]
    fn active_call_records_are_removed_on_panic() {
        let slot: CallbackSlot<()> = CallbackSlot::new();
        slot.set(Some(Arc::new(())));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slot.call(|_| panic!("callback panicked")).ok();
        }));
        assert!(result.is_err());
        assert!(ACTIVE_CALLS.with(|c| c.borrow().is_empty()));
        // The in-flight count was restored, so a release does not wait.
        assert_eq!(slot.set(None), SlotTransition::Released);
    }
}
