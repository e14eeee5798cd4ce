//! [`SyncCenterSession`]: a strict (or lenient) Sync Center host for one
//! handler, on the core item machine and cancellation model.
//!
//! `vocab.rs` holds its public vocabulary (outcomes, errors, snapshots) and
//! `endpoint.rs` the `ISyncMgrSyncCallback` the handler reports to; this
//! file holds the session, its locked state and the checks it shares.

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::core::guard::panic_error;
use crate::core::rule::Refusal;
use crate::sync::{Arc, Mutex};
use crate::{
    CallbackError, CanContinue, CancelDecision, CancelReason, ConformanceReport, ItemKey,
    ItemPhase, Mode, Rule, Violation, WindowHandle,
};

use super::{
    CancelRequest, ProgressStatus, SyncCenterCallback, SyncCenterHandler, SyncCenterItem,
    SyncCenterItemId, SyncCenterProgress,
};

mod endpoint;
mod vocab;

use endpoint::Endpoint;
pub use vocab::{
    SyncCenterError, SyncCenterEventRecord, SyncCenterItemSnapshot, SyncCenterOutcome,
    SyncCenterSnapshot,
};

struct ItemRecord {
    id: SyncCenterItemId,
    phase: ItemPhase,
    status: Option<ProgressStatus>,
    steps: Option<(u32, u32)>,
    text: Option<String>,
    cancel: Option<CancelReason>,
    cancel_signalled: bool,
    acknowledged: bool,
    /// A FAILED after the terminal report has been accepted ([§G.7 #51](crate::protocol#rule-51)
    /// allows one).
    late_failure: bool,
    finished_by_host: bool,
}

impl ItemRecord {
    fn new(id: SyncCenterItemId) -> Self {
        Self {
            id,
            phase: ItemPhase::Pending,
            status: None,
            steps: None,
            text: None,
            cancel: None,
            cancel_signalled: false,
            acknowledged: false,
            late_failure: false,
            finished_by_host: false,
        }
    }

    fn snapshot(&self) -> SyncCenterItemSnapshot {
        SyncCenterItemSnapshot {
            id: self.id.clone(),
            phase: self.phase,
            status: self.status,
            steps: self.steps,
            text: self.text.clone(),
            cancel: self.cancel.clone(),
            cancel_signalled: self.cancel_signalled,
            acknowledged: self.acknowledged,
            finished_by_host: self.finished_by_host,
        }
    }
}

#[derive(Default)]
struct State {
    /// The session's mode, for the checks that only have the state.
    mode: Mode,
    items: Vec<ItemRecord>,
    index: HashMap<SyncCenterItemId, usize>,
    proposed: HashMap<SyncCenterItemId, SyncCenterItem>,
    additional: Vec<SyncCenterItemId>,
    cancel_all: Option<CancelReason>,
    handler_name: Option<String>,
    handler_text: Option<String>,
    events: Vec<SyncCenterEventRecord>,
    objects: usize,
    manual_sync: bool,
    started: bool,
    returned: bool,
    violations: Vec<Violation>,
}

impl State {
    fn add_item(&mut self, id: SyncCenterItemId) {
        self.index.insert(id.clone(), self.items.len());
        self.items.push(ItemRecord::new(id));
    }

    /// The cancel request for `index`, marking it signalled ([§G.7 #42](crate::protocol#rule-42)): the
    /// sticky cancel-all, else the item's own cancel until it is
    /// acknowledged or the item has finished.
    fn request(&mut self, index: usize) -> CancelRequest {
        let all = self.cancel_all.is_some();
        let record = &mut self.items[index];
        let decision = if all {
            CancelDecision::CancelAll
        } else if record.cancel.is_some() && !record.acknowledged && !record.phase.is_terminal() {
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        };
        if decision.is_cancel() && !record.phase.is_terminal() {
            record.cancel_signalled = true;
        }
        decision.into()
    }

    /// The handler-wide cancel request (for `SetHandlerProgressText`,
    /// `CanContinue(NULL)` and calls naming no known item). A cancel-all
    /// answered here is signalled to every unfinished item ([§G.7 #42](crate::protocol#rule-42)).
    fn handler_request(&mut self) -> CancelRequest {
        if self.cancel_all.is_none() {
            return CancelRequest::None;
        }
        for record in self.items.iter_mut().filter(|r| !r.phase.is_terminal()) {
            record.cancel_signalled = true;
        }
        CancelRequest::CancelAll
    }
}

