//! [`CallbackSlot`]: where a handler keeps its progress callback — the
//! register / replace / release-on-null lifecycle of `SetProgressCallback`
//! (FACTS.md §E.2, §G.1 #5–#8).

use std::cell::RefCell;
use std::fmt;

use crate::sync::{Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering, RwLock};
use crate::{
    CallbackError, CancelDecision, ErrorId, HResult, ItemId, LogErrorInfo, LogLevel,
    ModelessAnswer, SyncCallback, SyncMgrProgress,
};

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

/// One registered callback and the calls currently running on it.
struct Registration<C: ?Sized> {
    in_flight: AtomicUsize,
    retired: AtomicBool,
    drained_lock: Mutex<()>,
    drained: Condvar,
    callback: Arc<C>,
}

impl<C: ?Sized> Registration<C> {
    fn new(callback: Arc<C>) -> Self {
        Self {
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

    /// Mark the registration replaced and wait until no other thread is
    /// calling it.
    fn retire_and_wait(&self) {
        self.retired.store(true, Ordering::SeqCst);
        let own_calls = calls_on_this_thread(self.address());
        let mut guard = self.drained_lock.lock();
        while self.in_flight.load(Ordering::SeqCst) > own_calls {
            self.drained.wait(&mut guard);
        }
    }
}

thread_local! {
    /// Registrations this thread is calling into, innermost last.
    static ACTIVE_CALLS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn calls_on_this_thread(address: usize) -> usize {
    ACTIVE_CALLS
        .try_with(|calls| calls.borrow().iter().filter(|&&a| a == address).count())
        .unwrap_or(0)
}

/// Counts one call on a registration for as long as it lives, also when the
/// callback panics.
struct InFlightCall<'a, C: ?Sized> {
    registration: &'a Registration<C>,
}

impl<'a, C: ?Sized> InFlightCall<'a, C> {
    /// The caller has already incremented `in_flight` under the read lock.
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
/// (§G.1 #6, #8 become observable: `Arc::strong_count` is back to its
/// baseline).
///
/// Calls on the *calling* thread are never waited for: a callback that
/// replaces or releases the slot from inside its own `progress` returns
/// normally, and the old callback stays alive until that outer call
/// returns. [`CallbackSlot::set_nonblocking`] never waits at all.
///
/// # Invariants
///
/// - The slot holds at most one reference to one callback.
/// - A registration's in-flight count only grows while the registration is
///   current (it is incremented under the read lock, and a replace swaps
///   under the write lock), so once swapped out it can only shrink.
///
/// # Deadlock safety
///
/// - No lock is held while a callback runs: the call clones the registration
///   under a short read lock, releases it, then calls. A callback may call
///   any slot method (register, replace, release, progress) re-entrantly.
/// - The replaced callback is dropped after the write lock is released, so
///   its `Drop` may use the slot too.
/// - `set` waits only for calls on *other* threads. If the thread calling
///   `set` is itself what such a call is waiting for (for example a host
///   whose `progress` blocks until the same thread pumps messages), use
///   [`CallbackSlot::set_nonblocking`].
pub struct CallbackSlot<C: ?Sized = dyn SyncCallback> {
    current: RwLock<Option<Arc<Registration<C>>>>,
}

impl<C: ?Sized> CallbackSlot<C> {
    /// An empty slot.
    pub const fn new() -> Self {
        Self {
            current: RwLock::new(None),
        }
    }

    /// Whether a callback is held.
    pub fn state(&self) -> SlotState {
        if self.current.read().is_some() {
            SlotState::Holding
        } else {
            SlotState::Empty
        }
    }

    /// True when `callback` is the one held.
    pub fn holds(&self, callback: &Arc<C>) -> bool {
        self.current
            .read()
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
        let (transition, old) = self.swap(callback);
        if let Some(old) = old {
            old.retire_and_wait();
        }
        transition
    }

    /// Like [`set`](Self::set), but returns without waiting for calls that
    /// are running on the old callback: those finish on it, and it is dropped
    /// when the last of them returns.
    pub fn set_nonblocking(&self, callback: Option<Arc<C>>) -> SlotTransition {
        let (transition, old) = self.swap(callback);
        if let Some(old) = old {
            old.retired.store(true, Ordering::SeqCst);
        }
        transition
    }

    /// `SetProgressCallback(NULL)`: the same as `set(None)`.
    pub fn release(&self) -> SlotTransition {
        self.set(None)
    }

    fn swap(&self, callback: Option<Arc<C>>) -> (SlotTransition, Option<Arc<Registration<C>>>) {
        let some = callback.is_some();
        let new = callback.map(|cb| Arc::new(Registration::new(cb)));
        let old = std::mem::replace(&mut *self.current.write(), new);
        let before = if old.is_some() {
            SlotState::Holding
        } else {
            SlotState::Empty
        };
        (before.on_set(some), old)
    }

    /// Run `call` on the current callback, with no lock held.
    ///
    /// # Errors
    ///
    /// [`CallbackError::NoCallback`] when the slot is empty.
    pub fn call<R>(&self, call: impl FnOnce(&C) -> R) -> Result<R, CallbackError> {
        let registration = {
            let current = self.current.read();
            let registration = current.as_ref().ok_or(CallbackError::NoCallback)?;
            registration.in_flight.fetch_add(1, Ordering::SeqCst);
            Arc::clone(registration)
        };
        let _in_flight = InFlightCall::enter(&registration);
        Ok(call(&registration.callback))
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

impl<C: SyncCallback + ?Sized> SyncCallback for CallbackSlot<C> {
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.call(|cb| cb.show_properties_completed(outcome))?
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.call(|cb| cb.prepare_for_sync_completed(outcome))?
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.call(|cb| cb.synchronize_completed(outcome))?
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        self.call(|cb| cb.show_error_completed(outcome, retry_items))?
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        self.call(|cb| cb.enable_modeless(enable))?
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.call(|cb| cb.progress(item, progress))?
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        self.call(|cb| cb.log_error(level, text, info))?
    }

    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        self.call(|cb| cb.delete_log_error(error))?
    }

    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        self.call(|cb| cb.establish_connection(connection))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_transitions_agree_with_the_table() {
        for state in SlotState::ALL {
            for (event, some) in [(SlotEvent::SetSome, true), (SlotEvent::SetNone, false)] {
                let (_, transition) = state.on(event).unwrap();
                assert_eq!(state.on_set(some), transition, "{state:?} {event:?}");
            }
        }
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
