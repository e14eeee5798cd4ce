//! [`Session`]: the host for one handler — drives it through the documented
//! sequence, tracks every item, carries cancellation from the user to the
//! handler and checks the handler against the protocol.
//!
//! # The hot path
//!
//! A handler reports progress far more often than anything else happens,
//! so a report that breaks no rule, carries no status text and meets no
//! cancel is checked and applied without the session's lock: it reads the
//! session's `gate` word (progress window open, no cancel-all), finds its
//! item in an index that does not change during the cycle, and updates the
//! item's two atomic words under the item's own `BUSY` bit (see
//! [`items`](self::items)). Everything else — a report after cancel-all, on
//! a cancelled item or one whose skip was delivered, on a finished item, a
//! text, any violation, every other callback and every user request — takes
//! the session's lock (a skip still queued does not change the item's
//! reports, [§G.2 #18](crate::protocol#rule-18)), as
//! does the lock-free path's fallback (which then checks the report from
//! scratch: the lock-free path changes nothing when it gives up).
//!
//! # Invariants
//!
//! - Everything except the items' progress sits behind one mutex, and every
//!   callback and user request other than a lock-free report is linearized
//!   by it. A lock-free report is linearized when it takes its item's bit:
//!   a cancel, skip, cancel-all or end of cycle that was recorded before
//!   (under the mutex, and on the item under its bit) is seen by the
//!   report, which then goes the locked way. So a cancel requested before a
//!   progress call begins is always seen by that call.
//! - The `gate` word and an item's `in_sync_set` change only under the
//!   mutex; the gate is closed (and cancel-all published in it) before the
//!   mutex holder touches any item, so a report that takes an item after
//!   the host finalized it sees the window shut.
//! - Cancellation is one-way: an item's cancel reason, once set, never
//!   clears, and cancel-all is sticky for the session's lifetime, including
//!   items that enter later (on a retry).
//!
//! # Deadlock safety
//!
//! - The mutex is never held while the handler or a subscriber runs. The
//!   driver records what it is about to do, releases the lock, calls the
//!   handler, then re-locks to record the result. Completions may arrive
//!   re-entrantly from inside the call that started the work, or from any
//!   thread.
//! - Lock order: the mutex, then an item's bit. An item's bit is held for a
//!   few instructions and nothing is waited for while holding it.
//! - Events gathered under the lock (or an item's bit) are published after
//!   it is released.

//!
//! # Files
//!
//! | file | concept |
//! |---|---|
//! | `mod.rs` | [`Session`] itself and the user's requests (run, cancel, skip, subscribe) |
//! | `vocab.rs` | the public vocabulary: config, phases, outcomes, errors, log entries |
//! | `state.rs` | the locked state, the completions a host waits for, and how it is changed |
//! | `progress.rs` | the checked progress path: lock-free fast path and locked slow path |
//! | `endpoint.rs` | the callback the handler holds: every other protocol check |
//! | `driver.rs` | [`Driver`]: the documented call sequence, step by step |
//! | `snapshot.rs` | what a UI pulls: [`SessionSnapshot`] and [`ItemSnapshot`] |
//! | `modeless.rs` | the arbiter that grants `EnableModeless` to one session at a time |
//! | `items.rs` | the item table: two atomic words per item under a `BUSY` bit |

mod driver;
mod endpoint;
mod items;
mod modeless;
mod progress;
mod snapshot;
mod state;
mod tokens;
mod vocab;

use std::fmt;
use std::time::Duration;

use crate::sync::{Arc, AtomicU32, AtomicU64, Condvar, Mutex, Ordering};
use crate::sync_mgr::events::{EventHub, Subscriber};
use crate::sync_mgr::guard::PanicGuard;
use crate::{
    CancelReason, ConformanceReport, HandlerError, ItemId, SessionEvent, SubscriptionId,
    SyncHandler, SyncItem, SyncMgrStatus, Violation,
};

pub use driver::Driver;
pub(crate) use modeless::ModelessArbiter;
pub use snapshot::{ItemSnapshot, SessionSnapshot};
pub(crate) use snapshot::{finished_of, weighted_fraction};
pub use vocab::{
    LogEntry, SessionConfig, SessionError, SessionOutcome, SessionPhase, ShowErrorOutcome,
    SkipOutcome,
};

