//! The Sync Center host (`SyncCenterSession`) against PROTOCOL.md §G.7: every
//! rule it enforces, in strict and lenient mode, with the exact answer, the
//! recorded violation and the resulting item state; the decoders of §G.7
//! #40 and #49; and a handler that follows the published Sync Center
//! sample's loop, undisturbed and cancelled part-way.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use common::within;
use syncmgr::sync_center::{
    CancelRequest, EventFlags, EventLevel, MAX_SYNCMGR_ID, MAX_SYNCMGR_PROGRESSTEXT,
    ProgressStatus, SyncCenterCallback, SyncCenterError, SyncCenterEvent, SyncCenterHandler,
    SyncCenterItem, SyncCenterItemId, SyncCenterItemSnapshot, SyncCenterOutcome,
    SyncCenterProgress, SyncCenterSession,
};
use syncmgr::{
    CallbackError, CanContinue, CancelReason, DecodeError, Guid, HResult, HandlerError, ItemKey,
    ItemPhase, Mode, Rule, WindowHandle,
};

use ProgressStatus::{Canceled, Disconnected, Failed, Succeeded, Updating, UpdatingIndeterminate};

type Callback = Arc<dyn SyncCenterCallback>;

// --- helpers -----------------------------------------------------------------

fn id(name: &str) -> SyncCenterItemId {
    SyncCenterItemId::new(name).expect("a valid item id")
}

fn ids(names: &[&str]) -> Vec<SyncCenterItemId> {
    names.iter().map(|n| id(n)).collect()
}

/// Shorthands for the callback calls the scripts make.
trait Calls {
    fn report(
        &self,
        item: &str,
        status: ProgressStatus,
        current: u32,
        max: u32,
    ) -> Result<CancelRequest, CallbackError>;
    fn poll(&self, item: Option<&str>) -> Result<CanContinue, CallbackError>;
}

impl<T: SyncCenterCallback + ?Sized> Calls for T {
    fn report(
        &self,
        item: &str,
        status: ProgressStatus,
        current: u32,
        max: u32,
    ) -> Result<CancelRequest, CallbackError> {
        self.report_progress(&SyncCenterProgress::new(id(item), status, current, max))
    }

    fn poll(&self, item: Option<&str>) -> Result<CanContinue, CallbackError> {
        self.can_continue(item.map(id).as_ref())
    }
}

/// A handler whose `Synchronize` is a test script. The script sees the
/// session too, so it can cancel from "the user's side" at an exact point
/// and look at snapshots between calls. A failed assertion inside the
/// script is a panic in `Synchronize`, which the session turns into
/// `HandlerFailed`; [`run`] re-raises it with its message.
struct Script<F>(F);

impl<F> SyncCenterHandler for Script<F>
where
    F: Fn(&[SyncCenterItemId], &Callback) + Send + Sync,
{
    fn name(&self) -> Result<String, HandlerError> {
        Ok("script".into())
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _owner: WindowHandle,
        callback: Callback,
    ) -> Result<(), HandlerError> {
        (self.0)(items, &callback);
        Ok(())
    }
}

/// Run `script` as the handler of a fresh session over `items`.
fn run_script(
    mode: Mode,
    items: &[&str],
    script: impl Fn(&SyncCenterSession, &Callback) + Send + Sync + 'static,
) -> (SyncCenterSession, SyncCenterOutcome) {
    let session = SyncCenterSession::new(mode);
    let inner = session.clone();
    let handler = Script(move |_: &[SyncCenterItemId], cb: &Callback| script(&inner, cb));
    let outcome = session
        .run(Arc::new(handler), &ids(items))
        .expect("the session runs");
    if let SyncCenterOutcome::HandlerFailed(error) = &outcome {
        panic!("the script failed: {error}");
    }
    (session, outcome)
}

/// As [`run_script`], expecting `SyncCenterOutcome::Completed`.
fn run(
    mode: Mode,
    items: &[&str],
    script: impl Fn(&SyncCenterSession, &Callback) + Send + Sync + 'static,
) -> SyncCenterSession {
    let (session, outcome) = run_script(mode, items, script);
    assert_eq!(outcome, SyncCenterOutcome::Completed);
    session
}

fn item(session: &SyncCenterSession, name: &str) -> SyncCenterItemSnapshot {
    session
        .snapshot()
        .items
        .into_iter()
        .find(|i| i.id.as_str() == name)
        .unwrap_or_else(|| panic!("item {name} is not in the session"))
}

/// The parts of an item snapshot every rule test checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    phase: ItemPhase,
    status: Option<ProgressStatus>,
    finished_by_host: bool,
    acknowledged: bool,
    cancel_signalled: bool,
}

impl State {
    const fn new(phase: ItemPhase, status: Option<ProgressStatus>) -> Self {
        Self {
            phase,
            status,
            finished_by_host: false,
            acknowledged: false,
            cancel_signalled: false,
        }
    }

    const fn by_host(mut self) -> Self {
        self.finished_by_host = true;
        self
    }

    const fn acknowledged(mut self) -> Self {
        self.acknowledged = true;
        self
    }

    const fn signalled(mut self) -> Self {
        self.cancel_signalled = true;
        self
    }
}

fn state(snapshot: &SyncCenterItemSnapshot) -> State {
    State {
        phase: snapshot.phase,
        status: snapshot.status,
        finished_by_host: snapshot.finished_by_host,
        acknowledged: snapshot.acknowledged,
        cancel_signalled: snapshot.cancel_signalled,
    }
}

fn state_of(session: &SyncCenterSession, name: &str) -> State {
    state(&item(session, name))
}

const PENDING: State = State::new(ItemPhase::Pending, None);
const UPDATING: State = State::new(ItemPhase::Updating, Some(Updating));
const SUCCEEDED: State = State::new(ItemPhase::Succeeded, Some(Succeeded));
const FAILED: State = State::new(ItemPhase::Failed, Some(Failed));
const STOPPED: State = State::new(ItemPhase::Stopped, Some(Canceled));

/// One expected violation: rule, call, item (by text), answered code.
type Expected<'a> = (Rule, &'a str, Option<&'a str>, Option<HResult>);

