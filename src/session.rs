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
//! [`items`](self::items)). Everything else — a first report after
//! cancel-all, a cancelled or skipped item, a text, any violation, every
//! other callback and every user request — takes the session's lock, as
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

pub(crate) mod index;
mod items;

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use crate::events::EventHub;
use crate::guard::PanicGuard;
use crate::rule::Refusal;
use crate::sync::{Arc, AtomicBool, AtomicU32, Condvar, Mutex, Ordering};
use crate::{
    CallbackError, CancelDecision, ErrorId, HResult, HandlerAnswer, HandlerError, ItemId, ItemKey,
    ItemPhase, LogErrorInfo, LogLevel, ModelessAnswer, Rule, SessionEvent, SubscriptionId,
    SyncCallback, SyncEvent, SyncHandler, SyncItem, SyncMgrFlags, SyncMgrProgress, SyncMgrStatus,
    SyncModifiers, Violation, WindowHandle,
};
use items::{ItemBits, ItemGuard, ItemRef, Items, SegmentBuilder};

/// How a session answers a protocol violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Refuse the offending call with the fitting error (`E_INVALIDARG`,
    /// `E_UNEXPECTED`, `E_ACCESSDENIED`) and record it.
    #[default]
    Strict,
    /// Record the violation and carry on, as Windows tolerates it.
    Lenient,
}

/// Why something was cancelled, for the UI and the log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancelReason {
    /// The user asked.
    User,
    /// A deadline passed.
    Timeout,
    /// The host is shutting down.
    Shutdown,
    /// Anything else, in words.
    Other(String),
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User => f.write_str("cancelled by the user"),
            Self::Timeout => f.write_str("timed out"),
            Self::Shutdown => f.write_str("host shutting down"),
            Self::Other(reason) => f.write_str(reason),
        }
    }
}

/// How a session is set up.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Strict or lenient conformance checking.
    pub mode: Mode,
    /// The `dwSyncMgrFlags` passed to `Initialize`.
    pub flags: SyncMgrFlags,
    /// The `lpCookie` passed to `Initialize` (only with `SyncEvent::Invoke`).
    pub cookie: Option<Vec<u8>>,
    /// How long to wait for each `*Completed` call before giving up.
    pub completion_timeout: Duration,
}

impl Default for SessionConfig {
    /// Strict, a manual sync without UI, a 30 second completion timeout.
    fn default() -> Self {
        Self {
            mode: Mode::Strict,
            flags: SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::empty()),
            cookie: None,
            completion_timeout: Duration::from_secs(30),
        }
    }
}

/// Where a session is in the documented sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionPhase {
    /// Not started.
    Created,
    /// `Initialize`, `GetHandlerInfo`, `EnumSyncMgrItems`.
    Initializing,
    /// Initialized, callback registered, nothing being synchronized.
    Ready,
    /// `PrepareForSync` called, its completion not yet recorded.
    Preparing,
    /// `Synchronize` called, its completion not yet recorded.
    Synchronizing,
    /// A synchronize cycle ended.
    Synchronized,
    /// `ShowError` called, its completion not yet recorded.
    ShowingError,
    /// The callback and the handler were released.
    Released,
}

/// How a session (or one sync cycle) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionOutcome {
    /// `Initialize` answered `S_FALSE`: the handler does not handle this
    /// event. Nothing else was called.
    Declined,
    /// No items were selected; `PrepareForSync` was not called (§G.2 #14).
    NothingToSync,
    /// `PrepareForSync` answered `S_FALSE`: it cannot prepare without UI.
    PrepareDeclined,
    /// `PrepareForSyncCompleted` reported a code other than `S_OK`;
    /// `Synchronize` was not called (§G.2 #14).
    PrepareFailed {
        /// The code the handler reported.
        code: HResult,
    },
    /// `SynchronizeCompleted` arrived with this code.
    Completed {
        /// The code the handler reported.
        code: HResult,
    },
    /// A handler method failed.
    HandlerFailed {
        /// The method, by its Windows name.
        call: &'static str,
        /// How it failed.
        error: HandlerError,
    },
    /// A completion did not arrive within the configured timeout.
    TimedOut {
        /// The completion waited for, by its Windows name.
        waiting_for: &'static str,
    },
}

impl SessionOutcome {
    /// True for a synchronize that completed with `S_OK`.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Completed { code } if code.is_s_ok())
    }
}

/// What became of a [`Session::skip_item`] request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipOutcome {
    /// Delivered now as `SetItemStatus(SKIPPED)`: a legal window was open.
    Delivered,
    /// Queued: it is delivered when the next legal window opens (after
    /// `PrepareForSync` or `Synchronize` returns, before its completion).
    Queued,
}

/// What became of a `ShowError` cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShowErrorOutcome {
    /// `ShowErrorCompleted` arrived with this code (not a retry).
    Completed {
        /// The code.
        code: HResult,
    },
    /// `ShowErrorCompleted(S_SYNCMGR_RETRYSYNC, items)`: run
    /// [`Driver::sync`] again with these items (§G.2 #19).
    Retry {
        /// The items to prepare and synchronize again.
        items: Vec<ItemId>,
    },
    /// `ShowError` failed; no completion follows.
    HandlerFailed {
        /// How it failed.
        error: HandlerError,
    },
    /// The completion did not arrive in time.
    TimedOut,
}

/// A request the session cannot carry out: the caller misused the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The item is not known to this session.
    #[error("item {0} is not known to this session")]
    UnknownItem(ItemId),
    /// The item is not part of the current synchronize set.
    #[error("item {0} is not being synchronized")]
    NotInSyncSet(ItemId),
    /// The item has already finished.
    #[error("item {0} has already finished")]
    ItemFinished(ItemId),
    /// No skip window can open any more in this phase.
    #[error("no SetItemStatus window can open in phase {0:?}")]
    NoSkipWindow(SessionPhase),
    /// The call does not fit the session's phase.
    #[error("{call} needs phase {expected}, but the session is in {actual:?}")]
    WrongPhase {
        /// The call.
        call: &'static str,
        /// The phases it needs, in words.
        expected: &'static str,
        /// The phase the session is in.
        actual: SessionPhase,
    },
    /// The log entry does not exist, has no error id, or was not logged with
    /// jump text (§G.5 #34).
    #[error("error {0} is not a live log entry with jump text")]
    NotShowable(ErrorId),
}

/// One entry of the error log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The level.
    pub level: LogLevel,
    /// The text.
    pub text: String,
    /// The error id, if the handler gave one.
    pub error_id: Option<ErrorId>,
    /// The item, if the handler named one.
    pub item: Option<ItemId>,
    /// True when the handler enabled jump text (the entry can be opened
    /// with `ShowError`).
    pub jump_text: bool,
}

impl LogEntry {
    /// True when `ShowError` may be offered for this entry (§G.5 #34).
    pub fn is_showable(&self) -> bool {
        self.error_id.is_some() && self.jump_text
    }
}