/// One breach, before it is recorded.
struct Breach<'a> {
    rule: Rule,
    call: &'static str,
    item: Option<&'a SyncCenterItemId>,
    expected: &'a str,
    got: String,
}

struct Shared {
    mode: Mode,
    state: Mutex<State>,
}

/// A Sync Center host for one handler: it creates the session for a set of
/// items, calls `ISyncMgrHandler::Synchronize`, answers every
/// `ISyncMgrSyncCallback` call, and checks the rules of [the specification](crate::protocol#rules).
///
/// Items move through the same [`ItemPhase`] machine as SyncMgr's, and
/// cancellation is the same model — per item, or a sticky cancel-all —
/// carried on Sync Center's two channels: the [`CancelRequest`] answered to
/// every report, and [`CanContinue`] polling.
///
/// What the host enforces, and how each [`Mode`] answers:
///
/// | rule | strict | lenient |
/// |---|---|---|
/// | [§G.7 #40](crate::protocol#rule-40) over-long id or text | refused with a typed error (the types cannot hold one; the raw decoders and `SetHandlerProgressText` refuse it with `E_INVALIDARG`) | same |
/// | #41 a report after a terminal one, other than one `FAILED` | `E_ACCESSDENIED`, the item is marked failed | same: this is documented Windows behaviour |
/// | #42 an item told to cancel reports more work, or ends other than `CANCELED` or `FAILED` | the report is not applied; the cancel is answered again | applied, and the cancel answered again |
/// | #42 an item told to cancel never reports a terminal status | recorded; the host finishes it `Stopped` | same |
/// | #43 `UPDATING` with `uMaxStep == 0` or `uCurrentStep > uMaxStep` | `E_INVALIDARG` | recorded, applied |
/// | #45/#46 an item not in the session | `E_INVALIDARG` | `CanContinue`: `E_INVALIDARG` (documented); reports and events: recorded, ignored |
/// | #47 adding, proposing or committing an item twice, or committing without a proposal | `E_INVALIDARG` | same (documented) |
/// | #50 a call after `Synchronize` returned | `E_UNEXPECTED` | recorded, processed |
/// | #51 an item left without a terminal report | recorded; the host finishes it `Stopped` if cancelled, else `Failed` | same |
///
/// Steps are ignored for `UPDATING_INDETERMINATE` ([§G.7 #43](crate::protocol#rule-43)). Cancel-all is
/// sticky, and items added to the session afterwards are born cancelled.
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::{HandlerError, ItemPhase, Mode, WindowHandle};
/// use syncmgr::sync_center::{
///     ProgressStatus, SyncCenterCallback, SyncCenterHandler, SyncCenterItemId,
///     SyncCenterOutcome, SyncCenterProgress, SyncCenterSession,
/// };
///
/// struct Copier;
///
/// impl SyncCenterHandler for Copier {
///     fn name(&self) -> Result<String, HandlerError> { Ok("copier".into()) }
///     fn synchronize(
///         &self,
///         items: &[SyncCenterItemId],
///         _: WindowHandle,
///         callback: Arc<dyn SyncCenterCallback>,
///     ) -> Result<(), HandlerError> {
///         for item in items {
///             let report = |status, step| SyncCenterProgress::new(item.clone(), status, step, 2);
///             let _ = callback.report_progress(&report(ProgressStatus::Updating, 0));
///             let _ = callback.report_progress(&report(ProgressStatus::Succeeded, 2));
///         }
///         Ok(())
///     }
/// }
///
/// let session = SyncCenterSession::new(Mode::Strict);
/// let items = [SyncCenterItemId::new("a")?, SyncCenterItemId::new("b")?];
/// let outcome = session.run(Arc::new(Copier), &items).unwrap();
/// assert_eq!(outcome, SyncCenterOutcome::Completed);
/// assert!(session.snapshot().items.iter().all(|i| i.phase == ItemPhase::Succeeded));
/// assert!(session.conformance_report().is_clean());
/// # Ok::<(), syncmgr::DecodeError>(())
/// ```
#[derive(Clone)]
pub struct SyncCenterSession {
    shared: Arc<Shared>,
}

impl fmt::Debug for SyncCenterSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncCenterSession")
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

