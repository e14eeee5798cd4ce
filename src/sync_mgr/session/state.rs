//! The session's locked state: the completions a host waits for, the
//! progress `gate` word that lock-free reports read, every fact that is not
//! an item's progress, and the helpers that change it and publish the
//! events it produced after the lock is released.

use std::collections::HashMap;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::core::rule::Refusal;
use crate::sync::{Arc, AtomicU32, Condvar, Mutex, Ordering};
use crate::sync_mgr::events::EventHub;
use crate::{
    CallbackError, CancelReason, HResult, ItemId, ItemKey, Mode, RateEstimator, Rule, SessionEvent,
    SyncHandler, Violation,
};

use super::items::Items;
use super::{LogEntry, ModelessArbiter, Session, SessionConfig, SessionPhase};

/// The expected `*Completed` call of one handler method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Completion {
    /// Not expected.
    #[default]
    Idle,
    /// The method was called; its completion may arrive (also before the
    /// method returns).
    Awaiting,
    /// It arrived with this code.
    Arrived(HResult),
    /// The host stopped waiting (timeout); a late arrival is a violation.
    GaveUp,
}

impl Completion {
    pub(super) fn arrive(&mut self, code: HResult) -> bool {
        if *self == Self::Awaiting {
            *self = Self::Arrived(code);
            true
        } else {
            false
        }
    }
}

/// Bits of [`Shared::gate`]: the session-wide facts a progress report
/// needs before it may take the lock-free path.
pub(super) mod gate {
    /// Progress is legal (between `PrepareForSync` and the end of the cycle).
    pub(in crate::sync_mgr::session) const OPEN: u32 = 1;
    /// Cancel-all was requested (one-way).
    pub(in crate::sync_mgr::session) const CANCEL_ALL: u32 = 2;
}

#[derive(Default)]
pub(super) struct State {
    /// The session's mode (a copy of the config's, for the checks that
    /// only have the state).
    pub(super) mode: Mode,
    pub(super) phase: Option<SessionPhase>,
    pub(super) handler_name: Option<String>,
    /// [`Shared::gate`], written only under this lock.
    pub(super) gate: Arc<AtomicU32>,
    /// Status texts by item position (only items that reported one).
    pub(super) texts: HashMap<usize, String>,
    /// Cancel reasons by item position (only items the user cancelled).
    pub(super) cancel_reasons: HashMap<usize, CancelReason>,
    pub(super) prepare: Completion,
    pub(super) prepare_returned: bool,
    pub(super) synchronize: Completion,
    pub(super) synchronize_returned: bool,
    pub(super) show_error: Completion,
    pub(super) show_properties: Completion,
    pub(super) cancel_all: Option<CancelReason>,
    /// The threads this cycle's CANCELALL was answered to ([§G.3 #23](crate::protocol#rule-23) blames
    /// only a thread that was told; usually one or two entries).
    pub(super) told_cancel_all: Vec<ThreadId>,
    pub(super) log: Vec<LogEntry>,
    pub(super) modeless_held: bool,
    pub(super) connections: Vec<Option<String>>,
    pub(super) violations: Vec<Violation>,
    pub(super) queued_skips: Vec<ItemId>,
    pub(super) retry_items: Option<Vec<ItemId>>,
    /// The rate estimator of the synchronize set's total work.
    pub(super) session_rate: RateEstimator,
    /// The estimators' window; `None` for [`RateEstimator::DEFAULT_WINDOW`].
    pub(super) rate_window: Option<Duration>,
}

impl State {
    /// Remember that the calling thread was answered CANCELALL.
    pub(super) fn tell_cancel_all(&mut self) {
        let me = thread::current().id();
        if !self.told_cancel_all.contains(&me) {
            self.told_cancel_all.push(me);
        }
    }

    /// True when the calling thread was answered CANCELALL in this cycle,
    /// so it could have known not to open a new item ([§G.3 #23](crate::protocol#rule-23)).
    pub(super) fn this_thread_was_told_cancel_all(&self) -> bool {
        self.told_cancel_all.contains(&thread::current().id())
    }

    pub(super) fn prepare(&mut self) -> &mut Completion {
        &mut self.prepare
    }

    pub(super) fn synchronize(&mut self) -> &mut Completion {
        &mut self.synchronize
    }

    pub(super) fn show_error(&mut self) -> &mut Completion {
        &mut self.show_error
    }

