//! Transition events pushed to subscribers, and the hub that delivers them.
//!
//! # Invariants
//!
//! - Every published event is delivered to every subscriber registered at
//!   delivery time, in one global order (publication order). Nothing is
//!   dropped or coalesced: a terminal transition always arrives.
//!
//! # Deadlock safety
//!
//! - Subscribers never run under a lock. Events are queued under a short
//!   lock; one thread at a time drains the queue with the lock released
//!   around each subscriber call. A subscriber may call any session method,
//!   including ones that publish: those events are queued and delivered by
//!   the draining thread after the current one, never re-entrantly.
//! - A panicking subscriber is caught; delivery goes on.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use crate::sync::{Arc, Mutex};
use crate::{CancelReason, ItemId, LogEntry, SessionPhase, SyncMgrStatus, Violation};

/// A state transition a session pushes to its subscribers.
///
/// Progress values are not pushed (a UI pulls them with
/// [`Session::snapshot`](crate::Session::snapshot) at its own rate); only
/// transitions are, so progress can never flood a subscriber.
///
/// Every event is stamped when it is published, by the session's
/// [`Clock`](crate::Clock): [`Session::subscribe_timed`](crate::Session::subscribe_timed)
/// hands the stamp to the subscriber with the event (the same stamp the
/// item's [`ItemSnapshot::started_at`](crate::ItemSnapshot::started_at) /
/// [`finished_at`](crate::ItemSnapshot::finished_at) show).
///
/// With the `serde` feature it serializes (not deserializes: a
/// [`Violation`] names its call with a `&'static str`), tagged by `kind`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The session moved from one phase to the next.
    PhaseChanged {
        /// The phase left.
        from: SessionPhase,
        /// The phase entered.
        to: SessionPhase,
    },
    /// The first progress report for an item arrived.
    ItemStarted {
        /// The item.
        item: ItemId,
    },
    /// An item reached a terminal status (also a late `Failed`).
    ItemFinished {
        /// The item.
        item: ItemId,
        /// Its terminal status.
        status: SyncMgrStatus,
        /// True when the host finished it because the handler never did.
        by_host: bool,
    },
    /// Cancellation was requested for one item (`Some`) or for all (`None`).
    ItemCancelled {
        /// The item, or `None` for all items.
        item: Option<ItemId>,
        /// Why.
        reason: CancelReason,
    },
    /// The handler logged an entry.
    LogEntryAdded(LogEntry),
    /// A log entry was deleted.
    LogEntryRemoved(LogEntry),
    /// A protocol violation was recorded.
    ViolationRecorded(Violation),
}

/// Identifies a subscription, for [`Session::unsubscribe`](crate::Session::unsubscribe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubscriptionId(u64);

type PlainFn = dyn Fn(&SessionEvent) + Send + Sync;
type TimedFn = dyn Fn(Duration, &SessionEvent) + Send + Sync;

/// A subscriber: without or with the event's time stamp.
#[derive(Clone)]
pub(crate) enum Subscriber {
    Plain(Arc<PlainFn>),
    Timed(Arc<TimedFn>),
}

impl Subscriber {
    fn call(&self, at: Duration, event: &SessionEvent) {
        match self {
            Self::Plain(f) => f(event),
            Self::Timed(f) => f(at, event),
        }
    }
}

#[derive(Default)]
struct HubState {
    queue: VecDeque<(Duration, SessionEvent)>,
    delivering: bool,
    subscribers: Vec<(SubscriptionId, Subscriber)>,
    next_id: u64,
}

/// Queues events and delivers them outside every lock.
#[derive(Default)]
pub(crate) struct EventHub {
    state: Mutex<HubState>,
}

impl EventHub {
    pub(crate) fn subscribe(&self, subscriber: Subscriber) -> SubscriptionId {
        let mut state = self.state.lock();
        let id = SubscriptionId(state.next_id);
        state.next_id += 1;
        state.subscribers.push((id, subscriber));
        id
    }

    pub(crate) fn unsubscribe(&self, id: SubscriptionId) -> bool {
        let mut state = self.state.lock();
        let before = state.subscribers.len();
        state.subscribers.retain(|(s, _)| *s != id);
        state.subscribers.len() != before
    }

    /// Queue `events`, stamped `at`, and deliver everything queued, unless
    /// another thread is already delivering (it will deliver these too).
    pub(crate) fn publish(&self, at: Duration, events: Vec<SessionEvent>) {
        if events.is_empty() {
            return;
        }
        {
            let mut state = self.state.lock();
            // Nobody to tell: the events are dropped here, not queued (a
            // million items finishing at once would otherwise be a million
            // queued events that no one reads).
            if state.subscribers.is_empty() {
                return;
            }
            state.queue.extend(events.into_iter().map(|e| (at, e)));
        }
        loop {
            let (event, subscribers) = {
                let mut state = self.state.lock();
                if state.delivering {
                    return;
                }
                let Some((at, event)) = state.queue.pop_front() else {
                    return;
                };
                state.delivering = true;
                let subscribers: Vec<Subscriber> =
                    state.subscribers.iter().map(|(_, s)| s.clone()).collect();
                ((at, event), subscribers)
            };
            let (at, event) = event;
            for subscriber in subscribers {
                let _ = catch_unwind(AssertUnwindSafe(|| subscriber.call(at, &event)));
            }
            self.state.lock().delivering = false;
        }
    }
}
