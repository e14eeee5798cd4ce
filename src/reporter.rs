//! [`ProgressReporter`]: what a handler uses to report progress and honour
//! cancellation (FACTS.md §G.3 #20–#28, §E.3). The user-facing rules and the
//! example are on [`ProgressReporter`], since this module is private.
//!
//! # Invariants
//!
//! - Per item, at most one [`ItemReporter`] is open at a time, and only it
//!   writes the item's phase, so reports for one item are sent in order.
//! - Per item, the host gets at most one terminal report through this
//!   reporter, and no report after it.
//! - An item's cancel cause and the cancel-all flag only ever go from "not
//!   cancelled" to "cancelled".
//!
//! # Deadlock safety
//!
//! The item table's lock is held only to look up or insert an item's entry,
//! never while the host is called, so a host may call back into the
//! reporter (for example [`skip`](ProgressReporter::skip) from inside
//! `progress`) on any thread. Host calls go through the [`CallbackSlot`],
//! which holds no lock while the callback runs either.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering, RwLock};
use crate::{
    CallbackError, CallbackSlot, CancelDecision, HandlerError, ItemId, ItemPhase, ItemViolation,
    SlotTransition, SyncCallback, SyncMgrProgress, SyncMgrProgressError, SyncMgrStatus,
};

/// Which cancel a reporter returns: one item, or every item of the handler.
///
/// ```
/// use syncmgr::{Cancelled, ItemId};
///
/// let id = ItemId::from_u128(7);
/// assert_eq!(Cancelled::Item(id).item(), Some(id));
/// assert_eq!(Cancelled::All.to_string(), "all items were cancelled");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Cancelled {
    /// This item was cancelled: the host answered `S_SYNCMGR_CANCELITEM` to a
    /// report for it, or skipped it with `SetItemStatus(SKIPPED)`. Go on with
    /// the other items.
    #[error("item {0} was cancelled")]
    Item(ItemId),
    /// The host answered `S_SYNCMGR_CANCELALL`: stop every item of this
    /// handler and complete the sync.
    #[error("all items were cancelled")]
    All,
}

impl Cancelled {
    /// The item, for [`Cancelled::Item`].
    pub const fn item(self) -> Option<ItemId> {
        match self {
            Self::Item(item) => Some(item),
            Self::All => None,
        }
    }
}

/// Why a [`ProgressReporter`] or [`ItemReporter`] call did not report
/// normally.
///
/// [`Cancelled`](Self::Cancelled) is the host's doing and is expected;
/// [`Host`](Self::Host) is the host refusing a call; the other variants are
/// the caller misusing the reporter, refused before the host is called.
///
/// With `?` it converts into a [`HandlerError`], so handler code inside
/// `SyncHandler::synchronize` can propagate it:
///
/// ```
/// use syncmgr::{Cancelled, HandlerError, ReportError};
///
/// fn step() -> Result<(), ReportError> {
///     Err(Cancelled::All.into())
/// }
/// fn synchronize() -> Result<(), HandlerError> {
///     step()?;
///     Ok(())
/// }
/// assert_eq!(synchronize(), Err(HandlerError::Aborted));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The host cancelled the item, or all items. Any report the protocol
    /// still required (a final `STOPPED`) has been sent.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
    /// The host refused a call, or no callback is registered
    /// ([`CallbackError::NoCallback`]).
    #[error(transparent)]
    Host(#[from] CallbackError),
    /// The report is invalid on its own (for example a negative value).
    #[error(transparent)]
    Invalid(#[from] SyncMgrProgressError),
    /// The report's status is a move the host's item machine refuses (for
    /// example `PENDING` after `UPDATING`, §G.3 #20).
    #[error(transparent)]
    Phase(#[from] ItemViolation),
    /// [`ItemReporter::report`] got a terminal status; terminal statuses go
    /// through [`ItemReporter::finish`].
    #[error("{0} is a terminal status: report it with finish")]
    Terminal(SyncMgrStatus),
    /// [`ItemReporter::finish`] got a status that does not finish an item.
    #[error(
        "{0} is not a terminal status (expected stopped, skipped, succeeded, failed or deleted)"
    )]
    NotTerminal(SyncMgrStatus),
    /// The item has already reported a terminal status (§G.3 #28).
    #[error("item {0} has already reported a terminal status")]
    Finished(ItemId),
    /// Another [`ItemReporter`] for this item is still open.
    #[error("item {0} already has an open item reporter")]
    AlreadyOpen(ItemId),
}