    pub(super) fn show_properties(&mut self) -> &mut Completion {
        &mut self.show_properties
    }

    pub(super) fn phase(&self) -> SessionPhase {
        self.phase.unwrap_or(SessionPhase::Created)
    }

    /// True between `PrepareForSync` and the end of the cycle.
    pub(super) fn progress_open(&self) -> bool {
        self.gate.load(Ordering::Relaxed) & gate::OPEN != 0
    }

    /// Open or close the progress window. Closing is published before
    /// anything else the caller does under the lock, so a lock-free report
    /// that takes an item after the host finalized it sees the window shut.
    pub(super) fn set_progress_open(&mut self, open: bool) {
        if open {
            self.gate.fetch_or(gate::OPEN, Ordering::SeqCst);
        } else {
            self.gate.fetch_and(!gate::OPEN, Ordering::SeqCst);
        }
    }

    /// True while a `SetItemStatus` window is open or can still open in
    /// this cycle: PrepareForSync has not returned yet (its window follows),
    /// or preparation succeeded and Synchronize has not returned yet.
    pub(super) fn skip_window_can_open(&self) -> bool {
        let prepare_pending = self.prepare == Completion::Awaiting && !self.prepare_returned;
        let synchronize_ahead = self.prepare == Completion::Arrived(HResult::S_OK)
            && match self.synchronize {
                Completion::Idle => true,
                Completion::Awaiting => !self.synchronize_returned,
                Completion::Arrived(_) | Completion::GaveUp => false,
            };
        self.progress_open() && (prepare_pending || synchronize_ahead)
    }

    pub(super) fn skip_window_open(&self) -> bool {
        (self.prepare_returned && self.prepare == Completion::Awaiting)
            || (self.synchronize_returned && self.synchronize == Completion::Awaiting)
    }
}

pub(super) struct Shared {
    pub(super) id: u64,
    pub(super) config: SessionConfig,
    /// [`gate`] bits; written under `state`'s lock, read by lock-free
    /// reports.
    pub(super) gate: Arc<AtomicU32>,
    /// Every item; see [`Items`] for what may be read and written without
    /// `state`'s lock.
    pub(super) items: Items,
    pub(super) state: Mutex<State>,
    pub(super) completion_arrived: Condvar,
    pub(super) events: EventHub,
    pub(super) tokens: super::tokens::Tokens,
    pub(super) arbiter: Arc<ModelessArbiter>,
    pub(super) handler: Mutex<Option<Arc<dyn SyncHandler>>>,
}

impl Session {
    /// Run `f` on the locked state and publish the events it gathered after
    /// the lock is released.
    pub(super) fn update<R>(&self, f: impl FnOnce(&mut State, &mut Vec<SessionEvent>) -> R) -> R {
        let mut events = Vec::new();
        let result = {
            let mut st = self.shared.state.lock();
            f(&mut st, &mut events)
        };
        self.publish(events);
        result
    }

    /// Publish `events`, stamped by the session's clock; an item that
    /// starts or finishes gets the same stamp. Called after every lock is
    /// released, and only when something happened: a report that only
    /// moves a value publishes nothing and reads no clock.
    pub(super) fn publish(&self, events: Vec<SessionEvent>) {
        if events.is_empty() {
            return;
        }
        let shared = &*self.shared;
        let at = shared.config.clock.now();
        for event in &events {
            match event {
                SessionEvent::ItemStarted { item } => {
                    if let Some(found) = shared.items.find(*item) {
                        found.stamp_started(at);
                    }
                }
                SessionEvent::ItemFinished { item, .. } => {
                    if let Some(found) = shared.items.find(*item) {
                        found.stamp_finished(at);
                    }
                }
                _ => {}
            }
        }
        shared.events.publish(at, events);
    }

    pub(super) fn set_phase(st: &mut State, events: &mut Vec<SessionEvent>, to: SessionPhase) {
        let from = st.phase();
        if from != to {
            st.phase = Some(to);
            events.push(SessionEvent::PhaseChanged { from, to });
        }
    }