use items::Items;
use state::{Shared, State, gate};

/// The host for one handler.
///
/// A `Session` is a cheap handle: clones share the same session, so a UI
/// thread can [`cancel_item`](Self::cancel_item) and
/// [`snapshot`](Self::snapshot) while another thread drives the handler with
/// [`run`](Self::run) or a [`Driver`].
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::{
///     CallbackSlot, HResult, HandlerAnswer, HandlerError, HandlerInfo, ItemEnumeration,
///     ItemId, SyncMgrProgress, Session, SessionConfig, SyncCallback, SyncHandler, SyncItem,
///     SyncMgrFlags, SyncMgrStatus, WindowHandle,
/// };
///
/// struct OneItem { callback: CallbackSlot }
///
/// impl SyncHandler for OneItem {
///     fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
///         Ok(HandlerAnswer::Accept)
///     }
///     fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
///         HandlerInfo::new("one item").map_err(|e| HandlerError::failed(e.to_string()))
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
///         let item = ItemId::from_u128(1);
///         let _ = self.callback.progress(item, Some(&SyncMgrProgress::with_status(SyncMgrStatus::Updating)));
///         let _ = self.callback.progress(item, Some(&SyncMgrProgress::with_status(SyncMgrStatus::Succeeded)));
///         let _ = self.callback.synchronize_completed(HResult::S_OK);
///         Ok(())
///     }
///     fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> { Ok(()) }
/// }
///
/// let session = Session::new(SessionConfig::default());
/// let outcome = session.run(Arc::new(OneItem { callback: CallbackSlot::new() }));
/// assert!(outcome.is_success());
/// assert_eq!(session.snapshot().item(0).unwrap().phase(), syncmgr::ItemPhase::Succeeded);
/// assert!(session.conformance_report().is_clean());
/// ```
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.shared.id)
            .field("phase", &self.phase())
            .finish()
    }
}

crate::sync::static_item! {
    static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);
}

impl Session {
    /// A new session with its own modeless arbitration.
    pub fn new(config: SessionConfig) -> Self {
        Self::with_arbiter(config, Arc::default())
    }