impl ReportError {
    /// True for [`ReportError::Cancelled`].
    pub const fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled(_))
    }

    /// The cancel, for [`ReportError::Cancelled`].
    pub const fn cancelled(&self) -> Option<Cancelled> {
        match self {
            Self::Cancelled(cancelled) => Some(*cancelled),
            _ => None,
        }
    }
}

impl From<ReportError> for HandlerError {
    /// A cancel becomes [`HandlerError::Aborted`] (`E_ABORT`), a host refusal
    /// [`HandlerError::Failed`] with its message, an invalid report
    /// [`HandlerError::InvalidArgument`], and a report on a finished or busy
    /// item [`HandlerError::Unexpected`].
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Cancelled(_) => Self::Aborted,
            ReportError::Host(e) => Self::failed(format!("the host refused a progress call: {e}")),
            ReportError::Invalid(_)
            | ReportError::Phase(_)
            | ReportError::Terminal(_)
            | ReportError::NotTerminal(_) => Self::InvalidArgument {
                reason: error.to_string(),
            },
            ReportError::Finished(_) | ReportError::AlreadyOpen(_) => Self::Unexpected {
                reason: error.to_string(),
            },
        }
    }
}

/// No cancel is known for the item.
const NOT_CANCELLED: usize = 0;
/// The host answered `CancelItem` to a report for the item.
const CANCEL_ANSWERED: usize = 1;
/// The host skipped the item (`SetItemStatus(SKIPPED)`).
const SKIPPED: usize = 2;

/// What the reporter knows about one item; shared between the
/// [`ProgressReporter`]'s table and the item's [`ItemReporter`].
#[derive(Debug)]
struct ItemState {
    /// `NOT_CANCELLED`, `CANCEL_ANSWERED` or `SKIPPED`; leaves
    /// `NOT_CANCELLED` at most once.
    cancel: AtomicUsize,
    /// The index in [`ItemPhase::ALL`] of the last status the host accepted;
    /// written only by the open [`ItemReporter`].
    phase: AtomicUsize,
    /// An [`ItemReporter`] is open for the item.
    open: AtomicBool,
}

impl ItemState {
    fn new() -> Self {
        Self {
            cancel: AtomicUsize::new(NOT_CANCELLED),
            phase: AtomicUsize::new(ItemPhase::Pending.index()),
            open: AtomicBool::new(false),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire) != NOT_CANCELLED
    }

    /// Record a cancel cause unless one is already recorded.
    fn cancel(&self, cause: usize) {
        let _ =
            self.cancel
                .compare_exchange(NOT_CANCELLED, cause, Ordering::AcqRel, Ordering::Acquire);
    }

    fn phase(&self) -> ItemPhase {
        // Only `set_phase` stores, so the index is always valid.
        ItemPhase::from_index(self.phase.load(Ordering::Acquire)).unwrap_or(ItemPhase::Pending)
    }

    fn set_phase(&self, phase: ItemPhase) {
        self.phase.store(phase.index(), Ordering::Release);
    }
}