fn assert_violations(session: &SyncCenterSession, expected: &[Expected<'_>]) {
    let got: Vec<(Rule, &str, Option<ItemKey>, Option<HResult>)> = session
        .violations()
        .iter()
        .map(|v| (v.rule, v.call, v.item.clone(), v.answered))
        .collect();
    let want: Vec<(Rule, &str, Option<ItemKey>, Option<HResult>)> = expected
        .iter()
        .map(|&(rule, call, item, answered)| {
            (rule, call, item.map(|n| ItemKey::Text(id(n))), answered)
        })
        .collect();
    assert_eq!(got, want, "violations:\n{}", session.conformance_report());
}

fn assert_clean(session: &SyncCenterSession) {
    let report = session.conformance_report();
    assert!(report.is_clean(), "{report}");
}

fn invalid_arg<T: std::fmt::Debug>(answer: Result<T, CallbackError>) {
    let error = answer.expect_err("E_INVALIDARG expected");
    assert!(
        matches!(error, CallbackError::InvalidArgument { .. }),
        "{error:?}"
    );
    assert_eq!(error.hresult(), HResult::E_INVALIDARG);
}

fn access_denied<T: std::fmt::Debug>(answer: Result<T, CallbackError>) {
    let error = answer.expect_err("E_ACCESSDENIED expected");
    assert!(
        matches!(error, CallbackError::AccessDenied { .. }),
        "{error:?}"
    );
    assert_eq!(error.hresult(), HResult::E_ACCESSDENIED);
}

fn unexpected<T: std::fmt::Debug>(answer: Result<T, CallbackError>) {
    let error = answer.expect_err("E_UNEXPECTED expected");
    assert!(
        matches!(error, CallbackError::Unexpected { .. }),
        "{error:?}"
    );
    assert_eq!(error.hresult(), HResult::E_UNEXPECTED);
}

/// `Some(code)` in strict mode, `None` in lenient mode: what a violation
/// records as answered when strict refuses and lenient tolerates.
fn strict_answer(mode: Mode, code: HResult) -> Option<HResult> {
    (mode == Mode::Strict).then_some(code)
}

/// Define `strict::$name` and `lenient::$name` tests calling `$name(mode)`;
/// `lenient: #[...]` adds attributes to the lenient one only.
macro_rules! both_modes {
    ($($name:ident $(lenient: #[$lenient:meta])?),+ $(,)?) => {
        mod strict {
            $(
                #[test]
                fn $name() {
                    super::$name(syncmgr::Mode::Strict);
                }
            )+
        }
        mod lenient {
            $(
                $(#[$lenient])?
                #[test]
                fn $name() {
                    super::$name(syncmgr::Mode::Lenient);
                }
            )+
        }
    };
}

both_modes!(
    rule_40_handler_text_over_the_limit_is_refused,
    rule_41_only_one_failed_after_a_terminal_report,
    rule_42_told_to_cancel_reports_more_work,
    rule_42_told_to_cancel_never_acknowledges,
    rule_42_cancel_all_never_acknowledged,
    rule_43_updating_steps_must_be_valid,
    rule_43_steps_ignored_when_indeterminate,
    rule_46_unknown_items,
    rule_47_session_item_changes,
    rule_50_no_call_after_synchronize,
    rule_51_every_item_ends_with_one_terminal_report,
    cancel_all_is_sticky,
    item_cancel_is_answered_until_acknowledged,
);

// --- §G.7 #40 ------------------------------------------------------------------

fn rule_40_handler_text_over_the_limit_is_refused(mode: Mode) {
    let session = run(mode, &["a"], |session, cb| {
        let longest = "x".repeat(MAX_SYNCMGR_PROGRESSTEXT - 1);
        assert_eq!(
            cb.set_handler_progress_text(&longest),
            Ok(CancelRequest::None)
        );
        invalid_arg(cb.set_handler_progress_text(&"x".repeat(MAX_SYNCMGR_PROGRESSTEXT)));
        // 130 characters outside the BMP are 260 UTF-16 units.
        invalid_arg(cb.set_handler_progress_text(&"😀".repeat(130)));
        invalid_arg(cb.set_handler_progress_text("a\0b"));
        // A refused text leaves the last accepted one.
        assert_eq!(session.snapshot().handler_text, Some(longest));
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
    });
    let refused = (
        Rule::SYNC_CENTER_LIMITS,
        "SetHandlerProgressText",
        None,
        Some(HResult::E_INVALIDARG),
    );
    assert_violations(&session, &[refused, refused, refused]);
    assert_eq!(
        session.snapshot().handler_text,
        Some("x".repeat(MAX_SYNCMGR_PROGRESSTEXT - 1))
    );
    assert_eq!(state_of(&session, "a"), SUCCEEDED);
}

// --- §G.7 #41 ------------------------------------------------------------------

const TERMINAL: [ProgressStatus; 4] = [Succeeded, Failed, Canceled, Disconnected];
const NOT_FAILED: [ProgressStatus; 5] = [
    Updating,
    UpdatingIndeterminate,
    Succeeded,
    Canceled,
    Disconnected,
];

fn rule_41_only_one_failed_after_a_terminal_report(mode: Mode) {
    let names: Vec<String> = (0..TERMINAL.len())
        .flat_map(|t| (0..NOT_FAILED.len()).map(move |n| format!("t{t}n{n}")))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let session = run(mode, &refs, |session, cb| {
        for (t, first) in TERMINAL.into_iter().enumerate() {
            for (n, later) in NOT_FAILED.into_iter().enumerate() {
                let name = format!("t{t}n{n}");
                assert_eq!(cb.report(&name, first, 1, 1), Ok(CancelRequest::None));
                // Anything but FAILED after a terminal status: E_ACCESSDENIED
                // in both modes (documented), and the item is marked failed.
                access_denied(cb.report(&name, later, 1, 1));
                assert_eq!(
                    state_of(session, &name),
                    after_refusal(first),
                    "{first:?} then {later:?}"
                );
            }
        }
    });
    let expected: Vec<Expected<'_>> = refs
        .iter()
        .map(|name| {
            (
                Rule::SYNC_CENTER_TERMINAL_IS_FINAL,
                "ReportProgress",
                Some(*name),
                Some(HResult::E_ACCESSDENIED),
            )
        })
        .collect();
    assert_violations(&session, &expected);
    for (t, first) in TERMINAL.into_iter().enumerate() {
        for n in 0..NOT_FAILED.len() {
            let name = format!("t{t}n{n}");
            assert_eq!(state_of(&session, &name), after_refusal(first), "{name}");
        }
    }
}

/// An item refused after a terminal `first` report: marked failed by the
/// host (a CANCELED `first` also counted as an acknowledgement).
fn after_refusal(first: ProgressStatus) -> State {
    if first == Canceled {
        FAILED.by_host().acknowledged()
    } else {
        FAILED.by_host()
    }
}

// --- §G.7 #42 ------------------------------------------------------------------

/// Items told to cancel (by a report answer, by `CanContinue`, by a
/// cancel-all) report more work, then acknowledge. Checks the answers and
/// the item states; returns the session for the violation checks.
fn rule_42_more_work_scenario(mode: Mode) -> SyncCenterSession {
    let strict = mode == Mode::Strict;
    let (session, outcome) = run_script(mode, &["a", "b", "c"], move |session, cb| {
        // a: told through the ReportProgress answer.
        assert_eq!(cb.report("a", Updating, 0, 4), Ok(CancelRequest::None));
        session.cancel_item(&id("a"), CancelReason::User).unwrap();
        // Not yet told: this report is applied, and it tells the item.
        assert_eq!(
            cb.report("a", Updating, 1, 4),
            Ok(CancelRequest::CancelItem)
        );
        assert_eq!(item(session, "a").steps, Some((1, 4)));
        assert_eq!(state_of(session, "a"), UPDATING.signalled());
        // Told: more work is a breach; the cancel is answered again.
        assert_eq!(
            cb.report("a", Updating, 2, 4),
            Ok(CancelRequest::CancelItem)
        );
        let applied = if strict { (1, 4) } else { (2, 4) };
        assert_eq!(item(session, "a").steps, Some(applied));
        assert_eq!(state_of(session, "a"), UPDATING.signalled());
        assert_eq!(cb.report("a", Canceled, 2, 4), Ok(CancelRequest::None));
        assert_eq!(state_of(session, "a"), STOPPED.signalled().acknowledged());

        // b: told through CanContinue's S_FALSE, before any report.
        session
            .cancel_item(&id("b"), CancelReason::Timeout)
            .unwrap();
        assert_eq!(cb.poll(Some("b")), Ok(CanContinue::Stop));
        assert_eq!(state_of(session, "b"), PENDING.signalled());
        assert_eq!(
            cb.report("b", Updating, 1, 2),
            Ok(CancelRequest::CancelItem)
        );
        let b = if strict { PENDING } else { UPDATING };
        assert_eq!(state_of(session, "b"), b.signalled());
        assert_eq!(cb.report("b", Canceled, 1, 2), Ok(CancelRequest::None));
        assert_eq!(state_of(session, "b"), STOPPED.signalled().acknowledged());

        // c: told through a cancel-all answer.
        assert_eq!(cb.report("c", Updating, 0, 1), Ok(CancelRequest::None));
        session.cancel_all(CancelReason::User);
        assert_eq!(cb.report("c", Updating, 1, 1), Ok(CancelRequest::CancelAll));
        assert_eq!(
            cb.report("c", UpdatingIndeterminate, 0, 0),
            Ok(CancelRequest::CancelAll)
        );
        let c = if strict {
            UPDATING
        } else {
            State::new(
                ItemPhase::UpdatingIndeterminate,
                Some(UpdatingIndeterminate),
            )
        };
        assert_eq!(state_of(session, "c"), c.signalled());
        assert_eq!(cb.report("c", Canceled, 1, 1), Ok(CancelRequest::CancelAll));
    });
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    for name in ["a", "b", "c"] {
        assert_eq!(
            state_of(&session, name),
            STOPPED.signalled().acknowledged(),
            "{name}"
        );
    }
    assert_eq!(item(&session, "a").cancel, Some(CancelReason::User));
    assert_eq!(item(&session, "b").cancel, Some(CancelReason::Timeout));
    assert_eq!(item(&session, "c").cancel, None);
    session
}

fn rule_42_told_to_cancel_reports_more_work(mode: Mode) {
    let session = rule_42_more_work_scenario(mode);
    // A strict host answered the cancel again instead of applying the
    // report: the call returned S_OK with the request in `pnCancelRequest`
    // (named in the violation's text); a lenient one applied it: tolerated,
    // so `None` (`Violation::answered`: "None when the call was tolerated").
    let item_cancel = strict_answer(mode, HResult::S_OK);
    let all_cancel = item_cancel;
    for (violation, request) in session.violations().iter().zip([
        "SYNCMGR_CR_CANCEL_ITEM",
        "SYNCMGR_CR_CANCEL_ITEM",
        "SYNCMGR_CR_CANCEL_ALL",
    ]) {
        assert!(
            violation
                .got
                .ends_with(&format!("answered {request} again")),
            "{violation}"
        );
    }
    assert_violations(
        &session,
        &[
            (
                Rule::CANCEL_ACKNOWLEDGED,
                "ReportProgress",
                Some("a"),
                item_cancel,
            ),
            (
                Rule::CANCEL_ACKNOWLEDGED,
                "ReportProgress",
                Some("b"),
                item_cancel,
            ),
            (
                Rule::CANCEL_ACKNOWLEDGED,
                "ReportProgress",
                Some("c"),
                all_cancel,
            ),
        ],
    );
}

fn rule_42_told_to_cancel_never_acknowledges(mode: Mode) {
    let session = run(mode, &["a", "b"], |session, cb| {
        assert_eq!(cb.report("a", Updating, 0, 2), Ok(CancelRequest::None));
        session.cancel_item(&id("a"), CancelReason::User).unwrap();
        assert_eq!(cb.poll(Some("a")), Ok(CanContinue::Stop));
        assert_eq!(cb.report("b", Succeeded, 1, 1), Ok(CancelRequest::None));
        // Returns without acknowledging a.
    });
    assert_violations(
        &session,
        &[
            (Rule::CANCEL_ACKNOWLEDGED, "Synchronize", Some("a"), None),
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("a"), None),
        ],
    );
    assert_eq!(state_of(&session, "a"), STOPPED.by_host().signalled());
    assert_eq!(state_of(&session, "b"), SUCCEEDED);
}

fn rule_42_cancel_all_never_acknowledged(mode: Mode) {
    let (session, outcome) = run_script(mode, &["a", "b"], |session, cb| {
        assert_eq!(cb.report("a", Updating, 0, 2), Ok(CancelRequest::None));
        session.cancel_all(CancelReason::Shutdown);
        assert_eq!(cb.report("a", Updating, 1, 2), Ok(CancelRequest::CancelAll));
        assert_eq!(cb.poll(Some("b")), Ok(CanContinue::Stop));
        // Returns without acknowledging either.
    });
    assert_eq!(
        outcome,
        SyncCenterOutcome::Cancelled(CancelReason::Shutdown)
    );
    assert_violations(
        &session,
        &[
            (Rule::CANCEL_ACKNOWLEDGED, "Synchronize", Some("a"), None),
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("a"), None),
            (Rule::CANCEL_ACKNOWLEDGED, "Synchronize", Some("b"), None),
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("b"), None),
        ],
    );
    assert_eq!(state_of(&session, "a"), STOPPED.by_host().signalled());
    assert_eq!(state_of(&session, "b"), STOPPED.by_host().signalled());
}

// --- §G.7 #43 ------------------------------------------------------------------

fn rule_43_updating_steps_must_be_valid(mode: Mode) {
    let strict = mode == Mode::Strict;
    let session = run(mode, &["a", "b", "c"], move |session, cb| {
        for (name, current, max) in [("a", 0, 0), ("b", 5, 3)] {
            let answer = cb.report(name, Updating, current, max);
            if strict {
                invalid_arg(answer);
                assert_eq!(state_of(session, name), PENDING);
                assert_eq!(item(session, name).steps, None);
            } else {
                assert_eq!(answer, Ok(CancelRequest::None));
                assert_eq!(state_of(session, name), UPDATING);
                assert_eq!(item(session, name).steps, Some((current, max)));
            }
            assert_eq!(cb.report(name, Succeeded, 1, 1), Ok(CancelRequest::None));
        }
        // The boundaries are valid.
        assert_eq!(cb.report("c", Updating, 0, 1), Ok(CancelRequest::None));
        assert_eq!(cb.report("c", Updating, 3, 3), Ok(CancelRequest::None));
        assert_eq!(item(session, "c").steps, Some((3, 3)));
        assert_eq!(cb.report("c", Succeeded, 3, 3), Ok(CancelRequest::None));
    });
    let answered = strict_answer(mode, HResult::E_INVALIDARG);
    assert_violations(
        &session,
        &[
            (Rule::STEPS_VALID, "ReportProgress", Some("a"), answered),
            (Rule::STEPS_VALID, "ReportProgress", Some("b"), answered),
        ],
    );
    for name in ["a", "b", "c"] {
        assert_eq!(state_of(&session, name), SUCCEEDED, "{name}");
    }
}

fn rule_43_steps_ignored_when_indeterminate(mode: Mode) {
    let indeterminate = State::new(
        ItemPhase::UpdatingIndeterminate,
        Some(UpdatingIndeterminate),
    );
    let session = run(mode, &["a", "b"], move |session, cb| {
        // Steps that would breach #43 under UPDATING are ignored here.
        assert_eq!(
            cb.report("a", UpdatingIndeterminate, 7, 0),
            Ok(CancelRequest::None)
        );
        assert_eq!(
            cb.report("a", UpdatingIndeterminate, 9, 3),
            Ok(CancelRequest::None)
        );
        assert_eq!(state_of(session, "a"), indeterminate);
        assert_eq!(item(session, "a").steps, None, "steps are not stored");
        // Indeterminate steps do not replace the last meaningful ones.
        assert_eq!(cb.report("b", Updating, 1, 4), Ok(CancelRequest::None));
        assert_eq!(
            cb.report("b", UpdatingIndeterminate, 0, 0),
            Ok(CancelRequest::None)
        );
        assert_eq!(state_of(session, "b"), indeterminate);
        assert_eq!(item(session, "b").steps, Some((1, 4)));
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
        assert_eq!(cb.report("b", Succeeded, 4, 4), Ok(CancelRequest::None));
    });
    assert_clean(&session);
    assert_eq!(state_of(&session, "a"), SUCCEEDED);
    assert_eq!(state_of(&session, "b"), SUCCEEDED);
}

// --- §G.7 #45 / #46 ------------------------------------------------------------

fn rule_46_unknown_items(mode: Mode) {
    let strict = mode == Mode::Strict;
    let (session, outcome) = run_script(mode, &["a"], move |session, cb| {
        // A report about an item not in the session.
        let answer = cb.report("ghost", Updating, 0, 1);
        if strict {
            invalid_arg(answer);
        } else {
            assert_eq!(answer, Ok(CancelRequest::None));
        }
        // An event about it.
        let event = SyncCenterEvent::new(EventLevel::Warning, "n", "d").about(id("ghost"));
        let answer = cb.report_event(&event);
        if strict {
            invalid_arg(answer);
        } else {
            assert_eq!(answer, Ok(Guid::from_u128(0)), "ignored: no event id");
        }
        // CanContinue for it: E_INVALIDARG in both modes (documented, #45).
        invalid_arg(cb.poll(Some("ghost")));
        // The handler as a whole is still known.
        assert_eq!(cb.poll(None), Ok(CanContinue::Continue));
        // A proposed item is not in the session until committed.
        let proposed = SyncCenterItem::new(id("proposed"), "Proposed").unwrap();
        assert_eq!(cb.propose_item(&proposed), Ok(()));
        let answer = cb.report("proposed", Updating, 0, 1);
        if strict {
            invalid_arg(answer);
        } else {
            assert_eq!(answer, Ok(CancelRequest::None));
        }
        // Under a cancel-all, a lenient host answers it to the stray report.
        session.cancel_all(CancelReason::User);
        let answer = cb.report("ghost", Updating, 0, 1);
        if strict {
            invalid_arg(answer);
        } else {
            assert_eq!(answer, Ok(CancelRequest::CancelAll));
        }
        invalid_arg(cb.poll(Some("ghost")));
        assert_eq!(cb.report("a", Canceled, 0, 1), Ok(CancelRequest::CancelAll));
    });
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    let answered = strict_answer(mode, HResult::E_INVALIDARG);
    let always = Some(HResult::E_INVALIDARG);
    assert_violations(
        &session,
        &[
            (
                Rule::SESSION_ITEM,
                "ReportProgress",
                Some("ghost"),
                answered,
            ),
            (Rule::SESSION_ITEM, "ReportEvent", Some("ghost"), answered),
            (Rule::SESSION_ITEM, "CanContinue", Some("ghost"), always),
            (
                Rule::SESSION_ITEM,
                "ReportProgress",
                Some("proposed"),
                answered,
            ),
            (
                Rule::SESSION_ITEM,
                "ReportProgress",
                Some("ghost"),
                answered,
            ),
            (Rule::SESSION_ITEM, "CanContinue", Some("ghost"), always),
        ],
    );
    let snapshot = session.snapshot();
    assert_eq!(snapshot.items.len(), 1, "unknown items never join");
    // A lenient host's handler-wide answer to a stray report carried the
    // cancel-all to the one real item; a strict host refused the report.
    let expected = if strict {
        STOPPED.acknowledged()
    } else {
        STOPPED.signalled().acknowledged()
    };
    assert_eq!(state(&snapshot.items[0]), expected);
    assert!(
        session.events().is_empty(),
        "the stray event was not logged"
    );
}

#[test]
fn host_cancel_of_an_unknown_item_is_an_error() {
    let session = SyncCenterSession::new(Mode::Strict);
    assert_eq!(
        session.cancel_item(&id("ghost"), CancelReason::User),
        Err(SyncCenterError::UnknownItem(id("ghost")))
    );
}

// --- §G.7 #47 ------------------------------------------------------------------

fn rule_47_session_item_changes(mode: Mode) {
    let session = run(mode, &["a"], |session, cb| {
        // AddItemToSession: an item already in the session, then a new one
        // twice.
        invalid_arg(cb.add_item_to_session(&id("a")));
        assert_eq!(cb.add_item_to_session(&id("added")), Ok(()));
        assert_eq!(state_of(session, "added"), PENDING);
        invalid_arg(cb.add_item_to_session(&id("added")));
        // ProposeItem: an existing item, then a new one twice.
        invalid_arg(cb.propose_item(&SyncCenterItem::new(id("a"), "A").unwrap()));
        let new = SyncCenterItem::new(id("new"), "New").unwrap();
        assert_eq!(cb.propose_item(&new), Ok(()));
        assert!(
            session.snapshot().items.iter().all(|i| i.id != id("new")),
            "a proposed item is invisible until committed"
        );
        invalid_arg(cb.propose_item(&new));
        // CommitItem: without a proposal, then twice.
        invalid_arg(cb.commit_item(&id("never")));
        assert_eq!(cb.commit_item(&id("new")), Ok(()));
        assert_eq!(state_of(session, "new"), PENDING);
        invalid_arg(cb.commit_item(&id("new")));
        // An item in the session cannot be committed either.
        invalid_arg(cb.commit_item(&id("a")));
        for name in ["a", "added", "new"] {
            assert_eq!(cb.report(name, Succeeded, 1, 1), Ok(CancelRequest::None));
        }
    });
    let refused = |call: &'static str, item: &'static str| -> Expected<'static> {
        (
            Rule::SESSION_ITEM_CHANGES,
            call,
            Some(item),
            Some(HResult::E_INVALIDARG),
        )
    };
    assert_violations(
        &session,
        &[
            refused("AddItemToSession", "a"),
            refused("AddItemToSession", "added"),
            refused("ProposeItem", "a"),
            refused("ProposeItem", "new"),
            refused("CommitItem", "never"),
            refused("CommitItem", "new"),
            refused("CommitItem", "a"),
        ],
    );
    let names: Vec<String> = session
        .snapshot()
        .items
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(names, ["a", "added", "new"], "in the order they joined");
    for name in ["a", "added", "new"] {
        assert_eq!(state_of(&session, name), SUCCEEDED, "{name}");
    }
}