    pub(crate) fn with_arbiter(config: SessionConfig, arbiter: Arc<ModelessArbiter>) -> Self {
        let gate = Arc::new(AtomicU32::new(0));
        let mode = config.mode;
        Self {
            shared: Arc::new(Shared {
                id: NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed),
                config,
                gate: Arc::clone(&gate),
                items: Items::default(),
                state: Mutex::new(State {
                    mode,
                    gate,
                    ..State::default()
                }),
                completion_arrived: Condvar::new(),
                events: EventHub::default(),
                tokens: tokens::Tokens::default(),
                arbiter,
                handler: Mutex::new(None),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }

    /// The current phase.
    pub fn phase(&self) -> SessionPhase {
        self.shared.state.lock().phase()
    }

    /// Drive `handler` through the whole sequence: initialize, handler info,
    /// enumerate, register the callback, prepare and synchronize every
    /// enumerated item, then release the callback and the handler.
    pub fn run(&self, handler: Arc<dyn SyncHandler>) -> SessionOutcome {
        let mut driver = self.drive(handler);
        let outcome = match driver.initialize() {
            Ok(items) => {
                let ids: Vec<ItemId> = items.iter().map(SyncItem::id).collect();
                driver
                    .sync(&ids)
                    .unwrap_or_else(|error| SessionOutcome::HandlerFailed {
                        call: "PrepareForSync",
                        error: HandlerError::Unexpected {
                            reason: error.to_string(),
                        },
                    })
            }
            Err(outcome) => outcome,
        };
        driver.release();
        outcome
    }

    /// A [`Driver`] for `handler`, to run the sequence step by step (for the
    /// show-error / retry cycle).
    ///
    /// A panic in any handler method is caught and becomes that method's
    /// [`HandlerError::Failed`] ("handler panicked in …"), so the session
    /// ends its cycle as for any failing handler and still releases it.
    pub fn drive(&self, handler: Arc<dyn SyncHandler>) -> Driver {
        let handler: Arc<dyn SyncHandler> = Arc::new(PanicGuard::new(handler));
        Driver {
            session: self.clone(),
            handler,
            endpoint: None,
            owns: false,
            released: false,
        }
    }

    /// Ask for `item` to be cancelled: its next progress call answers
    /// `CancelItem` (and every one after it, until the item finishes).
    ///
    /// One-way and idempotent: a second request keeps the first reason.
    /// History is never rewritten: an item that already finished cannot be
    /// cancelled (as it cannot be skipped), and its snapshot keeps showing
    /// how it ended, without a cancel reason.
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownItem`] if the session does not know the item;
    /// [`SessionError::ItemFinished`] if it already reported (or was given)
    /// a terminal status in its current cycle.
    pub fn cancel_item(&self, item: ItemId, reason: CancelReason) -> Result<(), SessionError> {
        let mut events = Vec::new();
        let token = {
            let mut st = self.shared.state.lock();
            let found = self.shared.items.find(item);
            let found = found.ok_or(SessionError::UnknownItem(item))?;
            // Checked and marked under the item's bit: a report finishing
            // the item at this moment comes either before or after.
            let mut record = found.lock();
            if record.bits.phase.is_terminal() {
                return Err(SessionError::ItemFinished(item));
            }
            let newly = !std::mem::replace(&mut record.bits.cancelled, true);
            drop(record);
            if newly {
                st.cancel_reasons.insert(found.position(), reason.clone());
                events.push(SessionEvent::ItemCancelled {
                    item: Some(item),
                    reason: reason.clone(),
                });
            }
            self.shared.tokens.item(found.position())
        };
        // The awaiting task hears of it now, before the subscribers.
        if let Some(token) = token {
            token.cancel(reason);
        }
        self.publish(events);
        Ok(())
    }

    /// Cancel everything: every progress call from now on answers
    /// `CancelAll` (sticky), and items that enter later are born cancelled.
    ///
    /// Items that already finished are left as they are: their snapshots
    /// keep how they ended and carry no cancel reason.
    pub fn cancel_all(&self, reason: CancelReason) {
        let mut events = Vec::new();
        {
            let mut st = self.shared.state.lock();
            if st.cancel_all.is_none() {
                st.cancel_all = Some(reason.clone());
                // Published before any item is touched, so a lock-free
                // report that takes an item after this sees it.
                st.gate.fetch_or(gate::CANCEL_ALL, Ordering::SeqCst);
                for item in self.shared.items.iter() {
                    let mut record = item.lock();
                    if !record.bits.phase.is_terminal() {
                        record.bits.cancelled = true;
                    }
                }
                events.push(SessionEvent::ItemCancelled {
                    item: None,
                    reason: reason.clone(),
                });
            }
        }
        self.shared.tokens.all.cancel(reason);
        self.publish(events);
    }

    /// Ask the handler to skip `item` with `SetItemStatus(SKIPPED)`.
    ///
    /// `SetItemStatus` is legal only after `PrepareForSync` or `Synchronize`
    /// returned and before its completion ([§G.2 #18](crate::protocol#rule-18)). Inside such a window
    /// the skip is delivered at once, on this thread. Outside, it is
    /// **queued** while a window can still open (before `Synchronize` has
    /// returned) and delivered when it does; once no window can open, it is
    /// **refused**. From then on the item may only report a terminal status.
    ///
    /// A queued skip is never lost: until it is delivered, every `Progress`
    /// call naming the item is answered `CancelItem`, so a handler that
    /// works on the item (or completes before `Synchronize` returns, when
    /// no window opens at all) learns of it at its next report. Queued skips
    /// are delivered one by one, the window checked before each, so none is
    /// delivered after the completion that closed the window.
    ///
    /// The window is checked and the skip marked delivered under the
    /// session lock, but the call is made outside it, so a completion that
    /// the handler sends at that very moment may reach the host just before
    /// the handler receives the skip.
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownItem`], [`SessionError::NotInSyncSet`],
    /// [`SessionError::ItemFinished`], or [`SessionError::NoSkipWindow`]
    /// once no window can open.
    pub fn skip_item(&self, item: ItemId) -> Result<SkipOutcome, SessionError> {
        let deliver_now = {
            let mut st = self.shared.state.lock();
            let found = self.shared.items.find(item);
            let found = found.ok_or(SessionError::UnknownItem(item))?;
            // Checked and marked under the item's bit: a report finishing
            // the item at this moment comes either before or after.
            let mut record = found.lock();
            if !record.bits.in_sync_set {
                return Err(SessionError::NotInSyncSet(item));
            }
            if record.bits.phase.is_terminal() {
                return Err(SessionError::ItemFinished(item));
            }
            let phase = st.phase();
            let window_can_open = st.skip_window_can_open();
            let open = st.skip_window_open();
            if !open && !window_can_open {
                return Err(SessionError::NoSkipWindow(phase));
            }
            record.bits.skipped = true;
            // Marked delivered under the same lock as the window check: a
            // completion either closed the window before (then the skip is
            // queued) or comes after the handler has been told.
            record.bits.skip_delivered = open;
            drop(record);
            if !open {
                st.queued_skips.push(item);
            }
            let handler = open.then(|| self.shared.handler.lock().clone());
            (handler, self.shared.tokens.item(found.position()))
        };
        let (deliver_now, token) = deliver_now;
        if let Some(token) = token {
            token.cancel(CancelReason::Skipped);
        }
        match deliver_now {
            Some(handler) => {
                self.deliver_skip(handler, item);
                Ok(SkipOutcome::Delivered)
            }
            None => Ok(SkipOutcome::Queued),
        }
    }

    /// Call `SetItemStatus(item, SKIPPED)`; the item was marked delivered
    /// under the session lock, in an open window.
    fn deliver_skip(&self, handler: Option<Arc<dyn SyncHandler>>, item: ItemId) {
        let Some(handler) = handler else {
            return;
        };
        // From the moment the call starts the item may only report a
        // terminal status (also from inside the call, or from another
        // thread). A handler that refuses the skip keeps working on it.
        if handler
            .set_item_status(item, SyncMgrStatus::Skipped)
            .is_err()
        {
            self.update(|_, _| {
                if let Some(found) = self.shared.items.find(item) {
                    found.lock().bits.skip_delivered = false;
                }
            });
        }
    }

    /// Deliver the queued skips one by one while a window is open: the
    /// window is checked again before each (a delivery may complete the
    /// sync), and skips that cannot be delivered stay queued for the next
    /// window (their items' reports are answered `CancelItem` meanwhile).
    fn deliver_queued_skips(&self) {
        loop {
            let next = {
                let mut st = self.shared.state.lock();
                if !st.skip_window_open() || st.queued_skips.is_empty() {
                    return;
                }
                let item = st.queued_skips.remove(0);
                let Some(found) = self.shared.items.find(item) else {
                    continue;
                };
                let mut record = found.lock();
                // An item the handler finished meanwhile (it learned of the
                // skip from a `CancelItem` answer) needs no delivery.
                if !record.bits.in_sync_set || record.bits.phase.is_terminal() {
                    continue;
                }
                record.bits.skip_delivered = true;
                drop(record);
                (self.shared.handler.lock().clone(), item)
            };
            self.deliver_skip(next.0, next.1);
        }
    }

    /// Every violation recorded so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.state.lock().violations.clone()
    }