/// One item as a UI sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSnapshot {
    /// The item's id.
    pub id: ItemId,
    /// Its name, as enumerated (empty for items that only arrived on a retry).
    pub name: String,
    /// Its phase.
    pub phase: ItemPhase,
    /// The last progress value reported.
    pub value: Option<i32>,
    /// The last maximum reported.
    pub max: Option<i32>,
    /// The last status text reported.
    pub text: Option<String>,
    /// Why it was cancelled, if it was (directly or by cancel-all).
    pub cancel: Option<CancelReason>,
    /// True once a skip was requested.
    pub skipped: bool,
    /// True when it belongs to the current (or last) synchronize set.
    pub in_sync_set: bool,
    /// True when the host finished it because the handler never did.
    pub finished_by_host: bool,
}

impl ItemSnapshot {
    /// The item's progress from 0.0 to 1.0: 1.0 once finished, value / max
    /// while both are known, 0.0 otherwise.
    pub fn fraction(&self) -> f64 {
        if self.phase.is_terminal() {
            return 1.0;
        }
        match (self.value, self.max) {
            (Some(value), Some(max)) if max > 0 => (f64::from(value) / f64::from(max)).min(1.0),
            _ => 0.0,
        }
    }
}

/// Everything a UI shows, taken at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSnapshot {
    /// The phase.
    pub phase: SessionPhase,
    /// The handler's name, once known.
    pub handler_name: Option<String>,
    /// Every item the session knows, in enumeration order.
    pub items: Vec<ItemSnapshot>,
    /// Why everything was cancelled, if it was.
    pub cancel_all: Option<CancelReason>,
    /// The live log entries.
    pub log: Vec<LogEntry>,
    /// How many violations were recorded.
    pub violations: usize,
}

impl SessionSnapshot {
    /// The items of the current (or last) synchronize set.
    pub fn sync_set(&self) -> impl Iterator<Item = &ItemSnapshot> {
        self.items.iter().filter(|i| i.in_sync_set)
    }

    /// Items of the synchronize set that have finished, and how many there are.
    pub fn finished(&self) -> (usize, usize) {
        finished_of(self.sync_set())
    }

    /// Overall progress of the synchronize set, from 0.0 to 1.0 (0.0 when
    /// the set is empty).
    pub fn overall(&self) -> f64 {
        mean_fraction(self.sync_set())
    }
}

/// How many of `items` have finished, and how many there are.
pub(crate) fn finished_of<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> (usize, usize) {
    items.into_iter().fold((0, 0), |(done, total), item| {
        (done + usize::from(item.phase.is_terminal()), total + 1)
    })
}

/// The mean [`ItemSnapshot::fraction`] of `items`, each item counting the
/// same; 0.0 for no items.
pub(crate) fn mean_fraction<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> f64 {
    let (sum, count) = items.into_iter().fold((0.0, 0usize), |(sum, count), item| {
        (sum + item.fraction(), count + 1)
    });
    if count == 0 { 0.0 } else { sum / count as f64 }
}

/// The violations of one session, rendered for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceReport {
    /// The handler's name, if known.
    pub handler_name: Option<String>,
    /// Every violation, in the order recorded.
    pub violations: Vec<Violation>,
}

impl ConformanceReport {
    /// True when no rule was broken.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.handler_name.as_deref().unwrap_or("handler");
        if self.violations.is_empty() {
            return writeln!(f, "{name}: no protocol violations");
        }
        writeln!(f, "{name}: {} protocol violation(s)", self.violations.len())?;
        for violation in &self.violations {
            writeln!(f, "  {violation}")?;
            writeln!(f, "      rule: {}", violation.rule.summary())?;
        }
        Ok(())
    }
}

/// Grants `EnableModeless(TRUE)` to one session at a time (§G.4 #29).
#[derive(Debug, Default)]
pub(crate) struct ModelessArbiter {
    holder: Mutex<Option<u64>>,
}

impl ModelessArbiter {
    fn try_acquire(&self, session: u64) -> bool {
        let mut holder = self.holder.lock();
        match *holder {
            None => {
                *holder = Some(session);
                true
            }
            Some(current) => current == session,
        }
    }

    fn release(&self, session: u64) {
        let mut holder = self.holder.lock();
        if *holder == Some(session) {
            *holder = None;
        }
    }
}

