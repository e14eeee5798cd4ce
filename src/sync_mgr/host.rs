//! [`Host`]: several handler sessions at once, each on its own thread,
//! sharing one modeless arbitration and one host-wide cancel-all.
//!
//! A [`Session`] hosts one handler. A real SyncMgr host runs every
//! registered handler of a sync at the same time, and some rules span
//! handlers: only one handler at a time may show UI (`EnableModeless(TRUE)`,
//! [§G.4 #29](crate::protocol#rule-29)), and the user's "Stop" cancels every handler. A `Host` adds
//! exactly that on top of sessions, and keeps a misbehaving handler (even a
//! panicking one) from taking the others down.
//!
//! # Invariants
//!
//! - Every session a host spawns shares the host's modeless arbiter: at most
//!   one of them holds a granted `EnableModeless(TRUE)` at any time; the
//!   others are refused (`S_FALSE`) until it says `EnableModeless(FALSE)` or
//!   is released.
//! - Host-wide cancel-all is one-way and sticky; the first reason wins. Once
//!   [`Host::cancel_all`] has returned, every session spawned before it is
//!   cancelled (except those already released: they can make no more calls,
//!   and their snapshots keep saying they were not cancelled), and every
//!   session spawned after it is cancelled before its handler is first
//!   called (born cancelled). The host's lock orders `spawn` against
//!   `cancel_all`: a session is either in the list that `cancel_all` walks,
//!   or it finds the reason when it is spawned.
//! - A handler panic stays on its session's thread. Every handler method
//!   runs under `catch_unwind`, and a panic becomes that method's
//!   [`HandlerError::Failed`](crate::HandlerError::Failed) (`E_FAIL`, "handler panicked in …"), the way a
//!   COM edge turns a panic into an error `HRESULT`. The session then ends
//!   the cycle as for any failing handler (the host finishes the handler's
//!   open items, releases the callback and any modeless grant) and
//!   [`HostedSession::join`] returns [`SessionOutcome::HandlerFailed`].
//! - [`Host::sessions`] and [`Host::snapshot`] list sessions in spawn order.
//! - A host keeps every session that is not yet released, and of the
//!   released ones only the [`Host::RETAINED_FINISHED`] most recent: the
//!   others are forgotten when the next session is spawned, so a
//!   long-running host's memory is bounded by the sessions it runs at once.
//!
//! # Deadlock safety
//!
//! - The host's lock guards only the session list and the cancel-all reason.
//!   It is never held while a handler or a subscriber runs, nor while a
//!   session method other than [`Session::phase`] runs (which only reads
//!   under the session's state lock, to forget released sessions): [`cancel_all`](Host::cancel_all) and
//!   [`snapshot`](Host::snapshot) clone the list under the lock, release it,
//!   then call each session.
//! - Lock order: a session's state lock may take the arbiter's lock (inside
//!   `EnableModeless` and release); the arbiter's lock takes no other lock,
//!   and no session code takes the host's lock. There is no cycle.
//! - Sessions never wait for each other. A handler that blocks forever
//!   blocks only its own thread, and whoever [`join`](HostedSession::join)s
//!   it; waits for `*Completed` calls end after the session's
//!   `completion_timeout`.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::{self, JoinHandle};

use crate::core::guard::panic_error;
use crate::sync::{Arc, Mutex};
use crate::sync_mgr::session::{ModelessArbiter, finished_of, weighted_fraction};
use crate::{
    CancelReason, Session, SessionConfig, SessionOutcome, SessionPhase, SessionSnapshot,
    SyncHandler,
};

#[derive(Default)]
struct HostState {
    sessions: Vec<Session>,
    cancel_all: Option<CancelReason>,
    /// Sessions spawned so far (threads are numbered by it).
    spawned: usize,
}

impl HostState {
    /// Forget released sessions beyond the [`Host::RETAINED_FINISHED`] most
    /// recent ones.
    fn forget_released(&mut self) {
        let released = self
            .sessions
            .iter()
            .filter(|s| s.phase() == SessionPhase::Released)
            .count();
        let mut excess = released.saturating_sub(Host::RETAINED_FINISHED);
        if excess > 0 {
            self.sessions.retain(|s| {
                let forget = excess > 0 && s.phase() == SessionPhase::Released;
                excess -= usize::from(forget);
                !forget
            });
        }
    }
}