impl SyncCenterSession {
    /// A session that has not run yet.
    pub fn new(mode: Mode) -> Self {
        Self {
            shared: Arc::new(Shared {
                mode,
                state: Mutex::new(State {
                    mode,
                    ..State::default()
                }),
            }),
        }
    }

    /// How the session answers violations.
    pub fn mode(&self) -> Mode {
        self.shared.mode
    }

    /// Create the session for `items`, call the handler's `Synchronize` on
    /// this thread, and finish every item it left open.
    ///
    /// A panic in the handler is caught and becomes
    /// [`SyncCenterOutcome::HandlerFailed`].
    ///
    /// # Errors
    ///
    /// [`SyncCenterError::AlreadyRun`] on a second call,
    /// [`SyncCenterError::DuplicateItem`] for an item named twice.
    pub fn run(
        &self,
        handler: Arc<dyn SyncCenterHandler>,
        items: &[SyncCenterItemId],
    ) -> Result<SyncCenterOutcome, SyncCenterError> {
        {
            let mut st = self.shared.state.lock();
            if st.started {
                return Err(SyncCenterError::AlreadyRun);
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = items.iter().find(|id| !seen.insert(*id)) {
                return Err(SyncCenterError::DuplicateItem(dup.clone()));
            }
            st.started = true;
            for id in items {
                st.add_item(id.clone());
            }
        }
        let name = catch_unwind(AssertUnwindSafe(|| handler.name()))
            .unwrap_or_else(|payload| Err(panic_error("GetName", &*payload)));
        self.shared.state.lock().handler_name = name.ok();
        let callback: Arc<dyn SyncCenterCallback> = Arc::new(Endpoint {
            session: self.clone(),
        });
        let result = catch_unwind(AssertUnwindSafe(|| {
            handler.synchronize(items, WindowHandle::NONE, callback)
        }))
        .unwrap_or_else(|payload| Err(panic_error("Synchronize", &*payload)));
        let mut st = self.shared.state.lock();
        st.returned = true;
        self.finish_items(&mut st);
        Ok(match result {
            Err(error) => SyncCenterOutcome::HandlerFailed(error),
            Ok(()) => match st.cancel_all.clone() {
                Some(reason) => SyncCenterOutcome::Cancelled(reason),
                None => SyncCenterOutcome::Completed,
            },
        })
    }

    /// Ask the handler to stop `item`: its next report is answered
    /// `SYNCMGR_CR_CANCEL_ITEM` and `CanContinue` answers `S_FALSE`, until it
    /// acknowledges with `SYNCMGR_PS_CANCELED`.
    ///
    /// # Errors
    ///
    /// [`SyncCenterError::UnknownItem`].
    pub fn cancel_item(
        &self,
        item: &SyncCenterItemId,
        reason: CancelReason,
    ) -> Result<(), SyncCenterError> {
        let mut st = self.shared.state.lock();
        let index = *st
            .index
            .get(item)
            .ok_or_else(|| SyncCenterError::UnknownItem(item.clone()))?;
        st.items[index].cancel.get_or_insert(reason);
        Ok(())
    }

    /// Ask the handler to stop everything. Sticky: every later answer is
    /// `SYNCMGR_CR_CANCEL_ALL` or `S_FALSE`.
    pub fn cancel_all(&self, reason: CancelReason) {
        self.shared.state.lock().cancel_all.get_or_insert(reason);
    }

    /// Items the user asked to add while the session runs; the handler
    /// learns of them from `QueryForAdditionalItems`.
    pub fn request_additional_items(&self, items: impl IntoIterator<Item = SyncCenterItemId>) {
        self.shared.state.lock().additional.extend(items);
    }

    /// A copy of the session's state.
    pub fn snapshot(&self) -> SyncCenterSnapshot {
        let st = self.shared.state.lock();
        SyncCenterSnapshot {
            items: st.items.iter().map(ItemRecord::snapshot).collect(),
            handler_text: st.handler_text.clone(),
            cancel_all: st.cancel_all.clone(),
            manual_sync: st.manual_sync,
            objects: st.objects,
            finished: st.returned,
        }
    }

    /// The events the handler reported, in order.
    pub fn events(&self) -> Vec<SyncCenterEventRecord> {
        self.shared.state.lock().events.clone()
    }

    /// Every violation recorded so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.state.lock().violations.clone()
    }