// --- §G.7 #50 ------------------------------------------------------------------

fn rule_50_no_call_after_synchronize(mode: Mode) {
    let kept: Arc<Mutex<Option<Callback>>> = Arc::default();
    let keep = Arc::clone(&kept);
    let session = run(mode, &["a"], move |_, cb| {
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
        *keep.lock().unwrap() = Some(Arc::clone(cb));
    });
    assert!(session.snapshot().finished);
    let cb = kept.lock().unwrap().take().expect("the script kept it");
    let late_report = cb.report("a", Failed, 1, 1);
    let late_poll = cb.poll(Some("a"));
    let late_text = cb.set_handler_progress_text("late");
    if mode == Mode::Strict {
        unexpected(late_report);
        unexpected(late_poll);
        unexpected(late_text);
        assert_eq!(state_of(&session, "a"), SUCCEEDED);
        assert_eq!(session.snapshot().handler_text, None);
    } else {
        // Recorded, then processed: one FAILED after SUCCEEDED is allowed.
        assert_eq!(late_report, Ok(CancelRequest::None));
        assert_eq!(late_poll, Ok(CanContinue::Continue));
        assert_eq!(late_text, Ok(CancelRequest::None));
        assert_eq!(state_of(&session, "a"), FAILED);
        assert_eq!(session.snapshot().handler_text.as_deref(), Some("late"));
    }
    let answered = strict_answer(mode, HResult::E_UNEXPECTED);
    assert_violations(
        &session,
        &[
            (
                Rule::NO_CALL_AFTER_SYNCHRONIZE,
                "ReportProgress",
                Some("a"),
                answered,
            ),
            (
                Rule::NO_CALL_AFTER_SYNCHRONIZE,
                "CanContinue",
                Some("a"),
                answered,
            ),
            (
                Rule::NO_CALL_AFTER_SYNCHRONIZE,
                "SetHandlerProgressText",
                None,
                answered,
            ),
        ],
    );
}