/// Runs several handler sessions at once, each on its own thread.
///
/// All sessions share one modeless arbitration (one handler at a time may
/// show UI, [§G.4 #29](crate::protocol#rule-29)) and one host-wide [`cancel_all`](Self::cancel_all).
/// A UI thread pulls [`snapshot`](Self::snapshot) at its own rate; each
/// session's [`Session`] handle gives per-item control
/// ([`cancel_item`](Session::cancel_item), [`skip_item`](Session::skip_item))
/// and transition events ([`subscribe`](Session::subscribe)).
///
/// Dropping a host neither stops nor joins its sessions; join them through
/// their [`HostedSession`] handles. A host keeps every running session, and
/// the [`RETAINED_FINISHED`](Self::RETAINED_FINISHED) most recently spawned
/// of the released ones, for [`sessions`](Self::sessions) and
/// [`snapshot`](Self::snapshot); older released sessions are forgotten
/// when the next session is spawned (their [`HostedSession`] handles and
/// [`Session`] clones keep working).
///
/// # Example
///
/// Two handlers at once; one of them panics in `Synchronize`, and the other
/// finishes regardless:
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::{
///     CallbackSlot, HResult, HandlerAnswer, HandlerError, HandlerInfo, Host, ItemEnumeration,
///     ItemId, SyncMgrProgress, SessionConfig, SessionOutcome, SyncCallback, SyncHandler,
///     SyncItem, SyncMgrFlags, SyncMgrStatus, WindowHandle,
/// };
///
/// struct Notes { callback: CallbackSlot, panics: bool }
///
/// impl SyncHandler for Notes {
///     fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
///         Ok(HandlerAnswer::Accept)
///     }
///     fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
///         HandlerInfo::new("notes").map_err(|e| HandlerError::failed(e.to_string()))
///     }
///     fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
///         let item = SyncItem::new(ItemId::from_u128(1), "notes")
///             .map_err(|e| HandlerError::failed(e.to_string()))?;
///         Ok(ItemEnumeration::complete([item]))
///     }
///     fn set_progress_callback(&self, cb: Option<Arc<dyn SyncCallback>>) -> Result<(), HandlerError> {
///         self.callback.set(cb);
///         Ok(())
///     }
///     fn prepare_for_sync(&self, _: &[ItemId], _: WindowHandle) -> Result<HandlerAnswer, HandlerError> {
///         let _ = self.callback.prepare_for_sync_completed(HResult::S_OK);
///         Ok(HandlerAnswer::Accept)
///     }
///     fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
///         assert!(!self.panics, "disk on fire");
///         let item = ItemId::from_u128(1);
///         let _ = self.callback.progress(item, Some(&SyncMgrProgress::with_status(SyncMgrStatus::Updating)));
///         let _ = self.callback.progress(item, Some(&SyncMgrProgress::with_status(SyncMgrStatus::Succeeded)));
///         let _ = self.callback.synchronize_completed(HResult::S_OK);
///         Ok(())
///     }
///     fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> { Ok(()) }
/// }
///
/// let host = Host::new();
/// let good = host.spawn(SessionConfig::default(), Arc::new(Notes { callback: CallbackSlot::new(), panics: false }));
/// let bad = host.spawn(SessionConfig::default(), Arc::new(Notes { callback: CallbackSlot::new(), panics: true }));
/// assert!(good.join().is_success());
/// assert!(matches!(bad.join(), SessionOutcome::HandlerFailed { call: "Synchronize", .. }));
/// // The host finished the panicking handler's item (as Failed).
/// assert_eq!(host.snapshot().finished(), (2, 2));
/// ```
pub struct Host {
    arbiter: Arc<ModelessArbiter>,
    state: Mutex<HostState>,
}

impl Host {
    /// How many released sessions a host keeps (the most recently spawned
    /// ones) besides every session that is still running.
    pub const RETAINED_FINISHED: usize = 64;

    /// A host with no sessions.
    pub fn new() -> Self {
        Self {
            arbiter: Arc::default(),
            state: Mutex::new(HostState::default()),
        }
    }

    /// Start a session for `handler` on a new thread and return its handle.
    ///
    /// The session shares this host's modeless arbitration. After
    /// [`cancel_all`](Self::cancel_all) the session is born cancelled: it is
    /// cancelled before its thread starts, so the handler's first progress
    /// report is answered `CancelAll` and items it never opens end
    /// `Stopped`.
    ///
    /// The thread is named `syncmgr-host-N`, N counting this host's sessions
    /// from 1. A panic in a handler method becomes that method's
    /// [`HandlerError::Failed`](crate::HandlerError::Failed) (the session catches it), so the session ends
    /// its cycle as for any failing handler (see [`HostedSession::join`]).
    /// The process's panic hook still runs: the default hook prints the
    /// panic message to stderr.
    ///
    /// The handler starts at once, so a subscriber added to the returned
    /// session may miss its first events; [`spawn_with`](Self::spawn_with)
    /// subscribes before the start.
    ///
    /// # Panics
    ///
    /// If the operating system cannot create a thread, like
    /// [`std::thread::spawn`].
    pub fn spawn(&self, config: SessionConfig, handler: Arc<dyn SyncHandler>) -> HostedSession {
        self.spawn_with(config, handler, |_| {})
    }

    /// As [`spawn`](Self::spawn), calling `before_start` with the new
    /// session on this thread before anything happens to it — before its
    /// born-cancelled event and before its thread starts — so that
    /// subscribers it adds see every event.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use syncmgr::*;
    /// # struct Declines;
    /// # impl SyncHandler for Declines {
    /// #     fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> { Ok(HandlerAnswer::Decline) }
    /// #     fn handler_info(&self) -> Result<HandlerInfo, HandlerError> { unreachable!() }
    /// #     fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> { unreachable!() }
    /// #     fn set_progress_callback(&self, _: Option<Arc<dyn SyncCallback>>) -> Result<(), HandlerError> { Ok(()) }
    /// #     fn prepare_for_sync(&self, _: &[ItemId], _: WindowHandle) -> Result<HandlerAnswer, HandlerError> { unreachable!() }
    /// #     fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> { unreachable!() }
    /// #     fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> { Ok(()) }
    /// # }
    /// use std::sync::mpsc;
    ///
    /// let host = Host::new();
    /// let (events, seen) = mpsc::channel();
    /// let hosted = host.spawn_with(SessionConfig::default(), Arc::new(Declines), |session| {
    ///     session.subscribe(move |event| drop(events.send(event.clone())));
    /// });
    /// assert_eq!(hosted.join(), SessionOutcome::Declined);
    /// // The very first transition was seen.
    /// assert_eq!(
    ///     seen.try_iter().next(),
    ///     Some(SessionEvent::PhaseChanged { from: SessionPhase::Created, to: SessionPhase::Initializing })
    /// );
    /// ```
    ///
    /// # Panics
    ///
    /// As [`spawn`](Self::spawn).
    pub fn spawn_with(
        &self,
        config: SessionConfig,
        handler: Arc<dyn SyncHandler>,
        before_start: impl FnOnce(&Session),
    ) -> HostedSession {
        let session = Session::with_arbiter(config, Arc::clone(&self.arbiter));
        before_start(&session);
        let (number, born_cancelled) = {
            let mut st = self.state.lock();
            st.forget_released();
            st.sessions.push(session.clone());
            st.spawned += 1;
            (st.spawned, st.cancel_all.clone())
        };
        // Outside the host's lock: cancelling publishes to subscribers.
        if let Some(reason) = born_cancelled {
            session.cancel_all(reason);
        }
        let runner = session.clone();
        let thread = thread::Builder::new()
            .name(format!("syncmgr-host-{number}"))
            .spawn(move || {
                // The session already turns handler panics into errors; this
                // catches a panic anywhere else so the host never goes down.
                catch_unwind(AssertUnwindSafe(|| runner.run(handler)))
                    .unwrap_or_else(|payload| panicked(&*payload))
            })
            .expect("failed to spawn a session thread");
        HostedSession { session, thread }
    }

    /// Cancel every session: those spawned so far and not yet released, and
    /// every session spawned from now on (born cancelled). Each session's
    /// progress calls answer `CancelAll` from now on (sticky).
    ///
    /// One-way: the first reason sticks, and a later call only repeats it to
    /// the sessions (which keep their own first reason too).
    pub fn cancel_all(&self, reason: CancelReason) {
        let (reason, sessions) = {
            let mut st = self.state.lock();
            let reason = st.cancel_all.get_or_insert(reason).clone();
            (reason, st.sessions.clone())
        };
        // A released session can make no more calls: marking it would only
        // make a finished session look cancelled in snapshots.
        for session in sessions {
            if session.phase() != SessionPhase::Released {
                session.cancel_all(reason.clone());
            }
        }
    }

    /// The sessions this host keeps, in spawn order: every one still running
    /// and the [`RETAINED_FINISHED`](Self::RETAINED_FINISHED) most recent
    /// released ones.
    pub fn sessions(&self) -> Vec<Session> {
        self.state.lock().sessions.clone()
    }

    /// A snapshot of every session, in spawn order.
    ///
    /// Each session's snapshot is taken at one instant of that session; the
    /// snapshots of different sessions are taken one after another, not at
    /// one common instant.
    pub fn snapshot(&self) -> HostSnapshot {
        HostSnapshot {
            sessions: self.sessions().iter().map(Session::snapshot).collect(),
        }
    }
}

/// The outcome for a panic that escaped the session itself.
fn panicked(payload: &(dyn Any + Send)) -> SessionOutcome {
    SessionOutcome::HandlerFailed {
        call: "Session::run",
        error: panic_error("Session::run", payload),
    }
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Clone under the lock; format (which locks each session) after it.
        let (sessions, cancel_all) = {
            let st = self.state.lock();
            (st.sessions.clone(), st.cancel_all.clone())
        };
        f.debug_struct("Host")
            .field("sessions", &sessions)
            .field("cancel_all", &cancel_all)
            .finish_non_exhaustive()
    }
}

