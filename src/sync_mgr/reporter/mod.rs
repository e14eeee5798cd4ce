//! [`ProgressReporter`]: what a handler uses to report progress and honour
//! cancellation ([the specification](crate::protocol#rules) #20–#28, §E.3). The user-facing rules and the
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

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use crate::core::id_index::IdIndex;
use crate::core::timer;
use crate::sync::{Arc, AtomicBool, AtomicU32, AtomicU64, Mutex, OnceLock, Ordering, RwLock};
use crate::sync_mgr::progress::shift_for;
use crate::{
    CallbackSlot, CancelDecision, CancelReason, CancelToken, ItemId, ItemPhase, ItemViolation,
    ProgressItem, Rule, SlotTransition, SyncCallback, SyncMgrProgress, SyncMgrProgressError,
    SyncMgrStatus,
};

mod error;
mod item;
mod table;

pub use error::{Cancelled, ReportError};
pub use item::ItemReporter;
use table::{ItemState, ItemTable, bits};

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
///   report ([§G.3 #20](crate::protocol#rule-20)). It reports `UPDATING`, never a terminal status,
///   and once cancel-all has been answered it refuses to open a new item
///   without calling the host ([§G.3 #23](crate::protocol#rule-23)).
/// - Every report goes through an [`ItemReporter`]. A cancel answer
///   (`CancelItem` for this item, or `CancelAll`) is recorded, the item is
///   finished at once with `STOPPED` (the only report the host gets for it
///   from then on, [§G.3 #22](crate::protocol#rule-22)), and the call returns
///   [`ReportError::Cancelled`], so handler code leaves the item with `?`.
/// - [`skip`](Self::skip) is what a handler's `set_item_status(item,
///   Skipped)` calls ([§G.2 #18](crate::protocol#rule-18)): the item's reporter sees the cancel at its
///   next report and finishes the item with `SKIPPED`.
///
/// # What `is_cancelled` knows
///
/// [`ItemReporter::is_cancelled`] and [`ProgressReporter::is_cancelled`](Self::is_cancelled)
/// answer from what the host has *already* said: a cancel answer to an
/// earlier report, or a skip. They never call the host, so they are cheap
/// enough for an inner loop (the item's own check is one atomic load). To
/// ask the host, report something, or call [`ItemReporter::poll`], which sends
/// the pure cancellation poll `Progress(item, NULL)` ([§G.3 #25](crate::protocol#fact-25)).
///
/// Cancellation is one-way: nothing un-cancels an item or cancel-all. A new
/// sync cycle (for example a retry after `ShowErrorCompleted`) starts from
/// [`new_cycle`](Self::new_cycle): a fresh reporter over the same host
/// callback.
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
/// | [`begin`](Self::begin) | reports `UPDATING`; a cancel answer finishes it with `STOPPED` | `Err(Cancelled)`, no host call (an item begun before and left unfinished is first sent the `STOPPED` or `SKIPPED` it owes) | `Err(Finished)`, no host call |
/// | [`value`](ItemReporter::value), [`max`](ItemReporter::max), [`text`](ItemReporter::text), [`report`](ItemReporter::report), [`poll`](ItemReporter::poll) | reports; a cancel answer finishes it with `STOPPED` | finishes it with `STOPPED` (`SKIPPED` after a skip), `Err(Cancelled)` | `Err(Finished)` (`Err(Cancelled)` when a cancel ended it), no host call |
/// | [`finish`](ItemReporter::finish)`(terminal)` | reports the status | reports the status (`DELETED` after a skip is refused, [§G.2 #18](crate::protocol#rule-18)) | `Err(Finished)` (`Err(Cancelled)` when a cancel ended it), no host call |
///
/// An item that was never reported gets no report at all when it turns out
/// to be cancelled: its first report must not be terminal ([§G.3 #20](crate::protocol#rule-20)), and the
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
    all_token: CancelToken,
    items: ItemTable,
    /// The items' tokens, made on request (few items have one). Whoever
    /// comes second of "record a cause" ([`cancel_item`](Self::cancel_item))
    /// and "make the token" ([`cancel_token`](Self::cancel_token)) cancels
    /// it: both take this lock after their own step.
    tokens: Mutex<HashMap<ItemId, CancelToken>>,
}