    /// The violations, with the handler's name, ready to print.
    pub fn conformance_report(&self) -> ConformanceReport {
        let st = self.shared.state.lock();
        ConformanceReport {
            handler_name: st.handler_name.clone(),
            violations: st.violations.clone(),
        }
    }

    fn strict(&self) -> bool {
        self.shared.mode == Mode::Strict
    }

    /// Record a breach; in strict mode also refuse the call with `refusal`.
    fn breach(
        &self,
        st: &mut State,
        breach: &Breach<'_>,
        refusal: Refusal,
    ) -> Result<(), CallbackError> {
        if self.strict() {
            Err(Self::refuse(st, breach, refusal))
        } else {
            Self::record(st, breach, None);
            Ok(())
        }
    }

    /// Record a breach that is refused in both modes (documented behaviour).
    fn refuse(st: &mut State, breach: &Breach<'_>, refusal: Refusal) -> CallbackError {
        let error = refusal.error(breach.rule, breach.call, breach.expected, &breach.got);
        Self::record(st, breach, Some(error.hresult()));
        error
    }

    fn record(st: &mut State, breach: &Breach<'_>, answered: Option<crate::HResult>) {
        let violation = Violation {
            rule: breach.rule,
            call: breach.call,
            item: breach.item.cloned().map(ItemKey::from),
            expected: breach.expected.to_owned(),
            got: breach.got.clone(),
            answered,
        };
        crate::core::rule::debug_check_answer(&violation, st.mode);
        st.violations.push(violation);
    }

    /// [§G.7 #50](crate::protocol#rule-50): no callback after `Synchronize` returned.
    fn check_running(
        &self,
        st: &mut State,
        call: &'static str,
        item: Option<&SyncCenterItemId>,
    ) -> Result<(), CallbackError> {
        if st.returned {
            let breach = Breach {
                rule: Rule::NO_CALL_AFTER_SYNCHRONIZE,
                call,
                item,
                expected: "calls only while Synchronize runs",
                got: "a call after Synchronize returned".into(),
            };
            self.breach(st, &breach, Refusal::Unexpected)?;
        }
        Ok(())
    }