// --- §G.7 #51 ------------------------------------------------------------------

fn rule_51_every_item_ends_with_one_terminal_report(mode: Mode) {
    let session = run(mode, &["a", "b", "c", "d"], |session, cb| {
        // a: one FAILED after the terminal report is accepted, a second is
        // refused.
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
        assert_eq!(cb.report("a", Failed, 1, 1), Ok(CancelRequest::None));
        assert_eq!(state_of(session, "a"), FAILED);
        access_denied(cb.report("a", Failed, 1, 1));
        assert_eq!(state_of(session, "a"), FAILED.by_host());
        // b: started, never finished.
        assert_eq!(cb.report("b", Updating, 0, 2), Ok(CancelRequest::None));
        // c: cancelled by the user but never told, never reported.
        session.cancel_item(&id("c"), CancelReason::User).unwrap();
        // d: finished properly.
        assert_eq!(cb.report("d", Succeeded, 1, 1), Ok(CancelRequest::None));
    });
    assert_violations(
        &session,
        &[
            (
                Rule::ONE_TERMINAL_REPORT,
                "ReportProgress",
                Some("a"),
                Some(HResult::E_ACCESSDENIED),
            ),
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("b"), None),
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("c"), None),
        ],
    );
    assert_eq!(state_of(&session, "a"), FAILED.by_host());
    assert_eq!(state_of(&session, "b"), FAILED.by_host());
    assert_eq!(state_of(&session, "c"), STOPPED.by_host());
    assert_eq!(state_of(&session, "d"), SUCCEEDED);
}

// --- cancellation ----------------------------------------------------------------

fn cancel_all_is_sticky(mode: Mode) {
    let (session, outcome) = run_script(mode, &["a", "b", "c"], |session, cb| {
        assert_eq!(cb.report("a", Updating, 0, 3), Ok(CancelRequest::None));
        assert_eq!(cb.poll(None), Ok(CanContinue::Continue));
        session.cancel_all(CancelReason::User);
        // A second request does not replace the first reason.
        session.cancel_all(CancelReason::Timeout);
        assert_eq!(cb.report("a", Updating, 1, 3), Ok(CancelRequest::CancelAll));
        assert_eq!(cb.poll(None), Ok(CanContinue::Stop));
        assert_eq!(cb.poll(Some("b")), Ok(CanContinue::Stop));
        assert_eq!(
            cb.set_handler_progress_text("stopping"),
            Ok(CancelRequest::CancelAll)
        );
        // Still answered after the acknowledgement, and after a late FAILED.
        assert_eq!(cb.report("a", Canceled, 1, 3), Ok(CancelRequest::CancelAll));
        assert_eq!(cb.report("a", Failed, 1, 3), Ok(CancelRequest::CancelAll));
        assert_eq!(cb.poll(Some("a")), Ok(CanContinue::Stop));
        // An item added after the cancel-all is answered CancelAll.
        assert_eq!(cb.add_item_to_session(&id("late")), Ok(()));
        assert_eq!(cb.poll(Some("late")), Ok(CanContinue::Stop));
        assert_eq!(
            cb.report("late", Canceled, 0, 1),
            Ok(CancelRequest::CancelAll)
        );
        assert_eq!(cb.report("b", Canceled, 0, 1), Ok(CancelRequest::CancelAll));
        assert_eq!(cb.report("c", Canceled, 0, 1), Ok(CancelRequest::CancelAll));
        assert_eq!(cb.poll(None), Ok(CanContinue::Stop));
    });
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    assert_clean(&session);
    let snapshot = session.snapshot();
    assert_eq!(snapshot.cancel_all, Some(CancelReason::User));
    assert_eq!(snapshot.handler_text.as_deref(), Some("stopping"));
    assert_eq!(state_of(&session, "a"), FAILED.signalled().acknowledged());
    assert_eq!(state_of(&session, "b"), STOPPED.signalled().acknowledged());
    // c heard the cancel-all through the handler-wide answers.
    assert_eq!(state_of(&session, "c"), STOPPED.signalled().acknowledged());
    assert_eq!(
        state_of(&session, "late"),
        STOPPED.signalled().acknowledged()
    );
}