/// Reports a handler's progress to its host and remembers the host's
/// cancels.
///
/// It owns the handler's [`CallbackSlot`]: the handler's
/// `set_progress_callback` calls [`set_callback`](Self::set_callback), and
/// its other callback calls (completions, `LogError`) go through
/// [`callback`](Self::callback). It is `Send + Sync`: threads working on
/// different items share one reporter.
///
/// The only channel from a SyncMgr host back to its handler is the answer to
/// `Progress` ([`CancelDecision`]), plus the host calling the handler's
/// `SetItemStatus(item, SKIPPED)`. A `ProgressReporter` sits between the
/// handler and its [`CallbackSlot`], remembers every cancel it has been told
/// about, and turns the rules for what may be reported after a cancel into
/// code:
///
/// - [`begin`](Self::begin) is the "call `Progress` before each new item"
///   report (§G.3 #20). It reports `UPDATING`, never a terminal status,
///   and once cancel-all has been answered it refuses to open a new item
///   without calling the host (§G.3 #23).
/// - Every report goes through an [`ItemReporter`]. A cancel answer
///   (`CancelItem` for this item, or `CancelAll`) is recorded, the item is
///   finished at once with `STOPPED` (the only report the host gets for it
///   from then on, §G.3 #22), and the call returns
///   [`ReportError::Cancelled`], so handler code leaves the item with `?`.
/// - [`skip`](Self::skip) is what a handler's `set_item_status(item,
///   Skipped)` calls (§G.2 #18): the item's reporter sees the cancel at its
///   next report and finishes the item with `SKIPPED`.
///
/// # What `is_cancelled` knows
///
/// [`ItemReporter::is_cancelled`] and [`ProgressReporter::is_cancelled`](Self::is_cancelled)
/// answer from what the host has *already* said: a cancel answer to an
/// earlier report, or a skip. They never call the host, so they are cheap
/// enough for an inner loop (the item's own check is two atomic loads). To
/// ask the host, report something, or call [`ItemReporter::poll`], which sends
/// the pure cancellation poll `Progress(item, NULL)` (§G.3 #25).
///
/// Cancellation is one-way: nothing un-cancels an item or cancel-all. A new
/// sync cycle (for example a retry after `ShowErrorCompleted`) uses a new
/// `ProgressReporter`.
///
/// # What each call does
///
/// Each item's status moves through the host's item machine
/// ([`ItemPhase::on`]); the reporter refuses, without calling the host, any
/// report the machine would refuse, and it routes terminal statuses through
/// [`ItemReporter::finish`] only:
///
/// | call | item not cancelled | item known cancelled (answer, skip or cancel-all) | item finished |
/// |---|---|---|---|
/// | [`begin`](Self::begin) | reports `UPDATING`; a cancel answer finishes it with `STOPPED` | `Err(Cancelled)`, no host call | `Err(Finished)`, no host call |
/// | [`value`](ItemReporter::value), [`max`](ItemReporter::max), [`text`](ItemReporter::text), [`report`](ItemReporter::report), [`poll`](ItemReporter::poll) | reports; a cancel answer finishes it with `STOPPED` | finishes it with `STOPPED` (`SKIPPED` after a skip), `Err(Cancelled)` | `Err(Cancelled)`, no host call |
/// | [`finish`](ItemReporter::finish)`(terminal)` | reports the status | reports the status | `Err(Cancelled)`, no host call |
///
/// An item that was never reported gets no report at all when it turns out
/// to be cancelled: its first report must not be terminal (§G.3 #20), and the
/// host finalizes items the handler never opened.
///
/// # Example
///
/// A host that cancels one item, and a handler that uses `?` inside an item
/// and goes on with the next item when only that item was cancelled:
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::{CallbackError, CancelDecision, Cancelled, HandlerError, ItemId,
///               SyncMgrProgress, ProgressReporter, ReportError, SyncCallback, SyncMgrStatus};
///
/// struct Host { cancel: ItemId }
///
/// impl SyncCallback for Host {
///     fn progress(&self, item: ItemId, _report: Option<&SyncMgrProgress>)
///         -> Result<CancelDecision, CallbackError> {
///         Ok(if item == self.cancel { CancelDecision::CancelItem } else { CancelDecision::Continue })
///     }
/// }
///
/// fn sync_item(reporter: &ProgressReporter, id: ItemId) -> Result<(), ReportError> {
///     let item = reporter.begin_with_max(id, 3)?; // `Progress` before the item
///     for step in 1..=3 {
///         // ... copy one batch here ...
///         item.value(step)?; // a cancel answer ends the item here
///     }
///     item.finish(SyncMgrStatus::Succeeded)
/// }
///
/// fn synchronize(reporter: &ProgressReporter, items: &[ItemId]) -> Result<(), HandlerError> {
///     for &id in items {
///         match sync_item(reporter, id) {
///             Err(ReportError::Cancelled(Cancelled::Item(_))) => continue, // next item
///             other => other?, // cancel-all becomes HandlerError::Aborted
///         }
///     }
///     Ok(())
/// }
///
/// let (photos, music) = (ItemId::from_u128(1), ItemId::from_u128(2));
/// let reporter = ProgressReporter::new();
/// reporter.set_callback(Some(Arc::new(Host { cancel: music })));
///
/// synchronize(&reporter, &[music, photos])?;
/// assert!(reporter.is_cancelled(music));
/// assert!(!reporter.is_cancelled(photos));
/// # Ok::<(), HandlerError>(())
/// ```
///
/// Once the host has answered cancel-all, no new item is opened:
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::{CallbackError, CancelDecision, Cancelled, ItemId, SyncMgrProgress,
///               ProgressReporter, ReportError, SyncCallback};
///
/// struct StopEverything;
/// impl SyncCallback for StopEverything {
///     fn progress(&self, _: ItemId, _: Option<&SyncMgrProgress>)
///         -> Result<CancelDecision, CallbackError> {
///         Ok(CancelDecision::CancelAll)
///     }
/// }
///
/// let reporter = ProgressReporter::new();
/// reporter.set_callback(Some(Arc::new(StopEverything)));
/// let first = reporter.begin(ItemId::from_u128(1));
/// assert_eq!(first.err(), Some(ReportError::Cancelled(Cancelled::All)));
/// assert!(reporter.is_all_cancelled());
/// // No new item is opened after cancel-all: the host is not even asked.
/// let second = reporter.begin(ItemId::from_u128(2));
/// assert_eq!(second.err(), Some(ReportError::Cancelled(Cancelled::All)));
/// ```
pub struct ProgressReporter {
    slot: CallbackSlot,
    all_cancelled: AtomicBool,
    items: RwLock<HashMap<ItemId, Arc<ItemState>>>,
}

impl ProgressReporter {
    /// A reporter with no callback and no cancels.
    pub fn new() -> Self {
        Self {
            slot: CallbackSlot::new(),
            all_cancelled: AtomicBool::new(false),
            items: RwLock::new(HashMap::new()),
        }
    }

    /// `SetProgressCallback`: register, replace or release (`None`) the host
    /// callback; forwards to [`CallbackSlot::set`].
    pub fn set_callback(&self, callback: Option<Arc<dyn SyncCallback>>) -> SlotTransition {
        self.slot.set(callback)
    }

    /// The slot holding the host callback, for the callback calls that are
    /// not progress reports (`SynchronizeCompleted`, `LogError`, …).
    pub const fn callback(&self) -> &CallbackSlot {
        &self.slot
    }

    /// Report `UPDATING` for `item` before starting it (§G.3 #20) and return
    /// the reporter for the item.
    ///
    /// # Errors
    ///
    /// - [`ReportError::Cancelled`] with [`Cancelled::All`] without calling
    ///   the host when cancel-all has been answered (§G.3 #23), and with
    ///   [`Cancelled::Item`] without calling the host when the item was
    ///   cancelled or skipped before.
    /// - [`ReportError::Cancelled`] when the host answers a cancel to this
    ///   report; the item has then been finished with `STOPPED`.
    /// - [`ReportError::Finished`] when the item has already reported a
    ///   terminal status, [`ReportError::AlreadyOpen`] while another
    ///   [`ItemReporter`] for it is open.
    /// - [`ReportError::Host`] when the host refuses the report or no
    ///   callback is registered.
    pub fn begin(&self, item: ItemId) -> Result<ItemReporter<'_>, ReportError> {
        self.begin_with(item, SyncMgrProgress::with_status(SyncMgrStatus::Updating))
    }

    /// Like [`begin`](Self::begin), reporting `UPDATING` with value 0 and
    /// maximum `max`.
    ///
    /// # Errors
    ///
    /// As [`begin`](Self::begin), and [`ReportError::Invalid`] without
    /// calling the host when `max` is negative.
    pub fn begin_with_max(&self, item: ItemId, max: i32) -> Result<ItemReporter<'_>, ReportError> {
        let report = SyncMgrProgress::builder()
            .status(SyncMgrStatus::Updating)
            .value(0)
            .max(max)
            .build()?;
        self.begin_with(item, report)
    }

    fn begin_with(
        &self,
        item: ItemId,
        report: SyncMgrProgress,
    ) -> Result<ItemReporter<'_>, ReportError> {
        if self.is_all_cancelled() {
            return Err(Cancelled::All.into());
        }
        let state = self.entry(item);
        if state.is_cancelled() {
            return Err(Cancelled::Item(item).into());
        }
        if state
            .open
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ReportError::AlreadyOpen(item));
        }
        // From here on the reporter closes the item again when dropped.
        let reporter = ItemReporter {
            reporter: self,
            item,
            state,
            not_sync: PhantomData,
        };
        reporter.exchange(Some(&report))?;
        Ok(reporter)
    }

    /// True when the host has cancelled `item` (a `CancelItem` answer or a
    /// skip) or answered cancel-all, as far as this reporter has been told.
    ///
    /// Never calls the host: see "What `is_cancelled` knows" on
    /// [`ProgressReporter`]. One atomic load, then a read-locked table
    /// lookup.
    pub fn is_cancelled(&self, item: ItemId) -> bool {
        self.is_all_cancelled()
            || self
                .items
                .read()
                .get(&item)
                .is_some_and(|state| state.is_cancelled())
    }

    /// True once the host has answered cancel-all. Never calls the host.
    pub fn is_all_cancelled(&self) -> bool {
        self.all_cancelled.load(Ordering::Acquire)
    }

    /// The host skipped `item` (`SetItemStatus(item, SKIPPED)`, §G.2 #18):
    /// what a handler's `set_item_status` calls.
    ///
    /// The item counts as cancelled from now on: an [`ItemReporter`] for it
    /// sees [`is_cancelled`](ItemReporter::is_cancelled), its next report
    /// finishes the item with `SKIPPED` instead, and a later
    /// [`begin`](Self::begin) returns [`Cancelled::Item`] without calling the
    /// host. Never calls the host, so it is safe from inside a host call.
    pub fn skip(&self, item: ItemId) {
        self.entry(item).cancel(SKIPPED);
    }

    fn entry(&self, item: ItemId) -> Arc<ItemState> {
        if let Some(state) = self.items.read().get(&item) {
            return Arc::clone(state);
        }
        Arc::clone(
            self.items
                .write()
                .entry(item)
                .or_insert_with(|| Arc::new(ItemState::new())),
        )
    }

    fn cancel_all(&self) {
        self.all_cancelled.store(true, Ordering::Release);
    }
}