impl ProgressReporter {
    /// A reporter with no callback and no cancels.
    pub fn new() -> Self {
        Self {
            slot: CallbackSlot::new(),
            all_cancelled: AtomicBool::new(false),
            all_token: CancelToken::new(),
            items: ItemTable::default(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// A [`CancelToken`] for `item` that is cancelled as soon as this
    /// reporter learns of a cancel for it: a `CancelItem` or `CancelAll`
    /// answer to any report (reason [`CancelReason::Host`]) or a
    /// [`skip`](Self::skip) ([`CancelReason::Skipped`]). Every call returns
    /// the same token; it is a child of
    /// [`cancel_all_token`](Self::cancel_all_token).
    ///
    /// The reporter learns of a cancel only when the host answers a call
    /// (the protocol has no other channel): while the work runs without
    /// reporting, keep asking with
    /// [`ItemReporter::run_until_cancelled`]. With this crate's
    /// [`Session`](crate::Session) in the same process, its
    /// [`item_cancel_token`](crate::Session::item_cancel_token) is cancelled
    /// the moment the host records the cancel, without any call.
    pub fn cancel_token(&self, item: ItemId) -> CancelToken {
        let state = self.entry(item);
        let token = self
            .tokens
            .lock()
            .entry(item)
            .or_insert_with(|| self.all_token.child())
            .clone();
        state.fire(&token);
        token
    }

    /// A [`CancelToken`] cancelled once the host has answered cancel-all
    /// (reason [`CancelReason::Host`]).
    pub fn cancel_all_token(&self) -> CancelToken {
        self.all_token.clone()
    }

    /// `SetProgressCallback`: register, replace or release (`None`) the host
    /// callback; forwards to [`CallbackSlot::set`], which returns once other
    /// threads' calls on the old callback have returned.
    ///
    /// Behind a host whose callback can only be entered from the thread that
    /// is calling this (a COM single-threaded apartment), that wait can
    /// deadlock: use [`set_callback_nonblocking`](Self::set_callback_nonblocking)
    /// there.
    pub fn set_callback(&self, callback: Option<Arc<dyn SyncCallback>>) -> SlotTransition {
        self.slot.set(callback)
    }

    /// As [`set_callback`](Self::set_callback), without waiting for other
    /// threads' calls on the old callback ([`CallbackSlot::set_nonblocking`]):
    /// for hosts where waiting could deadlock across threads, such as a COM
    /// single-threaded apartment.
    pub fn set_callback_nonblocking(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> SlotTransition {
        self.slot.set_nonblocking(callback)
    }

    /// The slot holding the host callback, for the callback calls that are
    /// not progress reports (`SynchronizeCompleted`, `LogError`, …).
    pub const fn slot(&self) -> &CallbackSlot {
        &self.slot
    }

    /// The slot holding the host callback: the old name of
    /// [`slot`](Self::slot), which says what it returns.
    #[deprecated(
        since = "0.2.0",
        note = "renamed to `slot`, which says what it returns"
    )]
    pub const fn callback(&self) -> &CallbackSlot {
        &self.slot
    }

    /// A reporter for a new sync cycle over the same host callback: every
    /// item unreported, nothing cancelled. The host starts each cycle
    /// (`PrepareForSync` after `ShowErrorCompleted(S_SYNCMGR_RETRYSYNC)`)
    /// with fresh items, so the handler starts reporting afresh; this
    /// reporter keeps the record of the cycle that ended.
    ///
    /// The callback registered now moves to the new reporter: this one
    /// gives it up (without waiting for calls running on it, as
    /// [`set_callback_nonblocking`](Self::set_callback_nonblocking)), so a
    /// worker still holding the old reporter can no longer report, and a
    /// later `SetProgressCallback(NULL)` forwarded to the new reporter
    /// leaves no reference behind ([§G.1 #6](crate::protocol#rule-6)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use syncmgr::{CallbackError, CancelDecision, ItemId, ProgressReporter,
    ///               SyncCallback, SyncMgrProgress, SyncMgrStatus};
    ///
    /// struct CancelsEverything;
    /// impl SyncCallback for CancelsEverything {
    ///     fn progress(&self, _: ItemId, _: Option<&SyncMgrProgress>)
    ///         -> Result<CancelDecision, CallbackError> {
    ///         Ok(CancelDecision::CancelAll)
    ///     }
    /// }
    ///
    /// let first = ProgressReporter::new();
    /// first.set_callback(Some(Arc::new(CancelsEverything)));
    /// assert!(first.begin(ItemId::from_u128(1)).is_err());
    /// assert!(first.is_all_cancelled());
    ///
    /// // The user asks for a retry: the next cycle starts clean.
    /// let retry = first.new_cycle();
    /// assert!(!retry.is_all_cancelled());
    /// assert!(retry.slot().get().is_some(), "same host callback");
    /// assert!(first.slot().get().is_none(), "the old cycle gave it up");
    /// ```
    #[must_use]
    pub fn new_cycle(&self) -> Self {
        let next = Self::new();
        if let Some(callback) = self.slot.get() {
            next.slot.set(Some(callback));
            self.slot.set_nonblocking(None);
        }
        next
    }

    /// Report `UPDATING` for `item` before starting it ([§G.3 #20](crate::protocol#rule-20)) and return
    /// the reporter for the item.
    ///
    /// # Errors
    ///
    /// - [`ReportError::Cancelled`] with [`Cancelled::All`] when cancel-all
    ///   has been answered ([§G.3 #23](crate::protocol#rule-23)), and with
    ///   [`Cancelled::Item`] when the item was cancelled or skipped before.
    ///   The host is not asked; only an item that was begun before and left
    ///   unfinished (its [`ItemReporter`] dropped, or its final report
    ///   refused because no callback was registered at that moment) is sent
    ///   the `STOPPED` (`SKIPPED` after a skip) it still owes, so that
    ///   `Cancelled` always means that every report the protocol required
    ///   has been sent.
    /// - [`ReportError::Cancelled`] when the host answers a cancel to this
    ///   report; the item has then been finished with `STOPPED`.
    /// - [`ReportError::Finished`] when the item has already reported a
    ///   terminal status, [`ReportError::AlreadyOpen`] while another
    ///   [`ItemReporter`] for it is open.
    /// - [`ReportError::Host`] when the host refuses the report or no
    ///   callback is registered.
    pub fn begin(&self, item: ItemId) -> Result<ItemReporter<'_>, ReportError> {
        self.begin_with(item, None)
    }

    /// Like [`begin`](Self::begin), reporting `UPDATING` with work done 0
    /// of `max` (for example a file's size in bytes).
    ///
    /// Work is `u64`; SyncMgr's `iProgValue` / `iMaxValue` are `i32`, so
    /// counts above `i32::MAX` reach the host divided by the same power of
    /// two (the ratio is kept; see [`ItemReporter::value`]).
    ///
    /// An item begun again (its earlier [`ItemReporter`] was dropped
    /// unfinished) goes on where it stopped: the report carries `UPDATING`
    /// and `max` but not the work done 0, which would make the value go
    /// down ([§G.3 #27](crate::protocol#rule-27)).
    ///
    /// # Errors
    ///
    /// As [`begin`](Self::begin), and [`ReportError::Invalid`] without
    /// calling the host when the item is begun again with a `max` below the
    /// work it already reported.
    pub fn begin_with_max(&self, item: ItemId, max: u64) -> Result<ItemReporter<'_>, ReportError> {
        self.begin_with(item, Some(max))
    }