/// One session a [`Host`] runs: its [`Session`] handle and its thread.
pub struct HostedSession {
    session: Session,
    thread: JoinHandle<SessionOutcome>,
}

impl HostedSession {
    /// The session, to snapshot, cancel, skip or subscribe while it runs.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// True once the session's thread has finished (so
    /// [`join`](Self::join) returns at once).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Wait for the session to end and return how it ended.
    ///
    /// A handler that panicked gives [`SessionOutcome::HandlerFailed`] for
    /// the method that panicked, with a [`HandlerError::Failed`](crate::HandlerError::Failed) whose reason
    /// starts with "handler panicked in ". Never panics itself.
    pub fn join(self) -> SessionOutcome {
        self.thread
            .join()
            .unwrap_or_else(|payload| panicked(&*payload))
    }
}

impl fmt::Debug for HostedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostedSession")
            .field("session", &self.session)
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

/// Every session of a [`Host`], as a UI sees them.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HostSnapshot {
    /// One snapshot per session, in spawn order.
    pub sessions: Vec<SessionSnapshot>,
}

impl HostSnapshot {
    /// Overall progress from 0.0 to 1.0 over every session's synchronize
    /// set, as [`SessionSnapshot::overall`]: weighted by work when every
    /// item reported its work in all, else by item count (every item counts
    /// the same, whichever session it belongs to). 0.0 when no session has
    /// a synchronize set yet.
    pub fn overall(&self) -> f64 {
        weighted_fraction(self.sessions.iter().flat_map(SessionSnapshot::sync_set))
    }

    /// Items of all synchronize sets that have finished, and how many there
    /// are.
    pub fn finished(&self) -> (usize, usize) {
        finished_of(self.sessions.iter().flat_map(SessionSnapshot::sync_set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_host_has_no_progress() {
        let snapshot = Host::new().snapshot();
        assert!(snapshot.sessions.is_empty());
        assert_eq!(snapshot.overall(), 0.0);
        assert_eq!(snapshot.finished(), (0, 0));
    }
}