impl Default for ProgressReporter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ProgressReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressReporter")
            .field("callback", &self.slot)
            .field("all_cancelled", &self.is_all_cancelled())
            .field("items", &self.items.read().len())
            .finish()
    }
}

/// One item in progress: its reports, and whether the host cancelled it.
///
/// Made by [`ProgressReporter::begin`]. Every method that reports sends one
/// `Progress` call; when the host answers a cancel, the reporter records it,
/// finishes the item with `STOPPED` and returns [`ReportError::Cancelled`].
/// After that, every report returns the same error without calling the host.
///
/// Dropping an unfinished `ItemReporter` sends nothing: the host finalizes
/// items that were left unfinished. The item can then be begun again.
///
/// An `ItemReporter` is `Send` but not `Sync`: one thread at a time reports
/// on an item, so its reports reach the host in order. Other threads can
/// check the item with [`ProgressReporter::is_cancelled`].
#[must_use = "an item that is begun should be finished"]
pub struct ItemReporter<'a> {
    reporter: &'a ProgressReporter,
    item: ItemId,
    state: Arc<ItemState>,
    not_sync: PhantomData<std::cell::Cell<()>>,
}

impl ItemReporter<'_> {
    /// The item being reported.
    pub const fn item(&self) -> ItemId {
        self.item
    }

    /// True when the host has cancelled this item (a `CancelItem` answer or a
    /// skip) or answered cancel-all, as far as the reporter has been told.
    ///
    /// Two atomic loads: no lock, no host call. To ask the host, call
    /// [`poll`](Self::poll).
    pub fn is_cancelled(&self) -> bool {
        self.reporter.is_all_cancelled() || self.state.is_cancelled()
    }

    /// Report the progress value.
    ///
    /// # Errors
    ///
    /// [`ReportError::Invalid`] for a negative value; otherwise as
    /// [`report`](Self::report).
    pub fn value(&self, value: i32) -> Result<(), ReportError> {
        self.report(&SyncMgrProgress::builder().value(value).build()?)
    }

    /// Report the maximum value.
    ///
    /// # Errors
    ///
    /// [`ReportError::Invalid`] for a negative maximum; otherwise as
    /// [`report`](Self::report).
    pub fn max(&self, max: i32) -> Result<(), ReportError> {
        self.report(&SyncMgrProgress::builder().max(max).build()?)
    }

    /// Report a status text.
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn text(&self, text: impl Into<String>) -> Result<(), ReportError> {
        self.report(&SyncMgrProgress::builder().text(text).build()?)
    }

    /// Send `report`, which must not carry a terminal status.
    ///
    /// # Errors
    ///
    /// - Without calling the host: [`ReportError::Terminal`] for a terminal
    ///   status (use [`finish`](Self::finish)), [`ReportError::Phase`] for a
    ///   status the item machine refuses, [`ReportError::Cancelled`] when the
    ///   item was already finished because of a cancel.
    /// - [`ReportError::Cancelled`] when the item is known to be cancelled or
    ///   the host answers a cancel; the item has then been finished with
    ///   `STOPPED` (`SKIPPED` after a skip).
    /// - [`ReportError::Host`] when the host refuses a call.
    pub fn report(&self, report: &SyncMgrProgress) -> Result<(), ReportError> {
        if let Some(status) = report.status().filter(|s| s.is_terminal()) {
            return Err(ReportError::Terminal(status));
        }
        self.exchange(Some(report))
    }

    /// `Progress(item, NULL)`: ask the host whether to go on, without an
    /// update (§G.3 #25).
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn poll(&self) -> Result<(), ReportError> {
        self.exchange(None)
    }

    /// Report the terminal `status` that closes the item.
    ///
    /// The status is reported also when the item is known to be cancelled
    /// (after a skip or cancel-all any terminal status may close it). Of the
    /// host's answer only a cancel-all is recorded: the item is closed
    /// either way.
    ///
    /// # Errors
    ///
    /// - Without calling the host: [`ReportError::NotTerminal`] for a status
    ///   that does not finish an item, [`ReportError::Cancelled`] when the
    ///   item was already finished because of a cancel.
    /// - [`ReportError::Host`] when the host refuses the report.
    pub fn finish(self, status: SyncMgrStatus) -> Result<(), ReportError> {
        if !status.is_terminal() {
            return Err(ReportError::NotTerminal(status));
        }
        self.check_not_finished()?;
        self.send_terminal(status)
    }

    /// Report a terminal `status`. The answer's cancel of this item no
    /// longer matters; a cancel-all in it is remembered.
    fn send_terminal(&self, status: SyncMgrStatus) -> Result<(), ReportError> {
        let decision = self
            .reporter
            .slot
            .progress(self.item, Some(&SyncMgrProgress::with_status(status)))?;
        self.state.set_phase(ItemPhase::of(status));
        if decision == CancelDecision::CancelAll {
            self.reporter.cancel_all();
        }
        Ok(())
    }

    /// The error for a report on an item that already reported a terminal
    /// status.
    fn check_not_finished(&self) -> Result<ItemPhase, ReportError> {
        let phase = self.state.phase();
        if phase.is_terminal() {
            return Err(self
                .known_cancel()
                .map_or(ReportError::Finished(self.item), ReportError::Cancelled));
        }
        Ok(phase)
    }

    /// The cancel this reporter has been told about, the item's own first.
    fn known_cancel(&self) -> Option<Cancelled> {
        if self.state.is_cancelled() {
            Some(Cancelled::Item(self.item))
        } else if self.reporter.is_all_cancelled() {
            Some(Cancelled::All)
        } else {
            None
        }
    }

    /// Send one non-terminal report (or a poll) and act on the answer.
    fn exchange(&self, report: Option<&SyncMgrProgress>) -> Result<(), ReportError> {
        let phase = self.check_not_finished()?;
        if let Some(cancelled) = self.known_cancel() {
            return self.stop(cancelled);
        }
        let next = match report.and_then(SyncMgrProgress::status) {
            Some(status) => phase.on(status)?,
            None => phase,
        };
        let decision = self.reporter.slot.progress(self.item, report)?;
        self.state.set_phase(next);
        match self.record(decision) {
            Some(cancelled) => self.stop(cancelled),
            None => Ok(()),
        }
    }

    /// Remember a cancel answer; the cancel it means for this item.
    fn record(&self, decision: CancelDecision) -> Option<Cancelled> {
        match decision {
            CancelDecision::Continue => None,
            CancelDecision::CancelItem => {
                self.state.cancel(CANCEL_ANSWERED);
                Some(Cancelled::Item(self.item))
            }
            CancelDecision::CancelAll => {
                self.reporter.cancel_all();
                Some(Cancelled::All)
            }
        }
    }

    /// Finish a cancelled item (`STOPPED`, or `SKIPPED` after a skip) unless
    /// it was never reported, and return the cancel.
    fn stop(&self, cancelled: Cancelled) -> Result<(), ReportError> {
        let phase = self.state.phase();
        if phase.has_started() && !phase.is_terminal() {
            let status = if self.state.cancel.load(Ordering::Acquire) == SKIPPED {
                SyncMgrStatus::Skipped
            } else {
                SyncMgrStatus::Stopped
            };
            self.send_terminal(status)?;
        }
        Err(cancelled.into())
    }
}