/// The expected `*Completed` call of one handler method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Completion {
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
    fn arrive(&mut self, code: HResult) -> bool {
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
mod gate {
    /// Progress is legal (between `PrepareForSync` and the end of the cycle).
    pub(super) const OPEN: u32 = 1;
    /// Cancel-all was requested (one-way).
    pub(super) const CANCEL_ALL: u32 = 2;
}

#[derive(Default)]
struct State {
    phase: Option<SessionPhase>,
    handler_name: Option<String>,
    /// [`Shared::gate`], written only under this lock.
    gate: Arc<AtomicU32>,
    /// Status texts by item position (only items that reported one).
    texts: HashMap<usize, String>,
    /// Cancel reasons by item position (only items the user cancelled).
    cancel_reasons: HashMap<usize, CancelReason>,
    prepare: Completion,
    prepare_returned: bool,
    synchronize: Completion,
    synchronize_returned: bool,
    show_error: Completion,
    show_properties: Completion,
    cancel_all: Option<CancelReason>,
    cancel_all_answered: bool,
    log: Vec<LogEntry>,
    modeless_held: bool,
    connections: Vec<Option<String>>,
    violations: Vec<Violation>,
    queued_skips: Vec<ItemId>,
    retry_items: Option<Vec<ItemId>>,
}

impl State {
    fn prepare(&mut self) -> &mut Completion {
        &mut self.prepare
    }

    fn synchronize(&mut self) -> &mut Completion {
        &mut self.synchronize
    }

    fn show_error(&mut self) -> &mut Completion {
        &mut self.show_error
    }

    fn show_properties(&mut self) -> &mut Completion {
        &mut self.show_properties
    }

    fn phase(&self) -> SessionPhase {
        self.phase.unwrap_or(SessionPhase::Created)
    }

    /// True between `PrepareForSync` and the end of the cycle.
    fn progress_open(&self) -> bool {
        self.gate.load(Ordering::Relaxed) & gate::OPEN != 0
    }

    /// Open or close the progress window. Closing is published before
    /// anything else the caller does under the lock, so a lock-free report
    /// that takes an item after the host finalized it sees the window shut.
    fn set_progress_open(&mut self, open: bool) {
        if open {
            self.gate.fetch_or(gate::OPEN, Ordering::SeqCst);
        } else {
            self.gate.fetch_and(!gate::OPEN, Ordering::SeqCst);
        }
    }

    /// True while a `SetItemStatus` window is open or can still open in
    /// this cycle: PrepareForSync has not returned yet (its window follows),
    /// or preparation succeeded and Synchronize has not returned yet.
    fn skip_window_can_open(&self) -> bool {
        let prepare_pending = self.prepare == Completion::Awaiting && !self.prepare_returned;
        let synchronize_ahead = self.prepare == Completion::Arrived(HResult::S_OK)
            && match self.synchronize {
                Completion::Idle => true,
                Completion::Awaiting => !self.synchronize_returned,
                Completion::Arrived(_) | Completion::GaveUp => false,
            };
        self.progress_open() && (prepare_pending || synchronize_ahead)
    }

    fn skip_window_open(&self) -> bool {
        (self.prepare_returned && self.prepare == Completion::Awaiting)
            || (self.synchronize_returned && self.synchronize == Completion::Awaiting)
    }

    /// What a snapshot shows of `item` besides its words: its text and why
    /// it is cancelled (its own reason, else cancel-all's).
    fn item_extras(
        &self,
        item: ItemRef<'_>,
        bits: ItemBits,
    ) -> (Option<&String>, Option<&CancelReason>) {
        let text = bits
            .has_text
            .then(|| self.texts.get(&item.position()))
            .flatten();
        let own = bits
            .cancelled
            .then(|| self.cancel_reasons.get(&item.position()))
            .flatten();
        (text, own.or(self.cancel_all.as_ref()))
    }

    /// `item` as a UI sees it.
    fn item_snapshot(&self, item: ItemRef<'_>) -> ItemSnapshot {
        let bits = item.read();
        let (text, cancel) = self.item_extras(item, bits);
        ItemSnapshot {
            id: item.id(),
            name: item.name().to_owned(),
            phase: bits.phase,
            value: bits.value,
            max: bits.max,
            text: text.cloned(),
            cancel: cancel.cloned(),
            skipped: bits.skipped,
            in_sync_set: bits.in_sync_set,
            finished_by_host: bits.finished_by_host,
        }
    }

    /// Overwrite `out` with `item` as a UI sees it, reusing its strings.
    fn item_snapshot_into(&self, item: ItemRef<'_>, out: &mut ItemSnapshot) {
        let bits = item.read();
        let (text, cancel) = self.item_extras(item, bits);
        out.id = item.id();
        out.name.clear();
        out.name.push_str(item.name());
        out.phase = bits.phase;
        out.value = bits.value;
        out.max = bits.max;
        match (text, &mut out.text) {
            (Some(text), Some(kept)) => {
                kept.clear();
                kept.push_str(text);
            }
            (text, kept) => *kept = text.cloned(),
        }
        out.cancel = cancel.cloned();
        out.skipped = bits.skipped;
        out.in_sync_set = bits.in_sync_set;
        out.finished_by_host = bits.finished_by_host;
    }
}

struct Shared {
    id: u64,
    config: SessionConfig,
    /// [`gate`] bits; written under `state`'s lock, read by lock-free
    /// reports.
    gate: Arc<AtomicU32>,
    /// Every item; see [`Items`] for what may be read and written without
    /// `state`'s lock.
    items: Items,
    state: Mutex<State>,
    completion_arrived: Condvar,
    events: EventHub,
    arbiter: Arc<ModelessArbiter>,
    handler: Mutex<Option<Arc<dyn SyncHandler>>>,
}

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
/// assert_eq!(session.snapshot().items[0].phase, syncmgr::ItemPhase::Succeeded);
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

static NEXT_SESSION_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Session {
    /// A new session with its own modeless arbitration.
    pub fn new(config: SessionConfig) -> Self {
        Self::with_arbiter(config, Arc::default())
    }

    pub(crate) fn with_arbiter(config: SessionConfig, arbiter: Arc<ModelessArbiter>) -> Self {
        let gate = Arc::new(AtomicU32::new(0));
        Self {
            shared: Arc::new(Shared {
                id: NEXT_SESSION_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                config,
                gate: Arc::clone(&gate),
                items: Items::default(),
                state: Mutex::new(State {
                    gate,
                    ..State::default()
                }),
                completion_arrived: Condvar::new(),
                events: EventHub::default(),
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
        *self.shared.handler.lock() = Some(handler.clone());
        Driver {
            session: self.clone(),
            handler,
            endpoint: None,
            released: false,
        }
    }

    /// Ask for `item` to be cancelled: its next progress call answers
    /// `CancelItem` (and every one after it, until the item finishes).
    ///
    /// One-way and idempotent: a second request keeps the first reason.
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownItem`] if the session does not know the item.
    pub fn cancel_item(&self, item: ItemId, reason: CancelReason) -> Result<(), SessionError> {
        let mut events = Vec::new();
        {
            let mut st = self.shared.state.lock();
            let found = self.shared.items.find(item);
            let found = found.ok_or(SessionError::UnknownItem(item))?;
            let newly = !std::mem::replace(&mut found.lock().bits.cancelled, true);
            if newly {
                st.cancel_reasons.insert(found.position(), reason.clone());
                events.push(SessionEvent::ItemCancelled {
                    item: Some(item),
                    reason,
                });
            }
        }
        self.shared.events.publish(events);
        Ok(())
    }

    /// Cancel everything: every progress call from now on answers
    /// `CancelAll` (sticky), and items that enter later are born cancelled.
    pub fn cancel_all(&self, reason: CancelReason) {
        let mut events = Vec::new();
        {
            let mut st = self.shared.state.lock();
            if st.cancel_all.is_none() {
                st.cancel_all = Some(reason.clone());
                st.gate.fetch_or(gate::CANCEL_ALL, Ordering::SeqCst);
                events.push(SessionEvent::ItemCancelled { item: None, reason });
            }
        }
        self.shared.events.publish(events);
    }

    /// Ask the handler to skip `item` with `SetItemStatus(SKIPPED)`.
    ///
    /// `SetItemStatus` is legal only after `PrepareForSync` or `Synchronize`
    /// returned and before its completion (§G.2 #18). Inside such a window
    /// the skip is delivered at once, on this thread. Outside, it is
    /// **queued** while a window can still open (before `Synchronize` has
    /// returned) and delivered when it does; once no window can open, it is
    /// **refused**. From then on the item may only report a terminal status.
    ///
    /// The window is checked when the request arrives and the call is made
    /// outside the session lock, so a completion that the handler sends at
    /// that very moment may reach the host just before the handler receives
    /// the skip.
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
            drop(record);
            if !open {
                st.queued_skips.push(item);
            }
            open
        };
        if deliver_now {
            self.deliver_skip(item);
            Ok(SkipOutcome::Delivered)
        } else {
            Ok(SkipOutcome::Queued)
        }
    }

    fn deliver_skip(&self, item: ItemId) {
        let Some(handler) = self.shared.handler.lock().clone() else {
            return;
        };
        let set_delivered = |delivered: bool| {
            self.update(|_, _| {
                if let Some(found) = self.shared.items.find(item) {
                    found.lock().bits.skip_delivered = delivered;
                }
            });
        };
        // From the moment the call starts the item may only report a
        // terminal status (also from inside the call, or from another
        // thread). A handler that refuses the skip keeps working on it.
        set_delivered(true);
        if handler
            .set_item_status(item, SyncMgrStatus::Skipped)
            .is_err()
        {
            set_delivered(false);
        }
    }

    fn deliver_queued_skips(&self) {
        let queued = {
            let mut st = self.shared.state.lock();
            if !st.skip_window_open() {
                return;
            }
            std::mem::take(&mut st.queued_skips)
        };
        for item in queued {
            self.deliver_skip(item);
        }
    }

    /// Everything a UI shows.
    ///
    /// Taken under the session's lock, so everything but progress is from
    /// one instant. Progress reports do not take that lock: a report that
    /// runs on another thread while the snapshot is taken shows in it
    /// whole or not at all, item by item. A UI that polls a large session
    /// can reuse one snapshot's memory with
    /// [`snapshot_into`](Self::snapshot_into).
    pub fn snapshot(&self) -> SessionSnapshot {
        let mut snapshot = SessionSnapshot {
            phase: SessionPhase::Created,
            handler_name: None,
            items: Vec::new(),
            cancel_all: None,
            log: Vec::new(),
            violations: 0,
        };
        self.snapshot_into(&mut snapshot);
        snapshot
    }

    /// [`snapshot`](Self::snapshot) into an existing snapshot, reusing its
    /// memory: the item list and the names and texts in it are overwritten
    /// in place, so polling a session whose items do not change allocates
    /// nothing.
    ///
    /// ```
    /// use syncmgr::{Session, SessionConfig, SessionPhase};
    ///
    /// let session = Session::new(SessionConfig::default());
    /// let mut view = session.snapshot();
    /// // ... later, at the UI's own rate:
    /// session.snapshot_into(&mut view);
    /// assert_eq!(view.phase, SessionPhase::Created);
    /// ```
    pub fn snapshot_into(&self, snapshot: &mut SessionSnapshot) {
        let st = self.shared.state.lock();
        snapshot.phase = st.phase();
        snapshot.handler_name.clone_from(&st.handler_name);
        snapshot.cancel_all.clone_from(&st.cancel_all);
        snapshot.log.clone_from(&st.log);
        snapshot.violations = st.violations.len();
        let items = &self.shared.items;
        let out = &mut snapshot.items;
        out.truncate(items.len());
        out.reserve_exact(items.len() - out.len());
        let mut all = items.iter();
        for (slot, item) in out.iter_mut().zip(all.by_ref()) {
            st.item_snapshot_into(item, slot);
        }
        out.extend(all.map(|item| st.item_snapshot(item)));
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
        self.shared.events.subscribe(Arc::new(subscriber))
    }

    /// Stop a subscription; true if it existed.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.shared.events.unsubscribe(id)
    }

    /// Run `f` on the locked state and publish the events it gathered after
    /// the lock is released.
    fn update<R>(&self, f: impl FnOnce(&mut State, &mut Vec<SessionEvent>) -> R) -> R {
        let mut events = Vec::new();
        let result = {
            let mut st = self.shared.state.lock();
            f(&mut st, &mut events)
        };
        self.shared.events.publish(events);
        result
    }

    fn set_phase(st: &mut State, events: &mut Vec<SessionEvent>, to: SessionPhase) {
        let from = st.phase();
        if from != to {
            st.phase = Some(to);
            events.push(SessionEvent::PhaseChanged { from, to });
        }
    }

    /// Record a violation; in strict mode answer the fitting error.
    #[allow(clippy::too_many_arguments)]
    fn breach(
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

    fn check_not_released(
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

    fn complete(
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
    fn wait_for(&self, which: fn(&mut State) -> &mut Completion) -> Option<HResult> {
        let deadline = Instant::now() + self.shared.config.completion_timeout;
        let mut st = self.shared.state.lock();
        loop {
            match *which(&mut st) {
                Completion::Arrived(code) => return Some(code),
                Completion::Awaiting => {
                    if self
                        .shared
                        .completion_arrived
                        .wait_until(&mut st, deadline)
                        .timed_out()
                        && *which(&mut st) == Completion::Awaiting
                    {
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
    fn no_completion_expected(
        &self,
        which: fn(&mut State) -> &mut Completion,
        rule: Rule,
        call: &'static str,
    ) {
        self.update(|st, events| {
            if let Completion::Arrived(code) = *which(st) {
                let _ = self.breach(
                    st,
                    events,
                    rule,
                    call,
                    None,
                    "no completion after an unsuccessful call",
                    format!("{code}"),
                    Refusal::Unexpected,
                );
            }
            *which(st) = Completion::Idle;
        });
    }

    fn progress(
        &self,
        released: bool,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        if !released && let Some(decision) = self.progress_lock_free(item, report) {
            return Ok(decision);
        }
        self.update(|st, events| {
            let call = "Progress";
            self.check_not_released(st, events, released, call, Some(item))?;
            if !st.progress_open() {
                self.breach(
                    st,
                    events,
                    Rule::PROGRESS_WINDOW,
                    call,
                    Some(item),
                    "Progress between PrepareForSync and SynchronizeCompleted",
                    format!("Progress in phase {:?}", st.phase()),
                    Refusal::Unexpected,
                )?;
            }
            // `in_sync_set` changes only under the session's lock.
            let found = self.shared.items.find(item);
            let target = match found {
                Some(found) if found.read().in_sync_set => Some(found),
                known => {
                    let got = if known.is_some() {
                        "an item outside the prepared set"
                    } else {
                        "an unknown item"
                    };
                    self.breach(
                        st,
                        events,
                        Rule::PREPARED_SET,
                        call,
                        Some(item),
                        "an item of the prepared set",
                        got,
                        Refusal::InvalidArgument,
                    )?;
                    known
                }
            };
            let Some(target) = target else {
                // Tolerated (lenient): answer the handler-wide cancel only.
                return Ok(if st.cancel_all.is_some() {
                    st.cancel_all_answered = true;
                    CancelDecision::CancelAll
                } else {
                    CancelDecision::Continue
                });
            };
            let mut record = target.lock();
            if !record.bits.opened && st.cancel_all_answered {
                // §G.3 #23. A handler whose threads race with the CANCELALL
                // answer cannot always avoid this, so even a strict host
                // answers CANCELALL (the report is not applied) rather than
                // an error: the thread learns to stop.
                // Only the strict answer is given here: answering marks the
                // item cancel-answered, which must not colour the lenient
                // check of this same report (§G.3 #22 needs an earlier answer).
                let answered = self.strict().then(|| Self::answer(st, &mut record));
                Self::record(
                    st,
                    events,
                    Violation {
                        rule: Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL,
                        call,
                        item: Some(item.into()),
                        expected: "no new item after CANCELALL".into(),
                        got: "a Progress opening a new item".into(),
                        answered: answered.map(CancelDecision::to_hresult),
                    },
                );
                if let Some(answered) = answered {
                    return Ok(answered);
                }
            }
            match report {
                Some(report) => {
                    if !self.apply_report(st, events, target, &mut record, report)? {
                        return Ok(Self::answer(st, &mut record));
                    }
                }
                // A pure cancellation poll (§G.3 #25) changes nothing but
                // opens the item: the handler asked before starting it.
                None => Self::open(events, target, &mut record.bits),
            }
            Ok(Self::answer(st, &mut record))
        })
    }

    /// The hot path of `Progress`: a report on an item of the prepared set
    /// that breaks no rule, carries no text and meets no cancel, applied
    /// under the item's bit alone (see [`Items`]). `None` sends the call
    /// down the locked path, which checks and applies everything; nothing
    /// has changed then.
    #[inline]
    fn progress_lock_free(
        &self,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Option<CancelDecision> {
        let shared = &*self.shared;
        if shared.gate.load(Ordering::Acquire) != gate::OPEN
            || report.is_some_and(|r| r.status_text().is_some())
        {
            return None;
        }
        let target = shared.items.find(item)?;
        let mut events = Vec::new();
        {
            let mut record = target.lock();
            // Seen again under the bit: a cycle that ended (or a cancel-all
            // that arrived) before the host took this item is seen here.
            let bits = record.bits;
            if shared.gate.load(Ordering::Acquire) != gate::OPEN
                || !bits.in_sync_set
                || bits.cancelled
                || bits.cancel_answered
                || bits.skip_delivered
            {
                return None;
            }
            if let Some(report) = report {
                let status = report.status();
                if !bits.opened && status.is_some_and(SyncMgrStatus::is_terminal) {
                    return None; // §G.3 #20
                }
                let next = match status {
                    Some(status) => Some(bits.phase.on(status).ok()?),
                    None => None,
                };
                let value = report.value().or(bits.value);
                let max = report.max().or(bits.max);
                let changes_range = report.value().is_some() || report.max().is_some();
                if changes_range && value.zip(max).is_some_and(|(v, m)| v > m) {
                    return None; // §G.3 #27
                }
                let still_updating = bits.phase.status().is_updating()
                    && next.is_none_or(|p| p.status().is_updating());
                if still_updating && report.value().zip(bits.value).is_some_and(|(n, o)| n < o) {
                    return None; // §G.3 #27
                }
                Self::open(&mut events, target, &mut record.bits);
                let record = &mut record.bits;
                record.value = value;
                record.max = max;
                if let Some(next) = next {
                    Self::move_to(&mut events, target, record, next);
                }
            } else {
                Self::open(&mut events, target, &mut record.bits);
            }
        }
        if !events.is_empty() {
            shared.events.publish(events);
        }
        Some(CancelDecision::Continue)
    }

    fn strict(&self) -> bool {
        self.shared.config.mode == Mode::Strict
    }

    /// Record `violation` and publish it (after the lock is released).
    fn record(st: &mut State, events: &mut Vec<SessionEvent>, violation: Violation) {
        st.violations.push(violation.clone());
        events.push(SessionEvent::ViolationRecorded(violation));
    }

    #[inline]
    fn open(events: &mut Vec<SessionEvent>, item: ItemRef<'_>, record: &mut ItemBits) {
        if !record.opened {
            record.opened = true;
            events.push(SessionEvent::ItemStarted { item: item.id() });
        }
    }

    /// Move the item to `next`, announcing it when that finishes it.
    fn move_to(
        events: &mut Vec<SessionEvent>,
        item: ItemRef<'_>,
        record: &mut ItemBits,
        next: ItemPhase,
    ) {
        let finished_now =
            next.is_terminal() && (!record.phase.is_terminal() || next != record.phase);
        record.phase = next;
        if finished_now {
            events.push(SessionEvent::ItemFinished {
                item: item.id(),
                status: next.status(),
                by_host: false,
            });
        }
    }

    /// The cancel decision for a progress call on `record` (§G.3 #21).
    fn answer(st: &mut State, record: &mut ItemGuard<'_>) -> CancelDecision {
        if st.cancel_all.is_some() {
            st.cancel_all_answered = true;
            record.bits.cancel_answered = true;
            CancelDecision::CancelAll
        } else if record.bits.cancelled {
            record.bits.cancel_answered = true;
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        }
    }

    /// Check a report against every rule and apply it. Returns false when the
    /// host does not apply it but answers with the pending cancel instead
    /// (§G.3 #22: "the host re-answers CANCELITEM").
    fn apply_report(
        &self,
        st: &mut State,
        events: &mut Vec<SessionEvent>,
        item: ItemRef<'_>,
        record: &mut ItemGuard<'_>,
        report: &SyncMgrProgress,
    ) -> Result<bool, CallbackError> {
        let id = item.id();
        let call = "Progress";
        let status = report.status();
        let (opened, phase) = (record.bits.opened, record.bits.phase);
        let status_text = |s: Option<SyncMgrStatus>| s.map_or_else(String::new, |s| s.to_string());
        // An item skipped before it started may acknowledge with a terminal
        // first report: §G.2 #18 allows nothing else.
        let skip_delivered = record.bits.skip_delivered;
        if !opened && !skip_delivered && status.is_some_and(SyncMgrStatus::is_terminal) {
            self.breach(
                st,
                events,
                Rule::PROGRESS_BEFORE_ITEM,
                call,
                Some(id),
                "a non-terminal first report",
                format!("a first report of {}", status_text(status)),
                Refusal::InvalidArgument,
            )?;
        }
        // §G.3 #22 applies once this item's own call was answered with a
        // cancel (CANCELITEM, or CANCELALL on a call naming it).
        if record.bits.cancel_answered && !phase.is_terminal() {
            let ends = |s: SyncMgrStatus| {
                matches!(
                    s,
                    SyncMgrStatus::Stopped | SyncMgrStatus::Skipped | SyncMgrStatus::Failed
                )
            };
            let more_work = report
                .value()
                .zip(record.bits.value)
                .is_some_and(|(new, old)| new > old);
            let bad_status = status.is_some_and(|s| !ends(s));
            if bad_status || more_work {
                let got = match status {
                    Some(s) if bad_status => format!("status {s}"),
                    _ => "an increasing progress value".to_owned(),
                };
                let answered = self.strict().then(|| Self::answer(st, record));
                Self::record(
                    st,
                    events,
                    Violation {
                        rule: Rule::CANCELLED_ITEM_ENDS,
                        call,
                        item: Some(id.into()),
                        expected: "STOPPED, SKIPPED or FAILED after a cancel".into(),
                        got,
                        answered: answered.map(CancelDecision::to_hresult),
                    },
                );
                if answered.is_some() {
                    return Ok(false);
                }
            }
        }
        if record.bits.skip_delivered
            && status.is_some_and(|s| !s.is_terminal() || s == SyncMgrStatus::Deleted)
        {
            self.breach(
                st,
                events,
                Rule::SKIP_WINDOW,
                call,
                Some(id),
                "a terminal status after SetItemStatus(SKIPPED)",
                format!("status {}", status_text(status)),
                Refusal::AccessDenied,
            )?;
        }
        let next_phase = match status.map(|s| phase.on(s)) {
            None => None,
            Some(Ok(next)) => Some(next),
            Some(Err(violation)) => {
                let refusal = if violation.rule == Rule::TERMINAL_IS_FINAL {
                    Refusal::AccessDenied
                } else {
                    Refusal::InvalidArgument
                };
                self.breach(
                    st,
                    events,
                    violation.rule,
                    call,
                    Some(id),
                    violation.expected,
                    format!("{} in phase {}", violation.reported, violation.from),
                    refusal,
                )?;
                None
            }
        };
        // §G.3 #27 is undocumented, so a host warns rather than fails: the
        // violation is recorded in both modes and the report applied. It is
        // checked only when this report changes the value or the maximum,
        // so it is recorded once, not on every later report.
        let value = report.value().or(record.bits.value);
        let max = report.max().or(record.bits.max);
        let changes_range = report.value().is_some() || report.max().is_some();
        if let (true, Some(value), Some(max)) = (changes_range, value, max)
            && value > max
        {
            Self::record(
                st,
                events,
                Violation {
                    rule: Rule::VALUE_WITHIN_MAX,
                    call,
                    item: Some(id.into()),
                    expected: format!("a value of at most {max}"),
                    got: format!("value {value}"),
                    answered: None,
                },
            );
        }
        let still_updating = record.bits.phase.status().is_updating()
            && next_phase.is_none_or(|p| p.status().is_updating());
        if let (Some(new), Some(old)) = (report.value(), record.bits.value)
            && still_updating
            && new < old
        {
            Self::record(
                st,
                events,
                Violation {
                    rule: Rule::VALUE_WITHIN_MAX,
                    call,
                    item: Some(id.into()),
                    expected: format!("a value of at least {old} while updating"),
                    got: format!("value {new}"),
                    answered: None,
                },
            );
        }

        Self::open(events, item, &mut record.bits);
        if let Some(text) = report.status_text() {
            st.texts.insert(item.position(), text.to_owned());
            record.bits.has_text = true;
        }
        if report.value().is_some() {
            record.bits.value = report.value();
        }
        if report.max().is_some() {
            record.bits.max = report.max();
        }
        if let Some(next) = next_phase {
            Self::move_to(events, item, &mut record.bits, next);
        }
        Ok(true)
    }

    /// Finish every item of the synchronize set the handler left unfinished:
    /// `Stopped` when it was cancelled, `Failed` otherwise.
    fn finalize_items(&self, st: &mut State, events: &mut Vec<SessionEvent>) {
        let cancel_all = st.cancel_all.is_some();
        for item in self.shared.items.iter() {
            // `in_sync_set` only changes under the session's lock; the phase
            // is checked again under the item's bit.
            let seen = item.read();
            if !seen.in_sync_set || seen.phase.is_terminal() {
                continue;
            }
            let mut record = item.lock();
            let bits = &mut record.bits;
            if bits.phase.is_terminal() {
                continue;
            }
            let next = if cancel_all || bits.cancelled || bits.skipped {
                ItemPhase::Stopped
            } else {
                ItemPhase::Failed
            };
            bits.phase = next;
            bits.finished_by_host = true;
            events.push(SessionEvent::ItemFinished {
                item: item.id(),
                status: next.status(),
                by_host: true,
            });
        }
    }
}

/// The host's callback object for one driver: forwards to the session and
/// notices calls after its release (§G.1 #8).
struct Endpoint {
    session: Session,
    released: AtomicBool,
}

impl Endpoint {
    fn released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }
}

impl SyncCallback for Endpoint {
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.session.complete(
            self.released(),
            "ShowPropertiesCompleted",
            Rule::SHOW_PROPERTIES_COMPLETED_ONCE,
            State::show_properties,
            outcome,
            |_, _| {},
        )
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.session.complete(
            self.released(),
            "PrepareForSyncCompleted",
            Rule::PREPARE_COMPLETED_ONCE,
            State::prepare,
            outcome,
            // A failed preparation ends the cycle: no Synchronize, no progress.
            |st, code| {
                if !code.is_s_ok() {
                    st.set_progress_open(false);
                }
            },
        )
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.session.complete(
            self.released(),
            "SynchronizeCompleted",
            Rule::SYNCHRONIZE_COMPLETED_ONCE,
            State::synchronize,
            outcome,
            |st, _| st.set_progress_open(false),
        )
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        // A retry without items breaks §G.2 #19, but the completion still
        // ends the show-error cycle (as a plain completion).
        let retry = if outcome == HResult::S_SYNCMGR_RETRYSYNC {
            self.session.update(|st, events| {
                if retry_items.is_empty() {
                    self.session.breach(
                        st,
                        events,
                        Rule::RETRY_ITEMS,
                        "ShowErrorCompleted",
                        None,
                        "at least one item with S_SYNCMGR_RETRYSYNC",
                        "no items",
                        Refusal::InvalidArgument,
                    )?;
                }
                st.retry_items = Some(retry_items.to_vec());
                Ok(())
            })
        } else {
            Ok(())
        };
        let completed = self.session.complete(
            self.released(),
            "ShowErrorCompleted",
            Rule::SHOW_ERROR_COMPLETED_ONCE,
            State::show_error,
            outcome,
            |_, _| {},
        );
        retry.and(completed)
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        let session = &self.session;
        let shared = &session.shared;
        session.update(|st, events| {
            session.check_not_released(st, events, self.released(), "EnableModeless", None)?;
            if !enable {
                if !st.modeless_held {
                    session.breach(
                        st,
                        events,
                        Rule::MODELESS_PAIRED,
                        "EnableModeless",
                        None,
                        "EnableModeless(FALSE) after a granted EnableModeless(TRUE)",
                        "FALSE without TRUE",
                        Refusal::Unexpected,
                    )?;
                }
                st.modeless_held = false;
                shared.arbiter.release(shared.id);
                return Ok(ModelessAnswer::Granted);
            }
            if st.modeless_held {
                session.breach(
                    st,
                    events,
                    Rule::MODELESS_PAIRED,
                    "EnableModeless",
                    None,
                    "EnableModeless(FALSE) before another TRUE",
                    "a nested TRUE",
                    Refusal::Unexpected,
                )?;
                return Ok(ModelessAnswer::Granted);
            }
            let quiet = matches!(
                st.phase(),
                SessionPhase::Preparing | SessionPhase::Synchronizing
            ) && !shared.config.flags.may_bother_user();
            if quiet || !shared.arbiter.try_acquire(shared.id) {
                return Ok(ModelessAnswer::Refused);
            }
            st.modeless_held = true;
            Ok(ModelessAnswer::Granted)
        })
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.session.progress(self.released(), item, progress)
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        let session = &self.session;
        session.update(|st, events| {
            let call = "LogError";
            session.check_not_released(st, events, self.released(), call, None)?;
            let error_id = info.and_then(LogErrorInfo::error_id);
            let item = info.and_then(LogErrorInfo::item_id);
            if let Some(id) = error_id {
                if id.is_null() {
                    session.breach(
                        st,
                        events,
                        Rule::ERROR_ID_UNIQUE,
                        call,
                        item,
                        "a non-zero error id",
                        "the all-zero id",
                        Refusal::InvalidArgument,
                    )?;
                } else if st.log.iter().any(|e| e.error_id == Some(id)) {
                    session.breach(
                        st,
                        events,
                        Rule::ERROR_ID_UNIQUE,
                        call,
                        item,
                        "an error id unique among live entries",
                        format!("{id} again"),
                        Refusal::InvalidArgument,
                    )?;
                }
            }
            if let Some(item) = item {
                match session.shared.items.find(item).map(ItemRef::read) {
                    Some(bits) if bits.in_sync_set => {
                        if !bits.opened {
                            session.breach(
                                st,
                                events,
                                Rule::PROGRESS_BEFORE_ITEM,
                                call,
                                Some(item),
                                "a Progress before the first LogError naming the item",
                                "a LogError first",
                                Refusal::InvalidArgument,
                            )?;
                        }
                    }
                    _ => session.breach(
                        st,
                        events,
                        Rule::PREPARED_SET,
                        call,
                        Some(item),
                        "an item of the prepared set",
                        "an item outside it",
                        Refusal::InvalidArgument,
                    )?,
                }
            }
            let entry = LogEntry {
                level,
                text: text.to_owned(),
                error_id,
                item,
                jump_text: info.is_some_and(LogErrorInfo::jump_text_enabled),
            };
            st.log.push(entry.clone());
            events.push(SessionEvent::LogEntryAdded(entry));
            Ok(())
        })
    }

    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        let session = &self.session;
        session.update(|st, events| {
            session.check_not_released(st, events, self.released(), "DeleteLogError", None)?;
            let (removed, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut st.log)
                .into_iter()
                .partition(|e| error == ErrorId::ALL || e.error_id == Some(error));
            st.log = kept;
            events.extend(removed.into_iter().map(SessionEvent::LogEntryRemoved));
            // Deleting an unknown id is harmless (§G.5 #33).
            Ok(())
        })
    }

    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        let session = &self.session;
        session.update(|st, events| {
            session.check_not_released(st, events, self.released(), "EstablishConnection", None)?;
            if !st.progress_open() {
                session.breach(
                    st,
                    events,
                    Rule::CONNECTION_WINDOW,
                    "EstablishConnection",
                    None,
                    "a call between PrepareForSync and SynchronizeCompleted",
                    format!("a call in phase {:?}", st.phase()),
                    Refusal::Unexpected,
                )?;
            }
            st.connections.push(connection.map(str::to_owned));
            Ok(())
        })
    }
}

/// Drives one handler through the sequence step by step.
///
/// [`Session::run`] covers the usual straight path; a `Driver` adds the
/// show-error / retry cycle. Dropping a driver releases the callback and the
/// handler if [`release`](Self::release) was not called.
pub struct Driver {
    session: Session,
    handler: Arc<dyn SyncHandler>,
    endpoint: Option<Arc<Endpoint>>,
    released: bool,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Driver {
    fn set_phase(&self, to: SessionPhase) {
        self.session
            .update(|st, events| Session::set_phase(st, events, to));
    }

    /// `Initialize`, `GetHandlerInfo`, `EnumSyncMgrItems` and
    /// `SetProgressCallback(callback)`; returns the enumerated items.
    ///
    /// # Errors
    ///
    /// The outcome that ends the session: [`SessionOutcome::Declined`] or
    /// [`SessionOutcome::HandlerFailed`]. Nothing but release follows.
    pub fn initialize(&mut self) -> Result<Vec<SyncItem>, SessionOutcome> {
        let config = self.session.config().clone();
        if self.session.phase() != SessionPhase::Created {
            return Err(SessionOutcome::HandlerFailed {
                call: "Initialize",
                error: HandlerError::Unexpected {
                    reason: "the session was already initialized".into(),
                },
            });
        }
        self.set_phase(SessionPhase::Initializing);
        let failed = |call, error| SessionOutcome::HandlerFailed { call, error };
        match self
            .handler
            .initialize(config.flags, config.cookie.as_deref())
        {
            Ok(HandlerAnswer::Accept) => {}
            Ok(HandlerAnswer::Decline) => return Err(SessionOutcome::Declined),
            Err(error) => return Err(failed("Initialize", error)),
        }
        let info = self
            .handler
            .handler_info()
            .map_err(|e| failed("GetHandlerInfo", e))?;
        let enumeration = self
            .handler
            .enum_items()
            .map_err(|e| failed("EnumSyncMgrItems", e))?;
        let items = self.session.update(|st, events| {
            st.handler_name = Some(info.name().to_owned());
            let known = &self.session.shared.items;
            let mut items = Vec::with_capacity(enumeration.items.len());
            let mut segment = SegmentBuilder::with_capacity(enumeration.items.len());
            for item in enumeration.items {
                if segment.contains(item.id()) || known.find(item.id()).is_some() {
                    let _ = self.session.breach(
                        st,
                        events,
                        Rule::ENUMERATION_VALID,
                        "EnumSyncMgrItems",
                        Some(item.id()),
                        "unique item ids",
                        "a duplicate id (ignored)",
                        Refusal::InvalidArgument,
                    );
                    continue;
                }
                segment.push(item.id(), item.name());
                items.push(item);
            }
            known.append(segment);
            items
        });
        let endpoint = Arc::new(Endpoint {
            session: self.session.clone(),
            released: AtomicBool::new(false),
        });
        self.endpoint = Some(endpoint.clone());
        self.handler
            .set_progress_callback(Some(endpoint))
            .map_err(|e| failed("SetProgressCallback", e))?;
        self.set_phase(SessionPhase::Ready);
        Ok(items)
    }

    /// Prepare and synchronize `items` (one cycle; call again for a retry).
    ///
    /// Items the session does not know yet (a retry may name them) are added,
    /// born cancelled after a cancel-all.
    ///
    /// # Errors
    ///
    /// [`SessionError::WrongPhase`] before [`initialize`](Self::initialize)
    /// succeeded or after [`release`](Self::release).
    pub fn sync(&mut self, items: &[ItemId]) -> Result<SessionOutcome, SessionError> {
        let phase = self.session.phase();
        if !matches!(phase, SessionPhase::Ready | SessionPhase::Synchronized)
            || self.endpoint.is_none()
        {
            return Err(SessionError::WrongPhase {
                call: "sync",
                expected: "Ready or Synchronized",
                actual: phase,
            });
        }
        if items.is_empty() {
            return Ok(SessionOutcome::NothingToSync);
        }
        self.session.update(|st, events| {
            let known = &self.session.shared.items;
            for item in known.iter().filter(|item| item.read().in_sync_set) {
                item.lock().bits.in_sync_set = false;
            }
            // Items a retry names that the session does not know yet are
            // added, in the order they are named.
            let mut added = SegmentBuilder::with_capacity(0);
            for &id in items {
                if known.find(id).is_none() && !added.contains(id) && SyncItem::new(id, "").is_ok()
                {
                    added.push(id, "");
                }
            }
            known.append(added);
            for &id in items {
                let Some(item) = known.find(id) else {
                    continue;
                };
                let mut record = item.lock();
                if record.bits.in_sync_set {
                    continue;
                }
                // A new cycle: the item starts over; its cancel state stays (one-way).
                record.bits = record.bits.restarted();
                drop(record);
                st.texts.remove(&item.position());
            }
            st.cancel_all_answered = false;
            st.prepare = Completion::Awaiting;
            st.prepare_returned = false;
            st.synchronize = Completion::Idle;
            st.synchronize_returned = false;
            st.set_progress_open(true);
            Session::set_phase(st, events, SessionPhase::Preparing);
        });

        let prepared: fn(&mut State) -> &mut Completion = State::prepare;
        let answer = self.handler.prepare_for_sync(items, WindowHandle::NONE);
        let outcome = match answer {
            Ok(HandlerAnswer::Accept) => {
                self.session.update(|st, _| st.prepare_returned = true);
                self.session.deliver_queued_skips();
                match self.session.wait_for(prepared) {
                    None => Some(SessionOutcome::TimedOut {
                        waiting_for: "PrepareForSyncCompleted",
                    }),
                    Some(code) if !code.is_s_ok() => Some(SessionOutcome::PrepareFailed { code }),
                    Some(_) => None,
                }
            }
            Ok(HandlerAnswer::Decline) => {
                self.session.no_completion_expected(
                    prepared,
                    Rule::PREPARE_COMPLETED_ONCE,
                    "PrepareForSyncCompleted",
                );
                Some(SessionOutcome::PrepareDeclined)
            }
            Err(error) => {
                self.session.no_completion_expected(
                    prepared,
                    Rule::PREPARE_COMPLETED_ONCE,
                    "PrepareForSyncCompleted",
                );
                Some(SessionOutcome::HandlerFailed {
                    call: "PrepareForSync",
                    error,
                })
            }
        };
        self.session.update(|st, _| st.prepare_returned = false);
        if let Some(outcome) = outcome {
            self.end_cycle();
            return Ok(outcome);
        }

        let synchronized: fn(&mut State) -> &mut Completion = State::synchronize;
        self.session.update(|st, events| {
            st.synchronize = Completion::Awaiting;
            Session::set_phase(st, events, SessionPhase::Synchronizing);
        });
        let outcome = match self.handler.synchronize(WindowHandle::NONE) {
            Ok(()) => {
                self.session.update(|st, _| st.synchronize_returned = true);
                self.session.deliver_queued_skips();
                match self.session.wait_for(synchronized) {
                    None => SessionOutcome::TimedOut {
                        waiting_for: "SynchronizeCompleted",
                    },
                    Some(code) => SessionOutcome::Completed { code },
                }
            }
            Err(error) => {
                self.session.no_completion_expected(
                    synchronized,
                    Rule::SYNCHRONIZE_COMPLETED_ONCE,
                    "SynchronizeCompleted",
                );
                SessionOutcome::HandlerFailed {
                    call: "Synchronize",
                    error,
                }
            }
        };
        self.end_cycle();
        Ok(outcome)
    }

    fn end_cycle(&self) {
        self.session.update(|st, events| {
            st.set_progress_open(false);
            st.prepare_returned = false;
            st.synchronize_returned = false;
            st.queued_skips.clear();
            if st.prepare == Completion::Awaiting {
                st.prepare = Completion::Idle;
            }
            if st.synchronize == Completion::Awaiting {
                st.synchronize = Completion::Idle;
            }
            self.session.finalize_items(st, events);
            Session::set_phase(st, events, SessionPhase::Synchronized);
        });
    }

    /// The show-error cycle for a logged error the user opened: `ShowError`,
    /// then wait for `ShowErrorCompleted`.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotShowable`] unless `error` is a live entry logged
    /// with an id and jump text (§G.5 #34); [`SessionError::WrongPhase`]
    /// while a sync cycle runs or after release.
    pub fn show_error(&mut self, error: ErrorId) -> Result<ShowErrorOutcome, SessionError> {
        let ready = self.session.update(|st, events| {
            let phase = st.phase();
            if !matches!(phase, SessionPhase::Ready | SessionPhase::Synchronized)
                || self.endpoint.is_none()
            {
                return Err(SessionError::WrongPhase {
                    call: "show_error",
                    expected: "Ready or Synchronized",
                    actual: phase,
                });
            }
            if error.is_null()
                || !st
                    .log
                    .iter()
                    .any(|e| e.error_id == Some(error) && e.is_showable())
            {
                return Err(SessionError::NotShowable(error));
            }
            st.show_error = Completion::Awaiting;
            st.retry_items = None;
            Session::set_phase(st, events, SessionPhase::ShowingError);
            Ok(phase)
        })?;
        let shown: fn(&mut State) -> &mut Completion = State::show_error;
        let outcome = match self.handler.show_error(WindowHandle::NONE, error) {
            Ok(()) => match self.session.wait_for(shown) {
                None => ShowErrorOutcome::TimedOut,
                Some(code) => {
                    let retry = self.session.update(|st, _| st.retry_items.take());
                    match retry {
                        Some(items)
                            if code == HResult::S_SYNCMGR_RETRYSYNC && !items.is_empty() =>
                        {
                            ShowErrorOutcome::Retry { items }
                        }
                        _ => ShowErrorOutcome::Completed { code },
                    }
                }
            },
            Err(error) => {
                self.session.no_completion_expected(
                    shown,
                    Rule::SHOW_ERROR_COMPLETED_ONCE,
                    "ShowErrorCompleted",
                );
                ShowErrorOutcome::HandlerFailed { error }
            }
        };
        self.session.update(|st, events| {
            if st.show_error == Completion::Awaiting {
                st.show_error = Completion::Idle;
            }
            Session::set_phase(st, events, ready);
        });
        Ok(outcome)
    }

    /// `SetProgressCallback(NULL)` and release the handler. Records a §G.1 #6
    /// violation if the handler still holds the callback afterwards, and a
    /// §G.4 #29 violation if it still holds the modeless grant. Idempotent.
    pub fn release(&mut self) {
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        if let Some(endpoint) = self.endpoint.take() {
            let result = self.handler.set_progress_callback(None);
            endpoint.released.store(true, Ordering::SeqCst);
            let held = Arc::strong_count(&endpoint) - 1;
            let session = &self.session;
            session.update(|st, events| {
                if let Err(error) = result {
                    let _ = session.breach(
                        st,
                        events,
                        Rule::CALLBACK_RELEASED,
                        "SetProgressCallback",
                        None,
                        "SetProgressCallback(NULL) to succeed",
                        format!("{error}"),
                        Refusal::Unexpected,
                    );
                }
                if held > 0 {
                    let _ = session.breach(
                        st,
                        events,
                        Rule::CALLBACK_RELEASED,
                        "SetProgressCallback",
                        None,
                        "no reference to the callback after SetProgressCallback(NULL)",
                        format!("{held} reference(s) still held"),
                        Refusal::Unexpected,
                    );
                }
            });
        }
        let shared = &self.session.shared;
        self.session.update(|st, events| {
            if st.modeless_held {
                let _ = self.session.breach(
                    st,
                    events,
                    Rule::MODELESS_PAIRED,
                    "EnableModeless",
                    None,
                    "EnableModeless(FALSE) before release",
                    "the grant still held",
                    Refusal::Unexpected,
                );
                st.modeless_held = false;
                shared.arbiter.release(shared.id);
            }
            Session::set_phase(st, events, SessionPhase::Released);
        });
        *shared.handler.lock() = None;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.release();
    }
}