    /// Record a violation found after the fact, when no call is left to
    /// answer (a completion that arrived before a failing call returned, a
    /// duplicate id already enumerated, a reference still held at release):
    /// recorded as tolerated in both modes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn note(
        &self,
        st: &mut State,
        events: &mut Vec<SessionEvent>,
        rule: Rule,
        call: &'static str,
        item: Option<ItemId>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) {
        Self::record(
            st,
            events,
            Violation {
                rule,
                call,
                item: item.map(ItemKey::from),
                expected: expected.into(),
                got: got.into(),
                answered: None,
            },
        );
    }

    /// Record a violation; in strict mode answer the fitting error.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn breach(
        &self,
        st: &mut State,
        events: &mut Vec<SessionEvent>,
        rule: Rule,
        call: &'static str,
        item: Option<ItemId>,
        expected: impl Into<String>,
        got: impl Into<String>,
        refusal: Refusal,
    ) -> Result<(), CallbackError> {
        let (expected, got) = (expected.into(), got.into());
        let error = match self.shared.config.mode {
            Mode::Lenient => None,
            Mode::Strict => Some(refusal.error(rule, call, &expected, &got)),
        };
        let answered = error.as_ref().map(CallbackError::hresult);
        Self::record(
            st,
            events,
            Violation {
                rule,
                call,
                item: item.map(ItemKey::from),
                expected,
                got,
                answered,
            },
        );
        error.map_or(Ok(()), Err)
    }

    pub(super) fn check_not_released(
        &self,
        st: &mut State,
        events: &mut Vec<SessionEvent>,
        released: bool,
        call: &'static str,
        item: Option<ItemId>,
    ) -> Result<(), CallbackError> {
        if released {
            self.breach(
                st,
                events,
                Rule::NO_CALL_AFTER_RELEASE,
                call,
                item,
                "no call after SetProgressCallback(NULL)",
                "a call on the released callback",
                Refusal::Unexpected,
            )?;
        }
        Ok(())
    }

    pub(super) fn complete(
        &self,
        released: bool,
        call: &'static str,
        rule: Rule,
        which: fn(&mut State) -> &mut Completion,
        code: HResult,
        on_accept: fn(&mut State, HResult),
    ) -> Result<(), CallbackError> {
        let result = self.update(|st, events| {
            self.check_not_released(st, events, released, call, None)?;
            let completion = which(st);
            let before = *completion;
            if completion.arrive(code) {
                on_accept(st, code);
            } else {
                let got = match before {
                    Completion::Arrived(first) => {
                        format!("a second completion ({first} then {code})")
                    }
                    Completion::GaveUp => format!("{code} after the host stopped waiting"),
                    _ => format!("{code} without a pending call"),
                };
                self.breach(
                    st,
                    events,
                    rule,
                    call,
                    None,
                    "one completion per successful call",
                    got,
                    Refusal::Unexpected,
                )?;
            }
            Ok(())
        });
        self.shared.completion_arrived.notify_all();
        result
    }

    /// Wait for the completion `which`; `None` on timeout (the completion is
    /// then marked given up).
    pub(super) fn wait_for(&self, which: fn(&mut State) -> &mut Completion) -> Option<HResult> {
        // A timeout too long for the clock (`Duration::MAX`) means none.
        let deadline = Instant::now().checked_add(self.shared.config.completion_timeout);
        let mut st = self.shared.state.lock();
        loop {
            match *which(&mut st) {
                Completion::Arrived(code) => return Some(code),
                Completion::Awaiting => {
                    let timed_out = match deadline {
                        Some(deadline) => self
                            .shared
                            .completion_arrived
                            .wait_until(&mut st, deadline)
                            .timed_out(),
                        None => {
                            self.shared.completion_arrived.wait(&mut st);
                            false
                        }
                    };
                    if timed_out && *which(&mut st) == Completion::Awaiting {
                        *which(&mut st) = Completion::GaveUp;
                        return None;
                    }
                }
                Completion::Idle | Completion::GaveUp => return None,
            }
        }
    }

    /// After a handler method answered anything but success, no completion
    /// may have arrived (and none may arrive later).
    pub(super) fn no_completion_expected(
        &self,
        which: fn(&mut State) -> &mut Completion,
        rule: Rule,
        call: &'static str,
    ) {
        self.update(|st, events| {
            if let Completion::Arrived(code) = *which(st) {
                self.note(
                    st,
                    events,
                    rule,
                    call,
                    None,
                    "no completion after an unsuccessful call",
                    format!("{code}"),
                );
            }
            *which(st) = Completion::Idle;
        });
    }
}