#[test]
fn item_added_after_cancel_all_is_answered_cancel_all_on_its_first_report() {
    let (session, outcome) = run_script(Mode::Strict, &["a"], |session, cb| {
        session.cancel_all(CancelReason::User);
        assert_eq!(cb.add_item_to_session(&id("late")), Ok(()));
        // Its first report is not yet a breach; it is answered CancelAll.
        assert_eq!(
            cb.report("late", Updating, 0, 2),
            Ok(CancelRequest::CancelAll)
        );
        assert_eq!(state_of(session, "late"), UPDATING.signalled());
        assert_eq!(
            cb.report("late", Canceled, 0, 2),
            Ok(CancelRequest::CancelAll)
        );
        assert_eq!(cb.report("a", Canceled, 0, 1), Ok(CancelRequest::CancelAll));
    });
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    assert_clean(&session);
    assert_eq!(
        state_of(&session, "late"),
        STOPPED.signalled().acknowledged()
    );
    assert_eq!(state_of(&session, "a"), STOPPED.acknowledged());
}

#[test]
fn item_left_open_after_cancel_all_is_stopped_by_the_host() {
    // An item added after cancel-all and never reported is finished Stopped,
    // not Failed: it was cancelled (born cancelled).
    let (session, outcome) = run_script(Mode::Strict, &["a"], |session, cb| {
        session.cancel_all(CancelReason::User);
        assert_eq!(cb.add_item_to_session(&id("late")), Ok(()));
        assert_eq!(cb.report("a", Canceled, 0, 1), Ok(CancelRequest::CancelAll));
    });
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    assert_violations(
        &session,
        &[(Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("late"), None)],
    );
    assert_eq!(state_of(&session, "late"), STOPPED.by_host());
}

fn item_cancel_is_answered_until_acknowledged(mode: Mode) {
    let session = run(mode, &["a", "b"], |session, cb| {
        session.cancel_item(&id("a"), CancelReason::User).unwrap();
        assert_eq!(
            cb.report("a", Updating, 0, 2),
            Ok(CancelRequest::CancelItem)
        );
        // Every poll answers S_FALSE until the acknowledgement...
        assert_eq!(cb.poll(Some("a")), Ok(CanContinue::Stop));
        assert_eq!(cb.poll(Some("a")), Ok(CanContinue::Stop));
        // ...while the handler as a whole and the other item go on.
        assert_eq!(cb.poll(None), Ok(CanContinue::Continue));
        assert_eq!(cb.poll(Some("b")), Ok(CanContinue::Continue));
        assert_eq!(
            cb.set_handler_progress_text("working"),
            Ok(CancelRequest::None)
        );
        assert_eq!(cb.report("b", Updating, 0, 1), Ok(CancelRequest::None));
        // The acknowledgement is answered CR_NONE, and so is what follows.
        assert_eq!(cb.report("a", Canceled, 0, 2), Ok(CancelRequest::None));
        assert_eq!(cb.poll(Some("a")), Ok(CanContinue::Continue));
        // A second cancel of a finished item changes nothing.
        session
            .cancel_item(&id("a"), CancelReason::Timeout)
            .unwrap();
        assert_eq!(cb.poll(Some("a")), Ok(CanContinue::Continue));
        assert_eq!(cb.report("b", Succeeded, 1, 1), Ok(CancelRequest::None));
    });
    assert_clean(&session);
    assert_eq!(state_of(&session, "a"), STOPPED.signalled().acknowledged());
    assert_eq!(item(&session, "a").cancel, Some(CancelReason::User));
    assert_eq!(state_of(&session, "b"), SUCCEEDED);
    assert_eq!(item(&session, "b").cancel, None);
}

// --- the session API ---------------------------------------------------------------

struct Panicking;

impl SyncCenterHandler for Panicking {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("panicking".into())
    }

    fn synchronize(
        &self,
        _: &[SyncCenterItemId],
        _: WindowHandle,
        callback: Callback,
    ) -> Result<(), HandlerError> {
        let _ = callback.report("a", Updating, 0, 1);
        panic!("boom");
    }
}

#[test]
fn a_panicking_handler_fails_the_session() {
    let session = SyncCenterSession::new(Mode::Strict);
    let outcome = session.run(Arc::new(Panicking), &ids(&["a", "b"]));
    assert_eq!(
        outcome,
        Ok(SyncCenterOutcome::HandlerFailed(HandlerError::failed(
            "handler panicked in Synchronize: boom"
        )))
    );
    // The items it left open are finished by the host.
    assert_eq!(state_of(&session, "a"), FAILED.by_host());
    assert_eq!(state_of(&session, "b"), FAILED.by_host());
    assert_violations(
        &session,
        &[
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("a"), None),
            (Rule::ONE_TERMINAL_REPORT, "Synchronize", Some("b"), None),
        ],
    );
    assert!(session.snapshot().finished);
}

#[test]
fn a_failing_handler_fails_the_session() {
    struct Failing;
    impl SyncCenterHandler for Failing {
        fn name(&self) -> Result<String, HandlerError> {
            Ok("failing".into())
        }
        fn synchronize(
            &self,
            items: &[SyncCenterItemId],
            _: WindowHandle,
            callback: Callback,
        ) -> Result<(), HandlerError> {
            for item in items {
                let report = SyncCenterProgress::new(item.clone(), Failed, 0, 1);
                callback
                    .report_progress(&report)
                    .map_err(|e| HandlerError::failed(e.to_string()))?;
            }
            Err(HandlerError::Aborted)
        }
    }
    let session = SyncCenterSession::new(Mode::Strict);
    let outcome = session.run(Arc::new(Failing), &ids(&["a"]));
    assert_eq!(
        outcome,
        Ok(SyncCenterOutcome::HandlerFailed(HandlerError::Aborted))
    );
    assert_eq!(state_of(&session, "a"), FAILED);
    assert_clean(&session);
}

fn never_runs(_: &[SyncCenterItemId], _: &Callback) {
    panic!("must not run");
}

#[test]
fn a_session_runs_once() {
    let calls = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&calls);
    let session = run(Mode::Strict, &["a"], move |_, cb| {
        *counter.lock().unwrap() += 1;
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
    });
    assert_eq!(
        session.run(Arc::new(Script(never_runs)), &ids(&["b"])),
        Err(SyncCenterError::AlreadyRun)
    );
    assert_eq!(*calls.lock().unwrap(), 1);
    assert_eq!(session.snapshot().items.len(), 1);
}

#[test]
fn duplicate_items_are_refused_before_the_handler_runs() {
    let session = SyncCenterSession::new(Mode::Strict);
    assert_eq!(
        session.run(Arc::new(Script(never_runs)), &ids(&["a", "b", "a"])),
        Err(SyncCenterError::DuplicateItem(id("a")))
    );
    assert!(session.snapshot().items.is_empty());
}

#[test]
fn additional_items_are_queried_once() {
    let session = SyncCenterSession::new(Mode::Strict);
    session.request_additional_items(ids(&["x", "y"]));
    let inner = session.clone();
    let handler = Script(move |_: &[SyncCenterItemId], cb: &Callback| {
        assert_eq!(cb.query_for_additional_items(), Ok(ids(&["x", "y"])));
        assert_eq!(cb.query_for_additional_items(), Ok(Vec::new()));
        // Querying does not add them; the handler does.
        assert!(inner.snapshot().items.iter().all(|i| i.id != id("x")));
        assert_eq!(cb.add_item_to_session(&id("x")), Ok(()));
        // Requested while the session runs.
        inner.request_additional_items([id("z")]);
        assert_eq!(cb.query_for_additional_items(), Ok(ids(&["z"])));
        assert_eq!(cb.query_for_additional_items(), Ok(Vec::new()));
        for name in ["a", "x"] {
            assert_eq!(cb.report(name, Succeeded, 1, 1), Ok(CancelRequest::None));
        }
    });
    let outcome = session.run(Arc::new(handler), &ids(&["a"]));
    assert_eq!(outcome, Ok(SyncCenterOutcome::Completed));
    let names: Vec<String> = session
        .snapshot()
        .items
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(names, ["a", "x"]);
    assert_clean(&session);
}