impl Drop for ItemReporter<'_> {
    /// Close the item locally; nothing is sent to the host.
    fn drop(&mut self) {
        self.state.open.store(false, Ordering::Release);
    }
}

impl fmt::Debug for ItemReporter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemReporter")
            .field("item", &self.item)
            .field("phase", &self.state.phase())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_round_trips_through_its_index() {
        let state = ItemState::new();
        for phase in ItemPhase::ALL {
            state.set_phase(phase);
            assert_eq!(state.phase(), phase);
        }
    }

    #[test]
    fn the_first_cancel_cause_stays() {
        let state = ItemState::new();
        assert!(!state.is_cancelled());
        state.cancel(SKIPPED);
        state.cancel(CANCEL_ANSWERED);
        assert_eq!(state.cancel.load(Ordering::Acquire), SKIPPED);
    }

    #[test]
    fn errors_convert_into_handler_errors() {
        let id = ItemId::from_u128(1);
        assert_eq!(
            HandlerError::from(ReportError::from(Cancelled::Item(id))),
            HandlerError::Aborted
        );
        assert!(matches!(
            HandlerError::from(ReportError::NotTerminal(SyncMgrStatus::Updating)),
            HandlerError::InvalidArgument { .. }
        ));
        assert!(matches!(
            HandlerError::from(ReportError::Finished(id)),
            HandlerError::Unexpected { .. }
        ));
    }
}