    fn begin_with(&self, item: ItemId, max: Option<u64>) -> Result<ItemReporter<'_>, ReportError> {
        if self.is_all_cancelled() {
            // An item begun before may still owe its `STOPPED`.
            return match self.items.find(item) {
                Some(state) => self.finish_cancelled(item, state, Cancelled::All),
                None => Err(Cancelled::All.into()),
            };
        }
        let state = self.entry(item);
        if state.cause() != 0 {
            return self.finish_cancelled(item, state, Cancelled::Item(item));
        }
        if !state.open() {
            return Err(ReportError::AlreadyOpen(item));
        }
        // From here on the reporter closes the item again when dropped.
        let reporter = ItemReporter {
            reporter: self,
            item,
            state,
            work: Cell::new((None, None, 0)),
            accepted: Cell::new(None),
            not_sync: PhantomData,
        };
        let updating = SyncMgrProgress::with_status(SyncMgrStatus::Updating);
        let Some(max) = max else {
            reporter.exchange(Some(&updating))?;
            return Ok(reporter);
        };
        let (send_done, done) = match state.value() {
            // Begun again: go on from the work already reported.
            Some(value) if value > max => {
                let saturate = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
                return Err(SyncMgrProgressError::ValueAboveMax {
                    value: saturate(value),
                    max: saturate(max),
                }
                .into());
            }
            Some(value) => (None, Some(value)),
            None => (Some(0), Some(0)),
        };
        reporter.exchange(Some(&updating.with_work(send_done, Some(max), None)))?;
        reporter.work.set((
            done,
            Some(max),
            shift_for(done.into_iter().chain(Some(max)).max()),
        ));
        Ok(reporter)
    }

    /// `begin` on an item known to be cancelled: send the terminal report
    /// it still owes, if it was begun before and left unfinished (unless
    /// another [`ItemReporter`] has it open: that one sends it), and return
    /// the cancel.
    fn finish_cancelled(
        &self,
        item: ItemId,
        state: &ItemState,
        cancelled: Cancelled,
    ) -> Result<ItemReporter<'_>, ReportError> {
        if state.open() {
            let reporter = ItemReporter {
                reporter: self,
                item,
                state,
                work: Cell::new((None, None, 0)),
                accepted: Cell::new(None),
                not_sync: PhantomData,
            };
            if reporter.state.phase().is_terminal() {
                return Err(reporter.known_cancel().unwrap_or(cancelled).into());
            }
            reporter.stop(cancelled)?;
        }
        Err(cancelled.into())
    }

    /// True when the host has cancelled `item` (a `CancelItem` answer or a
    /// skip) or answered cancel-all, as far as this reporter has been told.
    ///
    /// Never calls the host: see "What `is_cancelled` knows" on
    /// [`ProgressReporter`]. One atomic load, then a read-locked table
    /// lookup; an open [`ItemReporter`] answers with one atomic load.
    pub fn is_cancelled(&self, item: ItemId) -> bool {
        self.is_all_cancelled() || self.items.find(item).is_some_and(ItemState::is_cancelled)
    }

    /// True once the host has answered cancel-all. Never calls the host.
    pub fn is_all_cancelled(&self) -> bool {
        self.all_cancelled.load(Ordering::Acquire)
    }

    /// The host skipped `item` (`SetItemStatus(item, SKIPPED)`, [§G.2 #18](crate::protocol#rule-18)):
    /// what a handler's `set_item_status` calls.
    ///
    /// The item counts as cancelled from now on: an [`ItemReporter`] for it
    /// sees [`is_cancelled`](ItemReporter::is_cancelled), its next report
    /// finishes the item with `SKIPPED` instead, and a later
    /// [`begin`](Self::begin) returns [`Cancelled::Item`] without calling the
    /// host. Never calls the host, so it is safe from inside a host call.
    pub fn skip(&self, item: ItemId) {
        self.cancel_item(item, self.entry(item), bits::SKIPPED);
    }

    /// Record `cause` for `item` (whose state is `state`) and cancel its
    /// token if it has one.
    fn cancel_item(&self, item: ItemId, state: &ItemState, cause: u32) {
        state.cancel(cause);
        let token = self.tokens.lock().get(&item).cloned();
        if let Some(token) = token {
            state.fire(&token);
        }
    }

    fn entry(&self, item: ItemId) -> &ItemState {
        self.items.entry(item, &self.all_cancelled)
    }

    fn cancel_all(&self) {
        if !self.all_cancelled.swap(true, Ordering::SeqCst) {
            self.items.cancel_all();
            self.all_token.cancel(CancelReason::Host);
        }
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
            .field("items", &self.items.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::table::{CHUNKS, FIRST_CHUNK};
    use super::*;
    use crate::HandlerError;

    #[test]
    fn every_phase_round_trips_through_its_index() {
        let state = ItemState::new(false);
        for phase in ItemPhase::ALL {
            state.set_phase(phase);
            assert_eq!(state.phase(), phase);
            assert!(!state.is_cancelled());
        }
    }

    #[test]
    fn the_first_cancel_cause_stays() {
        let state = ItemState::new(false);
        assert!(!state.is_cancelled());
        state.cancel(bits::SKIPPED);
        state.cancel(bits::CANCEL_ANSWERED);
        assert_eq!(state.cause(), bits::SKIPPED);
        assert!(state.is_cancelled());
    }

    #[test]
    fn an_item_born_after_cancel_all_is_cancelled_but_has_no_cause() {
        let state = ItemState::new(true);
        assert!(state.is_cancelled());
        assert_eq!(state.cause(), 0);
        assert!(state.open());
        assert!(!state.open());
        state.close();
        assert!(state.open());
    }

    #[test]
    fn chunks_cover_positions_without_gaps() {
        let mut expected = (0, 0);
        for position in 0..FIRST_CHUNK * 20 {
            assert_eq!(ItemTable::locate(position), expected, "{position}");
            expected.1 += 1;
            if expected.1 == FIRST_CHUNK << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
        let (last, _) = ItemTable::locate(u32::MAX as usize);
        assert!(last < CHUNKS);
    }

    #[test]
    fn cancel_all_reaches_items_made_before_and_after() {
        let reporter = ProgressReporter::new();
        let (before, after) = (ItemId::from_u128(1), ItemId::from_u128(2));
        let early = reporter.entry(before);
        assert!(!early.is_cancelled());
        reporter.cancel_all();
        assert!(early.is_cancelled());
        assert!(reporter.entry(after).is_cancelled());
        assert!(reporter.is_cancelled(after));
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