#[test]
fn events_get_fresh_distinct_ids_and_are_recorded() {
    let first = SyncCenterEvent::new(EventLevel::Information, "Started", "The sync started");
    let mut second =
        SyncCenterEvent::new(EventLevel::Error, "Copy failed", "Disk full").about(id("a"));
    second.link_text = Some("Details".into());
    second.link_reference = Some("https://example.invalid/a".into());
    second.context = Some("ctx".into());
    let events = vec![first.clone(), second.clone(), first.clone()];
    let answers: Arc<Mutex<Vec<Guid>>> = Arc::default();
    let seen = Arc::clone(&answers);
    let session = run(Mode::Strict, &["a"], move |_, cb| {
        for event in &events {
            seen.lock().unwrap().push(cb.report_event(event).unwrap());
        }
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
    });
    let got = answers.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|g| !g.is_null()), "{got:?}");
    assert!(
        got[0] != got[1] && got[1] != got[2] && got[0] != got[2],
        "{got:?}"
    );
    let recorded: Vec<(Guid, SyncCenterEvent)> = session
        .events()
        .into_iter()
        .map(|record| (record.id, record.event))
        .collect();
    assert_eq!(
        recorded,
        vec![(got[0], first.clone()), (got[1], second), (got[2], first)]
    );
    assert_clean(&session);
}

#[test]
fn event_ids_differ_between_sessions() {
    let one = || {
        let answers: Arc<Mutex<Vec<Guid>>> = Arc::default();
        let seen = Arc::clone(&answers);
        run(Mode::Strict, &["a"], move |_, cb| {
            let event = SyncCenterEvent::new(EventLevel::Information, "n", "d");
            seen.lock().unwrap().push(cb.report_event(&event).unwrap());
            assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
        });
        answers.lock().unwrap()[0]
    };
    assert_ne!(one(), one());
}

#[test]
fn manual_sync_and_objects_are_recorded() {
    let session = run(Mode::Strict, &["a"], |_, cb| {
        assert_eq!(cb.report_manual_sync(), Ok(()));
        assert_eq!(cb.add_object_to_session(Arc::new(1_u32)), Ok(()));
        assert_eq!(cb.add_object_to_session(Arc::new("two")), Ok(()));
        assert_eq!(cb.report("a", Succeeded, 1, 1), Ok(CancelRequest::None));
    });
    let snapshot = session.snapshot();
    assert!(snapshot.manual_sync);
    assert_eq!(snapshot.objects, 2);
    assert_clean(&session);
}

#[test]
fn progress_text_and_steps_are_kept() {
    let session = run(Mode::Strict, &["a"], |_, cb| {
        let report = SyncCenterProgress::new(id("a"), Updating, 1, 4)
            .with_text("1 of 4")
            .unwrap();
        assert_eq!(cb.report_progress(&report), Ok(CancelRequest::None));
        // A report without text keeps the last text.
        assert_eq!(cb.report("a", Updating, 2, 4), Ok(CancelRequest::None));
        assert_eq!(cb.report("a", Succeeded, 4, 4), Ok(CancelRequest::None));
    });
    let a = item(&session, "a");
    assert_eq!(a.text.as_deref(), Some("1 of 4"));
    assert_eq!(a.steps, Some((4, 4)));
    assert_eq!(state(&a), SUCCEEDED);
}

// --- decoders: §G.7 #40 and #49 ------------------------------------------------------