    /// The violations, ready to print.
    pub fn conformance_report(&self) -> ConformanceReport {
        let st = self.shared.state.lock();
        ConformanceReport {
            handler_name: st.handler_name.clone(),
            violations: st.violations.clone(),
        }
    }

    /// The connections the handler asked for with `EstablishConnection`
    /// (`None` is the default connection).
    pub fn connections(&self) -> Vec<Option<String>> {
        self.shared.state.lock().connections.clone()
    }

    /// Call `subscriber` for every transition from now on. It never runs
    /// under a session lock and may call any session method.
    pub fn subscribe(
        &self,
        subscriber: impl Fn(&SessionEvent) + Send + Sync + 'static,
    ) -> SubscriptionId {
        self.shared
            .events
            .subscribe(Subscriber::Plain(Arc::new(subscriber)))
    }

    /// As [`subscribe`](Self::subscribe), with the time each event was
    /// published (by the session's [`Clock`](crate::Clock), see
    /// [`SessionConfig::with_clock`]).
    pub fn subscribe_timed(
        &self,
        subscriber: impl Fn(Duration, &SessionEvent) + Send + Sync + 'static,
    ) -> SubscriptionId {
        self.shared
            .events
            .subscribe(Subscriber::Timed(Arc::new(subscriber)))
    }

    /// Stop a subscription; true if it existed.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.shared.events.unsubscribe(id)
    }
}