    /// The index of `item`, or the [§G.7 #46](crate::protocol#rule-46) breach.
    fn session_item(
        &self,
        st: &mut State,
        call: &'static str,
        item: &SyncCenterItemId,
    ) -> Result<Option<usize>, CallbackError> {
        if let Some(&index) = st.index.get(item) {
            return Ok(Some(index));
        }
        let breach = Breach {
            rule: Rule::SESSION_ITEM,
            call,
            item: Some(item),
            expected: "an item of the session",
            got: "an item not in the session".into(),
        };
        self.breach(st, &breach, Refusal::InvalidArgument)?;
        Ok(None)
    }

    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        let call = "ReportProgress";
        let item = report.item();
        let status = report.status();
        let mut st = self.shared.state.lock();
        self.check_running(&mut st, call, Some(item))?;
        let Some(index) = self.session_item(&mut st, call, item)? else {
            return Ok(st.handler_request());
        };
        let record = &st.items[index];
        if record.phase.is_terminal() {
            // §G.7 #41: one FAILED may follow; anything else is refused with
            // E_ACCESSDENIED and the item marked failed (§G.7 #51 for a
            // second FAILED).
            if status == ProgressStatus::Failed && !record.late_failure {
                let record = &mut st.items[index];
                record.late_failure = true;
                record.phase = ItemPhase::Failed;
                record.status = Some(ProgressStatus::Failed);
                return Ok(st.request(index));
            }
            let (rule, expected) = if status == ProgressStatus::Failed {
                (
                    Rule::ONE_TERMINAL_REPORT,
                    "at most one FAILED after a terminal status",
                )
            } else {
                (
                    Rule::SYNC_CENTER_TERMINAL_IS_FINAL,
                    "only FAILED after a terminal status",
                )
            };
            let got = format!("{} after {}", status.windows_name(), record.phase);
            let breach = Breach {
                rule,
                call,
                item: Some(item),
                expected,
                got,
            };
            let error = Self::refuse(&mut st, &breach, Refusal::AccessDenied);
            let record = &mut st.items[index];
            record.phase = ItemPhase::Failed;
            record.status = Some(ProgressStatus::Failed);
            record.finished_by_host = true;
            return Err(error);
        }
        let acknowledges = matches!(status, ProgressStatus::Canceled | ProgressStatus::Failed);
        if record.cancel_signalled && !acknowledges {
            // §G.7 #42: told to cancel, the item reports more work, or ends
            // some other way than CANCELED (or FAILED, which #41 always
            // allows). The host keeps answering the cancel; a strict host
            // does not apply the report. The call itself returns S_OK: the
            // answer travels in `pnCancelRequest`.
            let answer = st.request(index);
            let breach = Breach {
                rule: Rule::CANCEL_ACKNOWLEDGED,
                call,
                item: Some(item),
                expected: "CANCELED after a cancel request",
                got: format!(
                    "{}; answered {} again",
                    status.windows_name(),
                    answer.windows_name()
                ),
            };
            let answered = self.strict().then_some(crate::HResult::S_OK);
            Self::record(&mut st, &breach, answered);
            if self.strict() {
                return Ok(answer);
            }
        }
        if status == ProgressStatus::Updating
            && (report.max_step() == 0 || report.current_step() > report.max_step())
        {
            let breach = Breach {
                rule: Rule::STEPS_VALID,
                call,
                item: Some(item),
                expected: "0 < uMaxStep and uCurrentStep <= uMaxStep",
                got: format!("step {} of {}", report.current_step(), report.max_step()),
            };
            self.breach(&mut st, &breach, Refusal::InvalidArgument)?;
        }
        let record = &mut st.items[index];
        // From a non-terminal phase every Sync Center status is a legal move
        // (Sync Center has no PENDING or RESUMING); the machine is still the
        // judge.
        match record.phase.to(status.phase()) {
            Ok(next) => record.phase = next,
            Err(violation) => {
                let breach = Breach {
                    rule: violation.rule,
                    call,
                    item: Some(item),
                    expected: violation.expected,
                    got: violation.to_string(),
                };
                self.breach(&mut st, &breach, Refusal::InvalidArgument)?;
                return Ok(st.request(index));
            }
        }
        record.status = Some(status);
        if let Some(text) = report.text() {
            record.text = Some(text.to_owned());
        }
        if report.has_steps() {
            record.steps = Some((report.current_step(), report.max_step()));
        }
        if status == ProgressStatus::Canceled {
            record.acknowledged = true;
        }
        Ok(st.request(index))
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        let call = "CanContinue";
        let mut st = self.shared.state.lock();
        self.check_running(&mut st, call, item)?;
        let Some(item) = item else {
            return Ok(CancelDecision::from(st.handler_request()).can_continue());
        };
        let Some(&index) = st.index.get(item) else {
            // §G.7 #45: documented, so refused in both modes.
            let breach = Breach {
                rule: Rule::SESSION_ITEM,
                call,
                item: Some(item),
                expected: "an item of the session",
                got: "an item not in the session".into(),
            };
            return Err(Self::refuse(&mut st, &breach, Refusal::InvalidArgument));
        };
        Ok(CancelDecision::from(st.request(index)).can_continue())
    }

    /// Finish every item the handler left open ([§G.7 #42](crate::protocol#rule-42), #51).
    fn finish_items(&self, st: &mut State) {
        let cancel_all = st.cancel_all.is_some();
        for index in 0..st.items.len() {
            let record = &st.items[index];
            if record.phase.is_terminal() {
                continue;
            }
            let cancelled = cancel_all || record.cancel.is_some();
            let id = record.id.clone();
            if record.cancel_signalled {
                let breach = Breach {
                    rule: Rule::CANCEL_ACKNOWLEDGED,
                    call: "Synchronize",
                    item: Some(&id),
                    expected: "CANCELED after a cancel request",
                    got: "no terminal report".into(),
                };
                Self::record(st, &breach, None);
            }
            let breach = Breach {
                rule: Rule::ONE_TERMINAL_REPORT,
                call: "Synchronize",
                item: Some(&id),
                expected: "a terminal ReportProgress for every item",
                got: format!("the item left {}", st.items[index].phase),
            };
            Self::record(st, &breach, None);
            let record = &mut st.items[index];
            (record.phase, record.status) = if cancelled {
                (ItemPhase::Stopped, Some(ProgressStatus::Canceled))
            } else {
                (ItemPhase::Failed, Some(ProgressStatus::Failed))
            };
            record.finished_by_host = true;
        }
    }
}