fn utf16(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

#[test]
fn limits_are_the_facts_values() {
    assert_eq!(MAX_SYNCMGR_ID, 64);
    assert_eq!(syncmgr::sync_center::MAX_SYNCMGR_NAME, 128);
    assert_eq!(MAX_SYNCMGR_PROGRESSTEXT, 260);
}

#[test]
fn item_ids_are_checked() {
    const FIELD: &str = "pszItemID";
    assert_eq!(id(&"x".repeat(63)).as_str().len(), 63);
    assert_eq!(
        SyncCenterItemId::new("x".repeat(64)),
        Err(DecodeError::TextTooLong {
            field: FIELD,
            units: 64,
            limit: 64
        })
    );
    // 32 characters outside the BMP are 64 units; 31 and one more are 63.
    assert_eq!(
        SyncCenterItemId::new("😀".repeat(32)),
        Err(DecodeError::TextTooLong {
            field: FIELD,
            units: 64,
            limit: 64
        })
    );
    assert!(SyncCenterItemId::new(format!("{}x", "😀".repeat(31))).is_ok());
    assert_eq!(
        SyncCenterItemId::new(""),
        Err(DecodeError::Empty { field: FIELD })
    );
    assert_eq!(
        SyncCenterItemId::new("a\0b"),
        Err(DecodeError::InteriorNul {
            field: FIELD,
            position: 1
        })
    );
    assert_eq!(
        SyncCenterItemId::from_utf16(&[0x61, 0xD800, 0x62]),
        Err(DecodeError::InvalidUtf16 {
            field: FIELD,
            unit: 0xD800,
            position: 1
        })
    );
    assert_eq!(
        SyncCenterItemId::from_utf16(&[0x61, 0, 0x62]),
        Err(DecodeError::InteriorNul {
            field: FIELD,
            position: 1
        })
    );
    assert_eq!(
        SyncCenterItemId::from_utf16(&[]),
        Err(DecodeError::Empty { field: FIELD })
    );
    assert_eq!(
        SyncCenterItemId::from_utf16(&utf16(&"y".repeat(64))),
        Err(DecodeError::TextTooLong {
            field: FIELD,
            units: 64,
            limit: 64
        })
    );
    let ok = SyncCenterItemId::from_utf16(&utf16("naïve ☃")).unwrap();
    assert_eq!(ok.as_str(), "naïve ☃");
    let mut z = utf16("naïve ☃");
    z.push(0);
    assert_eq!(ok.to_utf16z(), z);
    assert_eq!("inbox".parse::<SyncCenterItemId>(), Ok(id("inbox")));
    assert_eq!(SyncCenterItemId::try_from("inbox"), Ok(id("inbox")));
}

#[test]
fn progress_reports_are_checked() {
    const ITEM: &str = "pszItemID";
    const TEXT: &str = "pszProgressText";
    let a = utf16("a");
    // Valid, with and without text.
    let report = SyncCenterProgress::from_raw(&a, Some(&utf16("hi")), 1, 2, 5).unwrap();
    assert_eq!(
        report,
        SyncCenterProgress::new(id("a"), Updating, 2, 5)
            .with_text("hi")
            .unwrap()
    );
    assert_eq!(report.text(), Some("hi"));
    assert_eq!(
        (report.status(), report.current_step(), report.max_step()),
        (Updating, 2, 5)
    );
    let report = SyncCenterProgress::from_raw(&a, None, 2, 9, 0).unwrap();
    assert_eq!(report.text(), None);
    assert!(!report.has_steps());
    // The id.
    assert_eq!(
        SyncCenterProgress::from_raw(&utf16(&"x".repeat(64)), None, 1, 0, 1),
        Err(DecodeError::TextTooLong {
            field: ITEM,
            units: 64,
            limit: 64
        })
    );
    assert!(SyncCenterProgress::from_raw(&utf16(&"x".repeat(63)), None, 1, 0, 1).is_ok());
    assert_eq!(
        SyncCenterProgress::from_raw(&[], None, 1, 0, 1),
        Err(DecodeError::Empty { field: ITEM })
    );
    assert_eq!(
        SyncCenterProgress::from_raw(&[0xDC00], None, 1, 0, 1),
        Err(DecodeError::InvalidUtf16 {
            field: ITEM,
            unit: 0xDC00,
            position: 0
        })
    );
    assert_eq!(
        SyncCenterProgress::from_raw(&[0x61, 0], None, 1, 0, 1),
        Err(DecodeError::InteriorNul {
            field: ITEM,
            position: 1
        })
    );
    // The text.
    let longest = utf16(&"t".repeat(259));
    assert!(SyncCenterProgress::from_raw(&a, Some(&longest), 1, 0, 1).is_ok());
    assert_eq!(
        SyncCenterProgress::from_raw(&a, Some(&utf16(&"t".repeat(260))), 1, 0, 1),
        Err(DecodeError::TextTooLong {
            field: TEXT,
            units: 260,
            limit: 260
        })
    );
    assert_eq!(
        SyncCenterProgress::from_raw(&a, Some(&[0x74, 0xD800]), 1, 0, 1),
        Err(DecodeError::InvalidUtf16 {
            field: TEXT,
            unit: 0xD800,
            position: 1
        })
    );
    assert_eq!(
        SyncCenterProgress::from_raw(&a, Some(&[0x74, 0, 0x74]), 1, 0, 1),
        Err(DecodeError::InteriorNul {
            field: TEXT,
            position: 1
        })
    );
    // The status.
    for bad in [0, 7, u32::MAX] {
        assert_eq!(
            SyncCenterProgress::from_raw(&a, None, bad, 0, 1),
            Err(DecodeError::UnknownValue {
                type_name: "SYNCMGR_PROGRESS_STATUS",
                value: bad
            })
        );
    }
    // with_text.
    let base = SyncCenterProgress::new(id("a"), Updating, 0, 1);
    assert!(base.clone().with_text("t".repeat(259)).is_ok());
    assert_eq!(
        base.clone().with_text("t".repeat(260)),
        Err(DecodeError::TextTooLong {
            field: TEXT,
            units: 260,
            limit: 260
        })
    );
    assert_eq!(
        base.clone().with_text("😀".repeat(130)),
        Err(DecodeError::TextTooLong {
            field: TEXT,
            units: 260,
            limit: 260
        })
    );
    assert_eq!(
        base.with_text("ab\0"),
        Err(DecodeError::InteriorNul {
            field: TEXT,
            position: 2
        })
    );
}

#[test]
fn events_are_checked() {
    let name = utf16("Copy failed");
    let description = utf16("Disk full");
    let decode = |item: Option<&[u16]>,
                  level: u32,
                  flags: u32,
                  name: Option<&[u16]>,
                  description: Option<&[u16]>| {
        SyncCenterEvent::from_raw(item, level, flags, name, description, None, None, None)
    };
    // Valid.
    let event = decode(None, 3, 0, Some(&name), Some(&description)).unwrap();
    assert_eq!(
        event,
        SyncCenterEvent::new(EventLevel::Error, "Copy failed", "Disk full")
    );
    assert_eq!(event.flags, EventFlags::NONE);
    let about = decode(Some(&utf16("a")), 1, 0, Some(&name), Some(&description)).unwrap();
    assert_eq!(about.item, Some(id("a")));
    // An empty item id means the handler.
    let empty = decode(Some(&[]), 2, 0, Some(&name), Some(&description)).unwrap();
    assert_eq!(empty.item, None);
    // Links and context.
    let full = SyncCenterEvent::from_raw(
        None,
        1,
        0,
        Some(&name),
        Some(&description),
        Some(&utf16("Details")),
        Some(&utf16("ref")),
        Some(&utf16("ctx")),
    )
    .unwrap();
    assert_eq!(full.link_text.as_deref(), Some("Details"));
    assert_eq!(full.link_reference.as_deref(), Some("ref"));
    assert_eq!(full.context.as_deref(), Some("ctx"));
    // NULL name or description.
    assert_eq!(
        decode(None, 1, 0, None, Some(&description)),
        Err(DecodeError::MissingField { field: "pszName" })
    );
    assert_eq!(
        decode(None, 1, 0, Some(&name), None),
        Err(DecodeError::MissingField {
            field: "pszDescription"
        })
    );
    // A bad level.
    for level in [0, 4, u32::MAX] {
        assert_eq!(
            decode(None, level, 0, Some(&name), Some(&description)),
            Err(DecodeError::UnknownValue {
                type_name: "SYNCMGR_EVENT_LEVEL",
                value: level
            })
        );
    }
    // Any flag (#49: nFlags is unused, so only SYNCMGR_EF_NONE).
    for flags in [1, 2, 0x8000_0000, u32::MAX] {
        assert_eq!(
            decode(None, 1, flags, Some(&name), Some(&description)),
            Err(DecodeError::UnknownBits {
                type_name: "SYNCMGR_EVENT_FLAGS",
                value: flags,
                unknown: flags,
                valid_mask: 0
            })
        );
    }
    // A bad item id.
    assert_eq!(
        decode(
            Some(&utf16(&"x".repeat(64))),
            1,
            0,
            Some(&name),
            Some(&description)
        ),
        Err(DecodeError::TextTooLong {
            field: "pszItemID",
            units: 64,
            limit: 64
        })
    );
    // Invalid text in the required and optional strings.
    assert_eq!(
        decode(None, 1, 0, Some(&[0xD800]), Some(&description)),
        Err(DecodeError::InvalidUtf16 {
            field: "pszName",
            unit: 0xD800,
            position: 0
        })
    );
    assert_eq!(
        SyncCenterEvent::from_raw(
            None,
            1,
            0,
            Some(&name),
            Some(&description),
            Some(&[0x61, 0]),
            None,
            None
        ),
        Err(DecodeError::InteriorNul {
            field: "pszLinkText",
            position: 1
        })
    );
}

#[test]
fn item_names_are_checked() {
    assert!(SyncCenterItem::new(id("a"), "n".repeat(127)).is_ok());
    assert_eq!(
        SyncCenterItem::new(id("a"), "n".repeat(128)),
        Err(DecodeError::TextTooLong {
            field: "pszName",
            units: 128,
            limit: 128
        })
    );
    let item = SyncCenterItem::new(id("a"), "Inbox").unwrap();
    assert_eq!((item.id(), item.name()), (&id("a"), "Inbox"));
}

// --- the published sample's loop -------------------------------------------------------

/// What the sample handler reported, and the cancel request it got back.
type Sent = (String, ProgressStatus, u32, CancelRequest);

type Hook = Box<dyn Fn(usize, u32) + Send + Sync>;

/// A handler that follows the `ISyncMgrHandler::Synchronize` sample: for
/// each item, report the maximum first (UPDATING 0/max), then each step
/// (UPDATING k/max), checking the cancel request after every report; on
/// CANCEL_ITEM report CANCELED for that item and move on, on CANCEL_ALL
/// report CANCELED for it and every remaining item; otherwise finish with
/// SUCCEEDED, or FAILED for the items it is scripted to fail.
struct SampleHandler {
    steps: u32,
    fail: Vec<&'static str>,
    /// Called after the work of step `k` of item `i`, before reporting it.
    hook: Hook,
    sent: Mutex<Vec<Sent>>,
}

impl SampleHandler {
    fn new(steps: u32, fail: Vec<&'static str>, hook: Hook) -> Self {
        Self {
            steps,
            fail,
            hook,
            sent: Mutex::new(Vec::new()),
        }
    }

    fn send(
        &self,
        callback: &Callback,
        item: &SyncCenterItemId,
        status: ProgressStatus,
        step: u32,
    ) -> Result<CancelRequest, HandlerError> {
        let text = format!("{status} {step}/{}", self.steps);
        let report = SyncCenterProgress::new(item.clone(), status, step, self.steps)
            .with_text(text)
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        let answer = callback
            .report_progress(&report)
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        self.sent
            .lock()
            .unwrap()
            .push((item.to_string(), status, step, answer));
        Ok(answer)
    }
}

impl SyncCenterHandler for SampleHandler {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("sample".into())
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _owner: WindowHandle,
        callback: Callback,
    ) -> Result<(), HandlerError> {
        let mut cancel_all = false;
        for (i, item) in items.iter().enumerate() {
            if cancel_all {
                self.send(&callback, item, Canceled, 0)?;
                continue;
            }
            let mut request = self.send(&callback, item, Updating, 0)?;
            let mut step = 0;
            while request == CancelRequest::None && step < self.steps {
                step += 1;
                (self.hook)(i, step);
                request = self.send(&callback, item, Updating, step)?;
            }
            match request {
                CancelRequest::None => {
                    let end = if self.fail.contains(&item.as_str()) {
                        Failed
                    } else {
                        Succeeded
                    };
                    self.send(&callback, item, end, step)?;
                }
                CancelRequest::CancelItem => {
                    self.send(&callback, item, Canceled, step)?;
                }
                CancelRequest::CancelAll => {
                    self.send(&callback, item, Canceled, step)?;
                    cancel_all = true;
                }
            }
        }
        Ok(())
    }
}

const SAMPLE_ITEMS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];

fn sent(item: &str, status: ProgressStatus, step: u32, answer: CancelRequest) -> Sent {
    (item.to_owned(), status, step, answer)
}

#[test]
fn sample_loop_undisturbed() {
    let session = SyncCenterSession::new(Mode::Strict);
    let handler = Arc::new(SampleHandler::new(3, vec!["gamma"], Box::new(|_, _| {})));
    let outcome = session.run(handler.clone(), &ids(&SAMPLE_ITEMS));
    assert_eq!(outcome, Ok(SyncCenterOutcome::Completed));
    assert_clean(&session);
    for name in SAMPLE_ITEMS {
        let expected = if name == "gamma" { FAILED } else { SUCCEEDED };
        let snapshot = item(&session, name);
        assert_eq!(state(&snapshot), expected, "{name}");
        assert_eq!(snapshot.steps, Some((3, 3)), "{name}");
        assert_eq!(snapshot.cancel, None, "{name}");
        let end = if name == "gamma" { Failed } else { Succeeded };
        assert_eq!(
            snapshot.text,
            Some(format!("{end} 3/3")),
            "{name}: the last text"
        );
    }
    let sent = handler.sent.lock().unwrap();
    assert_eq!(
        sent.len(),
        SAMPLE_ITEMS.len() * 5,
        "0/3, 1/3, 2/3, 3/3, end"
    );
    assert!(sent.iter().all(|s| s.3 == CancelRequest::None), "{sent:?}");
}

/// The disturbed run's expected reports, answers and final states: beta is
/// cancelled at its step 2, everything at delta's step 1.
fn check_disturbed_run(
    session: &SyncCenterSession,
    outcome: Result<SyncCenterOutcome, SyncCenterError>,
    handler: &SampleHandler,
) {
    use CancelRequest::{CancelAll, CancelItem, None};
    assert_eq!(
        outcome,
        Ok(SyncCenterOutcome::Cancelled(CancelReason::User))
    );
    assert_clean(session);
    assert_eq!(
        *handler.sent.lock().unwrap(),
        vec![
            sent("alpha", Updating, 0, None),
            sent("alpha", Updating, 1, None),
            sent("alpha", Updating, 2, None),
            sent("alpha", Updating, 3, None),
            sent("alpha", Succeeded, 3, None),
            sent("beta", Updating, 0, None),
            sent("beta", Updating, 1, None),
            sent("beta", Updating, 2, CancelItem),
            sent("beta", Canceled, 2, None),
            sent("gamma", Updating, 0, None),
            sent("gamma", Updating, 1, None),
            sent("gamma", Updating, 2, None),
            sent("gamma", Updating, 3, None),
            sent("gamma", Failed, 3, None),
            sent("delta", Updating, 0, None),
            sent("delta", Updating, 1, CancelAll),
            sent("delta", Canceled, 1, CancelAll),
            sent("epsilon", Canceled, 0, CancelAll),
        ]
    );
    let expected = [
        ("alpha", SUCCEEDED, Some((3, 3)), Option::None),
        (
            "beta",
            STOPPED.signalled().acknowledged(),
            Some((2, 3)),
            Some(CancelReason::User),
        ),
        ("gamma", FAILED, Some((3, 3)), Option::None),
        (
            "delta",
            STOPPED.signalled().acknowledged(),
            Some((1, 3)),
            Option::None,
        ),
        // Never started, never told on its own: the handler acknowledged
        // the cancel-all for it.
        (
            "epsilon",
            STOPPED.acknowledged(),
            Some((0, 3)),
            Option::None,
        ),
    ];
    for (name, expected_state, steps, cancel) in expected {
        let snapshot = item(session, name);
        assert_eq!(state(&snapshot), expected_state, "{name}");
        assert_eq!(snapshot.steps, steps, "{name}");
        assert_eq!(snapshot.cancel, cancel, "{name}");
    }
    assert_eq!(session.snapshot().cancel_all, Some(CancelReason::User));
}

#[test]
fn sample_loop_with_an_item_then_all_cancelled_part_way() {
    let session = SyncCenterSession::new(Mode::Strict);
    let user = session.clone();
    let hook: Hook = Box::new(move |item_index, step| match (item_index, step) {
        (1, 2) => user.cancel_item(&id("beta"), CancelReason::User).unwrap(),
        (3, 1) => user.cancel_all(CancelReason::User),
        _ => {}
    });
    let handler = Arc::new(SampleHandler::new(3, vec!["gamma"], hook));
    let outcome = session.run(handler.clone(), &ids(&SAMPLE_ITEMS));
    check_disturbed_run(&session, outcome, &handler);
}

#[test]
fn sample_loop_cancelled_from_another_thread() {
    within(20, "sample loop cancelled from another thread", || {
        let session = SyncCenterSession::new(Mode::Strict);
        // Rendezvous: the handler announces the point it reached and waits
        // until the user's thread has cancelled.
        let (at_tx, at_rx) = mpsc::channel::<(usize, u32)>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let at_tx = Mutex::new(at_tx);
        let go_rx = Mutex::new(go_rx);
        let hook: Hook = Box::new(move |item_index, step| {
            if matches!((item_index, step), (1, 2) | (3, 1)) {
                at_tx.lock().unwrap().send((item_index, step)).unwrap();
                go_rx.lock().unwrap().recv().unwrap();
            }
        });
        let user = session.clone();
        let canceller = thread::spawn(move || {
            assert_eq!(at_rx.recv(), Ok((1, 2)));
            user.cancel_item(&id("beta"), CancelReason::User).unwrap();
            go_tx.send(()).unwrap();
            assert_eq!(at_rx.recv(), Ok((3, 1)));
            user.cancel_all(CancelReason::User);
            go_tx.send(()).unwrap();
        });
        let handler = Arc::new(SampleHandler::new(3, vec!["gamma"], hook));
        let outcome = session.run(handler.clone(), &ids(&SAMPLE_ITEMS));
        canceller.join().expect("the user's thread");
        check_disturbed_run(&session, outcome, &handler);
    });
}

#[test]
fn sample_loop_cancel_all_at_the_first_report() {
    // Cancelled before the first step of the first item: every item is
    // acknowledged CANCELED, none is finished by the host.
    let session = SyncCenterSession::new(Mode::Strict);
    session.cancel_all(CancelReason::Shutdown);
    let handler = Arc::new(SampleHandler::new(2, vec![], Box::new(|_, _| {})));
    let outcome = session.run(handler.clone(), &ids(&SAMPLE_ITEMS));
    assert_eq!(
        outcome,
        Ok(SyncCenterOutcome::Cancelled(CancelReason::Shutdown))
    );
    assert_clean(&session);
    assert_eq!(
        state_of(&session, "alpha"),
        STOPPED.signalled().acknowledged()
    );
    for name in &SAMPLE_ITEMS[1..] {
        assert_eq!(state_of(&session, name), STOPPED.acknowledged(), "{name}");
    }
    assert_eq!(handler.sent.lock().unwrap().len(), 2 + 4);
}

/// §G.7 #42: an item told to cancel that ends SUCCEEDED has not acknowledged:
/// a strict host answers the cancel again and keeps the item open until
/// CANCELED arrives; a lenient one records it and lets it end.
fn rule_42_succeeded_is_not_an_acknowledgement(mode: Mode) {
    let session = run(mode, &["a"], move |session, cb| {
        assert_eq!(cb.report("a", Updating, 0, 2), Ok(CancelRequest::None));
        session.cancel_item(&id("a"), CancelReason::User).unwrap();
        assert_eq!(
            cb.report("a", Updating, 1, 2),
            Ok(CancelRequest::CancelItem)
        );
        let answer = cb.report("a", Succeeded, 2, 2);
        if mode == Mode::Strict {
            assert_eq!(answer, Ok(CancelRequest::CancelItem));
            assert_eq!(cb.report("a", Canceled, 2, 2), Ok(CancelRequest::None));
        } else {
            assert_eq!(answer, Ok(CancelRequest::None));
        }
    });
    let rules: Vec<Rule> = session.violations().iter().map(|v| v.rule).collect();
    assert_eq!(rules, [Rule::CANCEL_ACKNOWLEDGED]);
    let expected = if mode == Mode::Strict {
        ItemPhase::Stopped
    } else {
        ItemPhase::Succeeded
    };
    assert_eq!(item(&session, "a").phase, expected);
}

#[test]
fn strict_rule_42_succeeded_is_not_an_acknowledgement() {
    rule_42_succeeded_is_not_an_acknowledgement(Mode::Strict);
}

#[test]
fn lenient_rule_42_succeeded_is_not_an_acknowledgement() {
    rule_42_succeeded_is_not_an_acknowledgement(Mode::Lenient);
}
