//! Scenario tests of [`Session`]: one test per path of the documented
//! sequence (PROTOCOL.md), each checking the outcome, the final item
//! phases and the recorded violations (§G.1–G.6), in strict mode and, where
//! the behaviour differs, in lenient mode.
//!
//! The handler is the scriptable [`support::Fake`]; everything that could
//! hang runs under [`common::within`].

mod common;
mod support;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::within;
use support::{
    Call, Capture, Fake, config, config_with_timeout, finished_by_host, item, items, phases,
    record_events, refused, rules, snapshot_of, status, updating, value,
};
use syncmgr::{
    CallbackError, CancelDecision, CancelReason, ErrorFlags, ErrorId, HResult, HandlerAnswer,
    HandlerError, ItemId, ItemPhase, LogErrorInfo, LogLevel, Mode, ModelessAnswer, Rule, Session,
    SessionConfig, SessionError, SessionEvent, SessionOutcome, SessionPhase, ShowErrorOutcome,
    SkipOutcome, SyncCallback, SyncEvent, SyncMgrFlags, SyncMgrStatus, SyncModifiers,
};

use ItemPhase::{Failed, Skipped, Stopped, Succeeded};

const SHORT: Duration = Duration::from_millis(100);
const E1: ErrorId = ErrorId::from_u128(0xE1);
const E2: ErrorId = ErrorId::from_u128(0xE2);

/// `session.run(handler)`, failing the test instead of hanging.
fn run(session: &Session, handler: &Arc<Fake>) -> SessionOutcome {
    let (session, handler) = (session.clone(), handler.clone());
    within(10, "Session::run", move || session.run(handler))
}

fn completed_ok() -> SessionOutcome {
    SessionOutcome::Completed {
        code: HResult::S_OK,
    }
}

/// The full documented sequence for `n` items, as the fake records it.
fn full_sequence(n: u128) -> Vec<Call> {
    vec![
        Call::Initialize,
        Call::HandlerInfo,
        Call::EnumItems,
        Call::SetProgressCallback(true),
        Call::PrepareForSync(items(n)),
        Call::Synchronize,
        Call::SetProgressCallback(false),
    ]
}

fn hresult<T>(result: &Result<T, CallbackError>) -> Option<HResult> {
    result.as_ref().err().map(CallbackError::hresult)
}

// --- 1. Initialize declines -------------------------------------------------

#[test]
fn initialize_decline_ends_the_session_before_anything_else() {
    let handler = Fake::builder(2)
        .initialize(Ok(HandlerAnswer::Decline))
        .build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(run(&session, &handler), SessionOutcome::Declined);

    assert_eq!(handler.calls(), [Call::Initialize], "§G.1 #4");
    assert_eq!(session.phase(), SessionPhase::Released);
    assert!(session.snapshot().is_empty());
    assert_eq!(rules(&session), []);
}

// --- 2. PrepareForSync fails or declines ------------------------------------

#[test]
fn prepare_failure_ends_the_cycle_without_synchronize() {
    let handler = Fake::builder(2)
        .on_prepare(|_, _| Err(HandlerError::failed("no disk")))
        .build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(
        run(&session, &handler),
        SessionOutcome::HandlerFailed {
            call: "PrepareForSync",
            error: HandlerError::failed("no disk"),
        }
    );

    assert!(!handler.called(&Call::Synchronize));
    let mut expected = full_sequence(2);
    expected.retain(|c| *c != Call::Synchronize);
    assert_eq!(handler.calls(), expected);
    // The host finishes the items the handler never reported.
    assert_eq!(phases(&session), [Failed, Failed]);
    assert_eq!(finished_by_host(&session), [true, true]);
    assert_eq!(rules(&session), []);
}

#[test]
fn prepare_decline_ends_the_cycle_without_synchronize() {
    let handler = Fake::builder(2)
        .on_prepare(|_, _| Ok(HandlerAnswer::Decline))
        .build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(run(&session, &handler), SessionOutcome::PrepareDeclined);

    assert!(!handler.called(&Call::Synchronize));
    assert_eq!(phases(&session), [Failed, Failed]);
    assert_eq!(finished_by_host(&session), [true, true]);
    assert_eq!(rules(&session), []);
}

#[test]
fn prepare_decline_with_a_completion_is_rule_13() {
    let handler = Fake::builder(1)
        .on_prepare(|h, _| {
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)?;
            Ok(HandlerAnswer::Decline)
        })
        .build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(run(&session, &handler), SessionOutcome::PrepareDeclined);

    assert!(!handler.called(&Call::Synchronize));
    assert_eq!(rules(&session), [Rule::PREPARE_COMPLETED_ONCE]);
}

// --- 3. PrepareForSyncCompleted reports a failure ---------------------------

#[test]
fn prepare_completed_with_a_failure_skips_synchronize() {
    let handler = Fake::builder(2)
        .on_prepare(|h, _| {
            h.cb()
                .prepare_for_sync_completed(HResult::E_FAIL)
                .map_err(refused)?;
            Ok(HandlerAnswer::Accept)
        })
        .build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(
        run(&session, &handler),
        SessionOutcome::PrepareFailed {
            code: HResult::E_FAIL
        }
    );

    assert!(!handler.called(&Call::Synchronize), "§G.2 #14");
    assert_eq!(phases(&session), [Failed, Failed]);
    assert_eq!(finished_by_host(&session), [true, true]);
    assert_eq!(rules(&session), []);
}

// --- 4. Completions before the call returns ---------------------------------

#[test]
fn completions_before_return_succeed() {
    // The default fake completes re-entrantly inside PrepareForSync and
    // Synchronize (§G.6 #39).
    let handler = Fake::builder(2).build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(run(&session, &handler), completed_ok());

    assert_eq!(handler.calls(), full_sequence(2));
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
    assert_eq!(session.phase(), SessionPhase::Released);
    assert_eq!(rules(&session), []);
}

// --- 5. Completions from another thread, after return -----------------------

#[test]
fn completions_from_another_thread_succeed() {
    let handler = Fake::builder(2)
        .on_prepare(|h, _| {
            let callback = h.callback();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                callback
                    .prepare_for_sync_completed(HResult::S_OK)
                    .expect("prepare completion accepted");
            });
            Ok(HandlerAnswer::Accept)
        })
        .on_synchronize(|h| {
            let h = h.arc();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                h.work_all();
                h.cb()
                    .synchronize_completed(HResult::S_OK)
                    .expect("synchronize completion accepted");
            });
            Ok(())
        })
        .build();
    let session = Session::new(config(Mode::Strict));

    assert_eq!(run(&session, &handler), completed_ok());

    assert_eq!(handler.calls(), full_sequence(2));
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
    assert_eq!(rules(&session), []);
}

// --- 6. No completion: timeouts, then a late completion ---------------------

fn prepare_never_completes(mode: Mode) {
    let handler = Fake::builder(2)
        .on_prepare(|_, _| Ok(HandlerAnswer::Accept))
        .build();
    let session = Session::new(config_with_timeout(mode, SHORT));
    let (s, h) = (session.clone(), handler.clone());
    within(10, "prepare timeout", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();

        assert_eq!(
            driver.sync(&ids),
            Ok(SessionOutcome::TimedOut {
                waiting_for: "PrepareForSyncCompleted"
            })
        );
        assert!(!h.called(&Call::Synchronize));
        assert_eq!(phases(&s), [Failed, Failed]);
        assert_eq!(rules(&s), []);

        // The completion arrives after the host stopped waiting (§G.2 #13).
        let late = h.cb().prepare_for_sync_completed(HResult::S_OK);
        match mode {
            Mode::Strict => assert_eq!(hresult(&late), Some(HResult::E_UNEXPECTED)),
            Mode::Lenient => assert_eq!(late, Ok(())),
        }
        assert_eq!(rules(&s), [Rule::PREPARE_COMPLETED_ONCE]);
        driver.release();
    });
}

#[test]
fn prepare_without_completion_times_out_strict() {
    prepare_never_completes(Mode::Strict);
}

#[test]
fn prepare_without_completion_times_out_lenient() {
    prepare_never_completes(Mode::Lenient);
}

fn synchronize_never_completes(mode: Mode) {
    let handler = Fake::builder(2)
        .on_synchronize(|h| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            Ok(())
        })
        .build();
    let session = Session::new(config_with_timeout(mode, SHORT));
    let (s, h) = (session.clone(), handler.clone());
    within(10, "synchronize timeout", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();

        assert_eq!(
            driver.sync(&ids),
            Ok(SessionOutcome::TimedOut {
                waiting_for: "SynchronizeCompleted"
            })
        );
        assert_eq!(phases(&s), [Failed, Failed]);
        assert_eq!(finished_by_host(&s), [true, true]);
        assert_eq!(rules(&s), []);

        let late = h.cb().synchronize_completed(HResult::S_OK);
        match mode {
            Mode::Strict => assert_eq!(hresult(&late), Some(HResult::E_UNEXPECTED)),
            Mode::Lenient => assert_eq!(late, Ok(())),
        }
        assert_eq!(rules(&s), [Rule::SYNCHRONIZE_COMPLETED_ONCE]);
        driver.release();
    });
}

#[test]
fn synchronize_without_completion_times_out_strict() {
    synchronize_never_completes(Mode::Strict);
}

#[test]
fn synchronize_without_completion_times_out_lenient() {
    synchronize_never_completes(Mode::Lenient);
}

// --- 7. ShowError and the retry cycle ---------------------------------------

/// A handler that logs `E1` (showable) and `E2` (no jump text) in its first
/// synchronize, and answers `ShowError` with `RETRYSYNC` for `retry`.
fn retrying_handler(retry: Vec<ItemId>, answers: Capture<Result<(), CallbackError>>) -> Arc<Fake> {
    Fake::builder(2)
        .on_synchronize(|h| {
            h.work_all();
            if h.count(|c| *c == Call::Synchronize) == 1 {
                let jump = LogErrorInfo::new()
                    .with_error_id(E1)
                    .with_error_flags(ErrorFlags::ENABLE_JUMP_TEXT);
                h.cb()
                    .log_error(LogLevel::Error, "conflict in item 1", Some(&jump))
                    .map_err(refused)?;
                let plain = LogErrorInfo::new().with_error_id(E2);
                h.cb()
                    .log_error(LogLevel::Warning, "slow network", Some(&plain))
                    .map_err(refused)?;
            }
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .on_show_error(move |h, _| {
            answers.push(
                h.cb()
                    .show_error_completed(HResult::S_SYNCMGR_RETRYSYNC, &retry),
            );
            Ok(())
        })
        .build()
}

#[test]
fn show_error_retry_runs_a_second_cycle() {
    let answers = Capture::new();
    let handler = retrying_handler(vec![item(1)], answers.clone());
    let session = Session::new(config(Mode::Strict));
    let (s, h) = (session.clone(), handler.clone());
    within(10, "retry cycle", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();
        assert_eq!(driver.sync(&ids), Ok(completed_ok()));
        assert_eq!(s.snapshot().log.len(), 2);

        let retry = driver.show_error(E1).expect("E1 is showable");
        assert_eq!(
            retry,
            ShowErrorOutcome::Retry {
                items: vec![item(1)]
            }
        );
        assert_eq!(answers.get(), [Ok(())]);
        assert_eq!(s.phase(), SessionPhase::Synchronized);

        let ShowErrorOutcome::Retry { items: again } = retry else {
            unreachable!()
        };
        assert_eq!(driver.sync(&again), Ok(completed_ok()));
        driver.release();
    });

    assert_eq!(
        handler.count(|c| matches!(c, Call::PrepareForSync(_))),
        2,
        "§E.1 step 9"
    );
    assert!(handler.called(&Call::PrepareForSync(vec![item(1)])));
    assert!(handler.called(&Call::ShowError(E1)));
    assert_eq!(handler.count(|c| *c == Call::Synchronize), 2);
    let snapshot = session.snapshot();
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
    assert!(snapshot.item(0).unwrap().in_sync_set());
    assert!(!snapshot.item(1).unwrap().in_sync_set());
    assert_eq!(snapshot.finished(), (1, 1));
    assert_eq!(rules(&session), []);
}

#[test]
fn show_error_needs_a_live_entry_with_jump_text() {
    let handler = retrying_handler(vec![item(1)], Capture::new());
    let session = Session::new(config(Mode::Strict));
    let (s, h) = (session.clone(), handler.clone());
    within(10, "show error refusals", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();

        // Before any sync there is no entry at all.
        assert_eq!(driver.show_error(E1), Err(SessionError::NotShowable(E1)));
        assert_eq!(driver.sync(&ids), Ok(completed_ok()));
        // Logged, but without jump text (§G.5 #34).
        assert_eq!(driver.show_error(E2), Err(SessionError::NotShowable(E2)));
        // Never logged.
        let unknown = ErrorId::from_u128(0xE9);
        assert_eq!(
            driver.show_error(unknown),
            Err(SessionError::NotShowable(unknown))
        );
        assert_eq!(
            driver.show_error(ErrorId::ALL),
            Err(SessionError::NotShowable(ErrorId::ALL))
        );
        driver.release();
    });
    assert!(
        !handler
            .calls()
            .iter()
            .any(|c| matches!(c, Call::ShowError(_)))
    );
    assert_eq!(rules(&session), []);
}

/// Drive a retry with no items; returns the show-error outcome and the
/// answer the handler got to its `ShowErrorCompleted`.
fn retry_without_items(mode: Mode) -> (Session, ShowErrorOutcome, Vec<Result<(), CallbackError>>) {
    let answers = Capture::new();
    let handler = retrying_handler(Vec::new(), answers.clone());
    // A short timeout, so that a host that keeps waiting fails fast.
    let session = Session::new(config_with_timeout(mode, Duration::from_millis(500)));
    let (s, h) = (session.clone(), handler.clone());
    let outcome = within(10, "retry without items", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();
        assert_eq!(driver.sync(&ids), Ok(completed_ok()));
        let outcome = driver.show_error(E1).expect("E1 is showable");
        driver.release();
        outcome
    });
    (session, outcome, answers.get())
}

#[test]
fn retry_without_items_is_rule_19_strict() {
    let (session, _, answers) = retry_without_items(Mode::Strict);
    assert_eq!(answers.len(), 1);
    assert_eq!(hresult(&answers[0]), Some(HResult::E_INVALIDARG));
    assert_eq!(rules(&session), [Rule::RETRY_ITEMS]);
}

#[test]
fn retry_without_items_is_rule_19_lenient() {
    let (session, outcome, answers) = retry_without_items(Mode::Lenient);
    assert_eq!(answers, [Ok(())]);
    assert_eq!(rules(&session), [Rule::RETRY_ITEMS]);
    // Nothing to retry: the show-error cycle simply completed.
    assert_eq!(
        outcome,
        ShowErrorOutcome::Completed {
            code: HResult::S_SYNCMGR_RETRYSYNC
        }
    );
}

/// The `ShowErrorCompleted` call did arrive; refusing its empty item list
/// must not leave the host waiting for another completion until it times
/// out (and report `TimedOut` for a cycle the handler did complete).
#[test]
fn retry_without_items_strict_still_ends_the_show_error_cycle() {
    let (_, outcome, _) = retry_without_items(Mode::Strict);
    assert_eq!(
        outcome,
        ShowErrorOutcome::Completed {
            code: HResult::S_SYNCMGR_RETRYSYNC
        }
    );
}

// --- 8. Skips inside and outside the SetItemStatus windows ------------------

struct SkipRun {
    session: Session,
    handler: Arc<Fake>,
    skip: Result<SkipOutcome, SessionError>,
    outcome: SessionOutcome,
    after_skip: Vec<Result<CancelDecision, CallbackError>>,
}

/// Synchronize starts items 1 and 2 and returns with its completion
/// pending. Item 3 is a beacon: Synchronize queues a skip for it, so the
/// driver calls `SetItemStatus(3)` the moment the window after Synchronize
/// has opened. Then the UI thread skips item 1. Once that skip is
/// delivered, the handler's worker (played by the same thread, so the order
/// is fixed) reports `UPDATING 5/10` for item 1 twice when `misbehave` (the
/// first may have been under way when the skip arrived and is answered
/// `CancelItem`; the second is the breach), finishes
/// item 1 as skipped and item 2 as succeeded, and completes; the host
/// finishes the never-started item 3 as skipped.
fn skip_while_synchronize_is_pending(mode: Mode, misbehave: bool) -> SkipRun {
    let session = Session::new(config(mode));
    let s = session.clone();
    let handler = Fake::builder(3)
        .on_synchronize(move |h| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            h.report(item(2), updating(0, 10)).map_err(refused)?;
            assert_eq!(s.skip_item(item(3)), Ok(SkipOutcome::Queued));
            Ok(()) // SynchronizeCompleted comes after the skips
        })
        .build();
    let (s, h) = (session.clone(), handler.clone());
    let (skip, outcome, after_skip) = within(10, "skip in the synchronize window", move || {
        let runner = {
            let (s, h) = (s.clone(), h.clone());
            thread::spawn(move || s.run(h))
        };
        let beacon = Call::SetItemStatus(item(3), SyncMgrStatus::Skipped);
        assert!(h.wait_called(&beacon, Duration::from_secs(5)));
        let skip = s.skip_item(item(1));
        let mut after_skip = Vec::new();
        if misbehave {
            after_skip.push(h.report(item(1), updating(5, 10)));
            after_skip.push(h.report(item(1), updating(5, 10)));
        }
        h.report(item(1), status(SyncMgrStatus::Skipped))
            .expect("SKIPPED accepted");
        h.report(item(2), status(SyncMgrStatus::Succeeded))
            .expect("SUCCEEDED accepted");
        h.cb()
            .synchronize_completed(HResult::S_OK)
            .expect("completion accepted");
        (skip, runner.join().expect("the driver thread"), after_skip)
    });
    SkipRun {
        session,
        handler,
        skip,
        outcome,
        after_skip,
    }
}

#[test]
fn skip_inside_the_synchronize_window_is_delivered() {
    let run = skip_while_synchronize_is_pending(Mode::Strict, false);
    assert_eq!(run.skip, Ok(SkipOutcome::Delivered));
    assert_eq!(run.outcome, completed_ok());
    assert!(
        run.handler
            .called(&Call::SetItemStatus(item(1), SyncMgrStatus::Skipped))
    );
    assert_eq!(phases(&run.session), [Skipped, Succeeded, Skipped]);
    assert!(snapshot_of(&run.session, item(1)).get().skipped());
    assert_eq!(finished_by_host(&run.session), [false, false, true]);
    assert_eq!(rules(&run.session), []);
}

#[test]
fn updating_after_a_skip_is_rule_18_strict() {
    let run = skip_while_synchronize_is_pending(Mode::Strict, true);
    assert_eq!(run.skip, Ok(SkipOutcome::Delivered));
    assert_eq!(run.outcome, completed_ok());
    assert_eq!(run.after_skip.len(), 2);
    assert_eq!(run.after_skip[0], Ok(CancelDecision::CancelItem));
    assert_eq!(hresult(&run.after_skip[1]), Some(HResult::E_ACCESSDENIED));
    assert_eq!(rules(&run.session), [Rule::SKIP_WINDOW]);
    // Refused, so not applied.
    assert_eq!(snapshot_of(&run.session, item(1)).get().value(), Some(0));
    assert_eq!(phases(&run.session), [Skipped, Succeeded, Skipped]);
}

#[test]
fn updating_after_a_skip_is_rule_18_lenient() {
    let run = skip_while_synchronize_is_pending(Mode::Lenient, true);
    assert_eq!(run.skip, Ok(SkipOutcome::Delivered));
    assert_eq!(run.outcome, completed_ok());
    assert_eq!(
        run.after_skip,
        [Ok(CancelDecision::CancelItem), Ok(CancelDecision::Continue)]
    );
    assert_eq!(rules(&run.session), [Rule::SKIP_WINDOW]);
    assert_eq!(run.session.violations()[0].answered, None);
    // Tolerated, so applied.
    assert_eq!(snapshot_of(&run.session, item(1)).get().value(), Some(5));
    assert_eq!(phases(&run.session), [Skipped, Succeeded, Skipped]);
}

/// The handler has received `SetItemStatus(SKIPPED)` as soon as the call
/// runs: `UPDATING` reports it makes while handling the skip (here from
/// inside the call; a worker thread could equally report before the call
/// returns) are "further progress" under §G.2 #18. The first is answered
/// `CancelItem` (a worker may have been making it as the skip arrived);
/// the second is the breach.
#[test]
fn updating_while_handling_the_skip_is_rule_18() {
    let session = Session::new(config_with_timeout(Mode::Strict, Duration::from_secs(2)));
    let during = Capture::new();
    let (s, got) = (session.clone(), during.clone());
    let handler = Fake::builder(1)
        .on_prepare(move |h, _| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            assert_eq!(s.skip_item(item(1)), Ok(SkipOutcome::Queued));
            Ok(HandlerAnswer::Accept) // completes after the skip
        })
        .on_set_item_status(move |h, id, _| {
            got.push(h.report(id, updating(5, 10)));
            got.push(h.report(id, updating(5, 10)));
            let _ = h.report(id, status(SyncMgrStatus::Skipped));
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)
        })
        .build();

    assert_eq!(run(&session, &handler), completed_ok());

    assert!(handler.called(&Call::SetItemStatus(item(1), SyncMgrStatus::Skipped)));
    let during = during.get();
    assert_eq!(during.len(), 2);
    assert_eq!(during[0], Ok(CancelDecision::CancelItem));
    assert_eq!(hresult(&during[1]), Some(HResult::E_ACCESSDENIED));
    assert_eq!(rules(&session), [Rule::SKIP_WINDOW]);
    assert_eq!(phases(&session), [Skipped]);
}

#[test]
fn skip_during_prepare_is_queued_and_delivered_after_it_returns() {
    let session = Session::new(config(Mode::Strict));
    let skips = Capture::new();
    let (s, got) = (session.clone(), skips.clone());
    let handler = Fake::builder(2)
        .on_prepare(move |_, _| {
            // The UI skips item 1 while PrepareForSync is still running.
            got.push(s.skip_item(item(1)));
            Ok(HandlerAnswer::Accept) // the completion follows the skip
        })
        .on_set_item_status(|h, _, _| {
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)
        })
        .build();

    assert_eq!(run(&session, &handler), completed_ok());

    assert_eq!(skips.get(), [Ok(SkipOutcome::Queued)]);
    let calls = handler.calls();
    let position = |call: &Call| calls.iter().position(|c| c == call).expect("called");
    let skip = position(&Call::SetItemStatus(item(1), SyncMgrStatus::Skipped));
    assert!(position(&Call::PrepareForSync(items(2))) < skip);
    assert!(skip < position(&Call::Synchronize));
    // The fake never starts a skipped item; the host finishes it as
    // skipped (#16 (b)).
    assert_eq!(phases(&session), [Skipped, Succeeded]);
    assert_eq!(finished_by_host(&session), [true, false]);
    assert_eq!(rules(&session), []);
}

/// §G.2 #18 restricts progress *after* `SetItemStatus(SKIPPED)`. A skip that
/// is only queued has not reached the handler, so its reports must not be
/// held against it; they are answered `CancelItem`, so that the handler
/// learns of the skip even if no window opens before it completes.
#[test]
fn a_queued_skip_is_not_held_against_the_handler_before_delivery() {
    let session = Session::new(config_with_timeout(Mode::Strict, Duration::from_secs(2)));
    let seen = Capture::new();
    let (s, got) = (session.clone(), seen.clone());
    let handler = Fake::builder(2)
        .on_prepare(move |h, _| {
            got.push(format!("{:?}", s.skip_item(item(1))));
            // The handler has not been told yet: it may still report, and
            // hears of the skip in the answer.
            got.push(format!("{:?}", h.report(item(1), updating(0, 10))));
            Ok(HandlerAnswer::Accept)
        })
        .on_set_item_status(|h, id, _| {
            let _ = h.report(id, status(SyncMgrStatus::Skipped));
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)
        })
        .build();

    let outcome = run(&session, &handler);

    assert_eq!(seen.get(), ["Ok(Queued)", "Ok(CancelItem)"]);
    assert_eq!(outcome, completed_ok());
    assert_eq!(phases(&session), [Skipped, Succeeded]);
    assert_eq!(rules(&session), []);
}

/// Once `SynchronizeCompleted` has arrived no `SetItemStatus` window can
/// open any more, even though `Synchronize` has not returned yet: the skip
/// must be refused, not queued (it would never be delivered).
#[test]
fn skip_after_synchronize_completed_has_no_window() {
    let session = Session::new(config(Mode::Strict));
    let skips = Capture::new();
    let (s, got) = (session.clone(), skips.clone());
    let handler = Fake::builder(2)
        .on_synchronize(move |h| {
            h.work(item(1)).map_err(refused)?;
            h.report(item(2), updating(0, 10)).map_err(refused)?;
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(refused)?;
            got.push(s.skip_item(item(2)));
            Ok(())
        })
        .build();

    assert_eq!(run(&session, &handler), completed_ok());

    assert!(
        !handler
            .calls()
            .iter()
            .any(|c| matches!(c, Call::SetItemStatus(..)))
    );
    assert_eq!(
        skips.get(),
        [Err(SessionError::NoSkipWindow(SessionPhase::Synchronizing))]
    );
}

#[test]
fn skip_after_the_cycle_is_refused() {
    let handler = Fake::builder(2).build();
    let session = Session::new(config(Mode::Strict));
    assert_eq!(run(&session, &handler), completed_ok());

    // Every item of the set is finished once the cycle ends.
    assert_eq!(
        session.skip_item(item(1)),
        Err(SessionError::ItemFinished(item(1)))
    );
    let unknown = item(9);
    assert_eq!(
        session.skip_item(unknown),
        Err(SessionError::UnknownItem(unknown))
    );
    assert!(
        !handler
            .calls()
            .iter()
            .any(|c| matches!(c, Call::SetItemStatus(..)))
    );
}

/// An item skipped before the handler started it: the handler learned of
/// the skip through `SetItemStatus` (§G.3 #20 names it as the other
/// channel), so acknowledging it with a first report of `SKIPPED` is the
/// only report §G.2 #18 allows, and must not count as a §G.3 #20 breach.
#[test]
fn an_item_skipped_before_it_started_may_report_skipped() {
    let session = Session::new(config_with_timeout(Mode::Strict, Duration::from_secs(2)));
    let s = session.clone();
    let handler = Fake::builder(2)
        .on_prepare(move |_, _| {
            assert_eq!(s.skip_item(item(1)), Ok(SkipOutcome::Queued));
            Ok(HandlerAnswer::Accept)
        })
        .on_set_item_status(|h, _, _| {
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)
        })
        .on_synchronize(|h| {
            let _ = h.report(item(1), status(SyncMgrStatus::Skipped));
            h.work(item(2)).map_err(refused)?;
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();

    assert_eq!(run(&session, &handler), completed_ok());

    assert_eq!(handler.answers(item(1)), [Ok(CancelDecision::Continue)]);
    assert_eq!(phases(&session), [Skipped, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
    assert_eq!(rules(&session), []);
}

// --- 9. Cancel one item -----------------------------------------------------

#[test]
fn cancel_item_before_sync_answers_cancel_item_for_that_item_only() {
    let handler = Fake::builder(2).build();
    let session = Session::new(config(Mode::Strict));
    let (s, h) = (session.clone(), handler.clone());
    let outcome = within(10, "cancel before sync", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();
        s.cancel_item(item(1), CancelReason::User)
            .expect("known item");
        let outcome = driver.sync(&ids);
        driver.release();
        outcome
    });

    assert_eq!(outcome, Ok(completed_ok()));
    // UPDATING 0/10 → CancelItem, then STOPPED.
    assert_eq!(handler.answers(item(1))[0], Ok(CancelDecision::CancelItem));
    assert_eq!(handler.answers(item(1)).len(), 2);
    assert!(
        handler
            .answers(item(2))
            .iter()
            .all(|a| *a == Ok(CancelDecision::Continue))
    );
    assert_eq!(phases(&session), [Stopped, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
    assert_eq!(
        snapshot_of(&session, item(1)).get().cancel(),
        Some(&CancelReason::User)
    );
    assert_eq!(snapshot_of(&session, item(2)).get().cancel(), None);
    assert_eq!(rules(&session), []);
}

/// Item 1 starts, the UI cancels it from another thread, the next report is
/// answered `CancelItem`; the handler then reports more work (`UPDATING
/// 6/10`, §G.3 #22) before it stops.
fn cancel_item_during_sync(mode: Mode) -> (Session, Arc<Fake>) {
    let session = Session::new(config(mode));
    let s = session.clone();
    let handler = Fake::builder(2)
        .on_synchronize(move |h| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            let ui = s.clone();
            thread::spawn(move || ui.cancel_item(item(1), CancelReason::User))
                .join()
                .expect("the UI thread")
                .expect("known item");
            let _ = h.report(item(1), updating(5, 10));
            let _ = h.report(item(1), updating(6, 10));
            let _ = h.report(item(1), status(SyncMgrStatus::Stopped));
            h.work(item(2)).map_err(refused)?;
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    assert_eq!(run(&session, &handler), completed_ok());
    (session, handler)
}

#[test]
fn cancel_item_during_sync_strict() {
    let (session, handler) = cancel_item_during_sync(Mode::Strict);
    assert_eq!(
        handler.answers(item(1)),
        [
            Ok(CancelDecision::Continue),
            Ok(CancelDecision::CancelItem),
            // §G.3 #22: the host answers the cancel again...
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelItem),
        ]
    );
    assert!(
        handler
            .answers(item(2))
            .iter()
            .all(|a| *a == Ok(CancelDecision::Continue))
    );
    assert_eq!(rules(&session), [Rule::CANCELLED_ITEM_ENDS]);
    assert_eq!(
        session.violations()[0].answered,
        Some(HResult::S_SYNCMGR_CANCELITEM)
    );
    // ...and does not apply the report.
    assert_eq!(snapshot_of(&session, item(1)).get().value(), Some(5));
    assert_eq!(phases(&session), [Stopped, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
}

#[test]
fn cancel_item_during_sync_lenient() {
    let (session, handler) = cancel_item_during_sync(Mode::Lenient);
    assert_eq!(
        handler.answers(item(1)),
        [
            Ok(CancelDecision::Continue),
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelItem),
        ]
    );
    assert_eq!(rules(&session), [Rule::CANCELLED_ITEM_ENDS]);
    assert_eq!(session.violations()[0].answered, None);
    // Recorded and applied.
    assert_eq!(snapshot_of(&session, item(1)).get().value(), Some(6));
    assert_eq!(phases(&session), [Stopped, Succeeded]);
}

/// The handler checks for a cancel before starting item 1 with a pure
/// cancellation poll (§G.3 #25), learns `CancelItem`, and reports `STOPPED`
/// without ever starting the item. The first callback naming the item was a
/// `Progress` that reported nothing terminal, so §G.3 #20 holds.
#[test]
fn cancel_learned_from_a_poll_may_be_acknowledged_with_stopped() {
    let handler = Fake::builder(2)
        .on_synchronize(|h| {
            if h.progress(item(1), None) == Ok(CancelDecision::CancelItem) {
                let _ = h.report(item(1), status(SyncMgrStatus::Stopped));
            }
            h.work(item(2)).map_err(refused)?;
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    let session = Session::new(config(Mode::Strict));
    let (s, h) = (session.clone(), handler.clone());
    within(10, "cancel learned from a poll", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();
        s.cancel_item(item(1), CancelReason::User)
            .expect("known item");
        assert_eq!(driver.sync(&ids), Ok(completed_ok()));
        driver.release();
    });

    assert_eq!(
        handler.answers(item(1)),
        [
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelItem)
        ]
    );
    assert_eq!(phases(&session), [Stopped, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
    assert_eq!(rules(&session), []);
}

// --- 10. Cancel all ---------------------------------------------------------

/// Items 1 and 2 start; the UI cancels everything; both are polled, item 1
/// stops, item 3 is opened anyway (§G.3 #23), item 2 is left unfinished.
fn cancel_all_during_sync(mode: Mode) -> (Session, Arc<Fake>, Vec<SessionEvent>) {
    let session = Session::new(config(mode));
    let events = record_events(&session);
    let s = session.clone();
    let handler = Fake::builder(3)
        .on_synchronize(move |h| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            h.report(item(2), updating(0, 10)).map_err(refused)?;
            let ui = s.clone();
            thread::spawn(move || ui.cancel_all(CancelReason::User))
                .join()
                .expect("the UI thread");
            let _ = h.progress(item(1), None);
            let _ = h.progress(item(2), None);
            let _ = h.report(item(1), status(SyncMgrStatus::Stopped));
            let _ = h.report(item(3), updating(0, 10));
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    assert_eq!(run(&session, &handler), completed_ok());
    (session, handler, events.get())
}

fn assert_cancel_all_common(session: &Session, handler: &Fake, events: &[SessionEvent]) {
    use CancelDecision::{CancelAll, Continue};
    assert_eq!(
        handler.answers(item(1)),
        [Ok(Continue), Ok(CancelAll), Ok(CancelAll)]
    );
    assert_eq!(handler.answers(item(2)), [Ok(Continue), Ok(CancelAll)]);
    assert_eq!(phases(session), [Stopped, Stopped, Stopped]);
    assert_eq!(finished_by_host(session), [false, true, true]);
    let snapshot = session.snapshot();
    assert_eq!(snapshot.cancel_all, Some(CancelReason::User));
    assert!(
        snapshot
            .items()
            .all(|i| i.cancel() == Some(&CancelReason::User))
    );
    assert!(events.contains(&SessionEvent::ItemCancelled {
        item: None,
        reason: CancelReason::User
    }));
    for id in [item(2), item(3)] {
        assert!(events.contains(&SessionEvent::ItemFinished {
            item: id,
            status: SyncMgrStatus::Stopped,
            by_host: true
        }));
    }
}

#[test]
fn cancel_all_is_sticky_strict() {
    let (session, handler, events) = cancel_all_during_sync(Mode::Strict);
    assert_cancel_all_common(&session, &handler, &events);
    // Opening a new item after CANCELALL breaks §G.3 #23; a strict host
    // does not apply the report and answers CANCELALL again, so a handler
    // thread that raced with the first answer learns to stop.
    let opened = handler.answers(item(3));
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0], Ok(CancelDecision::CancelAll));
    assert_eq!(rules(&session), [Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL]);
    let violation = &session.violations()[0];
    assert_eq!(violation.answered, Some(HResult::S_SYNCMGR_CANCELALL));
}

#[test]
fn cancel_all_is_sticky_lenient() {
    let (session, handler, events) = cancel_all_during_sync(Mode::Lenient);
    assert_cancel_all_common(&session, &handler, &events);
    assert_eq!(handler.answers(item(3)), [Ok(CancelDecision::CancelAll)]);
    // Lenient records §G.3 #23 and applies the report. It is not also a #22
    // breach: that rule needs an earlier cancel answer for this item, and
    // this is the item's first call.
    assert_eq!(rules(&session), [Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL]);
}

// --- 11. Progress for an unknown item ---------------------------------------

fn progress_for_an_unknown_item(
    mode: Mode,
) -> (Session, Vec<Result<CancelDecision, CallbackError>>) {
    let handler = Fake::builder(2)
        .on_synchronize(|h| {
            let _ = h.report(item(99), updating(0, 1));
            h.work_all();
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    let session = Session::new(config(mode));
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
    assert_eq!(rules(&session), [Rule::PREPARED_SET]);
    assert_eq!(session.violations()[0].item, Some(item(99).into()));
    (session, handler.answers(item(99)))
}

#[test]
fn progress_for_an_unknown_item_strict() {
    let (session, answers) = progress_for_an_unknown_item(Mode::Strict);
    assert_eq!(answers.len(), 1);
    assert!(matches!(
        answers[0],
        Err(CallbackError::InvalidArgument { .. })
    ));
    assert_eq!(hresult(&answers[0]), Some(HResult::E_INVALIDARG));
    assert_eq!(
        session.violations()[0].answered,
        Some(HResult::E_INVALIDARG)
    );
}

#[test]
fn progress_for_an_unknown_item_lenient() {
    let (session, answers) = progress_for_an_unknown_item(Mode::Lenient);
    assert_eq!(answers, [Ok(CancelDecision::Continue)]);
    assert_eq!(session.violations()[0].answered, None);
}

// --- 12. Progress after SynchronizeCompleted --------------------------------

fn progress_after_completion(mode: Mode) -> (Session, Vec<Result<CancelDecision, CallbackError>>) {
    let handler = Fake::builder(2)
        .on_synchronize(|h| {
            h.work(item(1)).map_err(refused)?;
            h.report(item(2), updating(0, 10)).map_err(refused)?;
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(refused)?;
            let _ = h.report(item(2), status(SyncMgrStatus::Succeeded));
            Ok(())
        })
        .build();
    let session = Session::new(config(mode));
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(rules(&session), [Rule::PROGRESS_WINDOW]);
    let late = handler.answers(item(2)).pop().expect("a late report");
    (session, vec![late])
}

#[test]
fn progress_after_synchronize_completed_strict() {
    let (session, late) = progress_after_completion(Mode::Strict);
    assert_eq!(hresult(&late[0]), Some(HResult::E_UNEXPECTED));
    // Refused: the host finishes item 2 itself.
    assert_eq!(phases(&session), [Succeeded, Failed]);
    assert_eq!(finished_by_host(&session), [false, true]);
}

#[test]
fn progress_after_synchronize_completed_lenient() {
    let (session, late) = progress_after_completion(Mode::Lenient);
    assert_eq!(late, [Ok(CancelDecision::Continue)]);
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
    assert_eq!(finished_by_host(&session), [false, false]);
}

// --- 13. Value above the maximum --------------------------------------------

fn value_above_max(mode: Mode) -> (Session, Vec<Result<CancelDecision, CallbackError>>) {
    let handler = Fake::builder(1)
        .on_synchronize(|h| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            // The maximum 10 is remembered from the first report.
            let _ = h.report(item(1), value(11));
            h.report(item(1), status(SyncMgrStatus::Succeeded))
                .map_err(refused)?;
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    let session = Session::new(config(mode));
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(phases(&session), [Succeeded]);
    assert_eq!(snapshot_of(&session, item(1)).get().max(), Some(10));
    (session, handler.answers(item(1)))
}

#[test]
fn value_above_max_strict() {
    // §G.3 #27 is undocumented: even a strict host warns rather than fails.
    // The violation is recorded, never answered with an error, and the
    // report is applied.
    let (session, answers) = value_above_max(Mode::Strict);
    assert_eq!(answers[1], Ok(CancelDecision::Continue));
    assert_eq!(rules(&session), [Rule::VALUE_WITHIN_MAX]);
    assert_eq!(session.violations()[0].answered, None);
    assert_eq!(snapshot_of(&session, item(1)).get().value(), Some(11));
}

/// One faulty report, one violation: the final `SUCCEEDED` report carries
/// neither a value nor a maximum, so it cannot break §G.3 #27 itself, even
/// though the lenient host remembers the tolerated value 11.
#[test]
fn value_above_max_lenient() {
    let (session, answers) = value_above_max(Mode::Lenient);
    assert_eq!(answers[1], Ok(CancelDecision::Continue));
    assert_eq!(snapshot_of(&session, item(1)).get().value(), Some(11));
    assert_eq!(answers[2], Ok(CancelDecision::Continue));
    assert_eq!(rules(&session), [Rule::VALUE_WITHIN_MAX]);
}

// --- 14. A second completion ------------------------------------------------

fn second_prepare_completion(
    mode: Mode,
    second: HResult,
) -> (Session, Arc<Fake>, Vec<Result<(), CallbackError>>) {
    let answers = Capture::new();
    let got = answers.clone();
    let handler = Fake::builder(2)
        .on_prepare(move |h, _| {
            got.push(h.cb().prepare_for_sync_completed(HResult::S_OK));
            got.push(h.cb().prepare_for_sync_completed(second));
            Ok(HandlerAnswer::Accept)
        })
        .build();
    let session = Session::new(config(mode));
    assert_eq!(run(&session, &handler), completed_ok());
    (session, handler, answers.get())
}

#[test]
fn second_prepare_completion_is_rule_13_strict() {
    let (session, _, answers) = second_prepare_completion(Mode::Strict, HResult::S_OK);
    assert_eq!(answers[0], Ok(()));
    assert_eq!(hresult(&answers[1]), Some(HResult::E_UNEXPECTED));
    assert_eq!(rules(&session), [Rule::PREPARE_COMPLETED_ONCE]);
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
}

#[test]
fn second_prepare_completion_is_rule_13_lenient() {
    let (session, _, answers) = second_prepare_completion(Mode::Lenient, HResult::S_OK);
    assert_eq!(answers, [Ok(()), Ok(())]);
    assert_eq!(rules(&session), [Rule::PREPARE_COMPLETED_ONCE]);
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
}

/// The first completion (`S_OK`) decides; a refused (strict) or ignored
/// (lenient) second completion with a failure code must change nothing, in
/// particular it must not close the progress window of the synchronize that
/// follows.
fn second_failing_completion_changes_nothing(mode: Mode) {
    let (session, handler, answers) = second_prepare_completion(mode, HResult::E_FAIL);
    assert_eq!(answers[0], Ok(()));
    assert!(handler.called(&Call::Synchronize));
    assert!(
        handler
            .progress_calls()
            .iter()
            .all(|p| p.answer == Ok(CancelDecision::Continue)),
        "progress during Synchronize was refused: {:?}",
        handler.progress_calls()
    );
    assert_eq!(rules(&session), [Rule::PREPARE_COMPLETED_ONCE]);
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
}

#[test]
fn second_failing_prepare_completion_changes_nothing_strict() {
    second_failing_completion_changes_nothing(Mode::Strict);
}

#[test]
fn second_failing_prepare_completion_changes_nothing_lenient() {
    second_failing_completion_changes_nothing(Mode::Lenient);
}

// --- 15. A callback still held after release --------------------------------

fn callback_kept_after_release(mode: Mode) -> (Session, Result<CancelDecision, CallbackError>) {
    let handler = Fake::builder(2).keep_callback().build();
    let session = Session::new(config(mode));
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(phases(&session), [Succeeded, Succeeded]);
    assert_eq!(rules(&session), [Rule::CALLBACK_RELEASED], "§G.1 #6");

    let kept = handler.kept().expect("the handler kept its callback");
    let late = kept.progress(item(1), None);
    (session, late)
}

#[test]
fn callback_kept_after_release_strict() {
    let (session, late) = callback_kept_after_release(Mode::Strict);
    assert_eq!(hresult(&late), Some(HResult::E_UNEXPECTED));
    assert_eq!(
        rules(&session),
        [Rule::CALLBACK_RELEASED, Rule::NO_CALL_AFTER_RELEASE]
    );
}

#[test]
fn callback_kept_after_release_lenient() {
    let (session, late) = callback_kept_after_release(Mode::Lenient);
    assert_eq!(late, Ok(CancelDecision::Continue));
    // Lenient carries on checking: the call is also outside the progress
    // window (§G.2 #17).
    assert_eq!(
        rules(&session),
        [
            Rule::CALLBACK_RELEASED,
            Rule::NO_CALL_AFTER_RELEASE,
            Rule::PROGRESS_WINDOW
        ]
    );
}

// --- 16. Terminal is final, except for FAILED -------------------------------

fn terminal_then_more(mode: Mode) -> (Session, Arc<Fake>, Vec<SessionEvent>) {
    let session = Session::new(config(mode));
    let events = record_events(&session);
    let handler = Fake::builder(2)
        .on_synchronize(|h| {
            h.work(item(1)).map_err(refused)?;
            let _ = h.report(item(1), status(SyncMgrStatus::Updating));
            h.work(item(2)).map_err(refused)?;
            h.report(item(2), status(SyncMgrStatus::Failed))
                .map_err(refused)?;
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(phases(&session), [Succeeded, Failed]);
    assert_eq!(rules(&session), [Rule::TERMINAL_IS_FINAL]);
    let finished_2: Vec<_> = events
        .get()
        .into_iter()
        .filter(|e| matches!(e, SessionEvent::ItemFinished { item: id, .. } if *id == item(2)))
        .collect();
    assert_eq!(
        finished_2,
        [
            SessionEvent::ItemFinished {
                item: item(2),
                status: SyncMgrStatus::Succeeded,
                by_host: false
            },
            SessionEvent::ItemFinished {
                item: item(2),
                status: SyncMgrStatus::Failed,
                by_host: false
            },
        ]
    );
    (session, handler, events.get())
}

#[test]
fn terminal_then_updating_is_rule_28_strict() {
    let (session, handler, _) = terminal_then_more(Mode::Strict);
    let late = handler.answers(item(1)).pop().expect("the late report");
    assert_eq!(hresult(&late), Some(HResult::E_ACCESSDENIED));
    assert_eq!(
        session.violations()[0].answered,
        Some(HResult::E_ACCESSDENIED)
    );
}

#[test]
fn terminal_then_updating_is_rule_28_lenient() {
    let (session, handler, _) = terminal_then_more(Mode::Lenient);
    let late = handler.answers(item(1)).pop().expect("the late report");
    assert_eq!(late, Ok(CancelDecision::Continue));
    assert_eq!(session.violations()[0].answered, None);
}

// --- 17. EnableModeless -----------------------------------------------------

fn modeless_session(mode: Mode, may_bother_user: bool) -> Session {
    let modifiers = if may_bother_user {
        SyncModifiers::MAY_BOTHER_USER
    } else {
        SyncModifiers::empty()
    };
    Session::new(
        SessionConfig::new(mode).with_flags(SyncMgrFlags::new(SyncEvent::Manual, modifiers)),
    )
}

/// A handler that asks for a dialog in PrepareForSync and in Synchronize,
/// closing it (`FALSE`) only when it was granted.
fn dialog_handler(answers: Capture<Result<ModelessAnswer, CallbackError>>) -> Arc<Fake> {
    let (in_prepare, in_synchronize) = (answers.clone(), answers);
    Fake::builder(1)
        .on_prepare(move |h, _| {
            let answer = h.cb().enable_modeless(true);
            in_prepare.push(answer.clone());
            if answer == Ok(ModelessAnswer::Granted) {
                in_prepare.push(h.cb().enable_modeless(false));
            }
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)?;
            Ok(HandlerAnswer::Accept)
        })
        .on_synchronize(move |h| {
            let answer = h.cb().enable_modeless(true);
            in_synchronize.push(answer.clone());
            if answer == Ok(ModelessAnswer::Granted) {
                in_synchronize.push(h.cb().enable_modeless(false));
            }
            h.work_all();
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build()
}

#[test]
fn modeless_is_granted_with_may_bother_user() {
    let answers = Capture::new();
    let handler = dialog_handler(answers.clone());
    let session = modeless_session(Mode::Strict, true);
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(answers.get(), vec![Ok(ModelessAnswer::Granted); 4]);
    assert_eq!(phases(&session), [Succeeded]);
    assert_eq!(rules(&session), []);
}

#[test]
fn modeless_is_refused_without_may_bother_user() {
    let answers = Capture::new();
    let handler = dialog_handler(answers.clone());
    let session = modeless_session(Mode::Strict, false);
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(
        answers.get(),
        vec![Ok(ModelessAnswer::Refused); 2],
        "§G.4 #30"
    );
    assert_eq!(phases(&session), [Succeeded]);
    assert_eq!(rules(&session), []);
}

fn modeless_misuse(mode: Mode) -> (Session, Vec<Result<ModelessAnswer, CallbackError>>) {
    let answers = Capture::new();
    let got = answers.clone();
    let handler = Fake::builder(1)
        .on_synchronize(move |h| {
            // FALSE without a granted TRUE.
            got.push(h.cb().enable_modeless(false));
            // TRUE, then TRUE again before FALSE.
            got.push(h.cb().enable_modeless(true));
            got.push(h.cb().enable_modeless(true));
            got.push(h.cb().enable_modeless(false));
            h.work_all();
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    let session = modeless_session(mode, true);
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(phases(&session), [Succeeded]);
    assert_eq!(
        rules(&session),
        [Rule::MODELESS_PAIRED, Rule::MODELESS_PAIRED]
    );
    (session, answers.get())
}

#[test]
fn modeless_misuse_is_rule_29_strict() {
    let (_, answers) = modeless_misuse(Mode::Strict);
    assert_eq!(hresult(&answers[0]), Some(HResult::E_UNEXPECTED));
    assert_eq!(answers[1], Ok(ModelessAnswer::Granted));
    assert_eq!(hresult(&answers[2]), Some(HResult::E_UNEXPECTED));
    assert_eq!(answers[3], Ok(ModelessAnswer::Granted));
}

#[test]
fn modeless_misuse_is_rule_29_lenient() {
    let (_, answers) = modeless_misuse(Mode::Lenient);
    assert_eq!(answers, vec![Ok(ModelessAnswer::Granted); 4]);
}

#[test]
fn modeless_grant_still_held_at_release_is_rule_29() {
    let handler = Fake::builder(1)
        .on_prepare(|h, _| {
            assert_eq!(h.cb().enable_modeless(true), Ok(ModelessAnswer::Granted));
            h.cb()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(refused)?;
            Ok(HandlerAnswer::Accept)
        })
        .build();
    let session = modeless_session(Mode::Strict, true);
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(rules(&session), [Rule::MODELESS_PAIRED]);
}

#[test]
fn modeless_in_show_error_is_granted_without_may_bother_user() {
    let answers = Capture::new();
    let got = answers.clone();
    let handler = Fake::builder(1)
        .on_synchronize(|h| {
            h.work_all();
            let jump = LogErrorInfo::new()
                .with_error_id(E1)
                .with_error_flags(ErrorFlags::ENABLE_JUMP_TEXT);
            h.cb()
                .log_error(LogLevel::Error, "conflict", Some(&jump))
                .map_err(refused)?;
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .on_show_error(move |h, _| {
            got.push(h.cb().enable_modeless(true));
            got.push(h.cb().enable_modeless(false));
            h.cb()
                .show_error_completed(HResult::S_OK, &[])
                .map_err(refused)
        })
        .build();
    let session = modeless_session(Mode::Strict, false);
    let (s, h) = (session.clone(), handler.clone());
    let outcome = within(10, "show error with a dialog", move || {
        let mut driver = s.drive(h.clone());
        let ids: Vec<_> = driver
            .initialize()
            .expect("initialized")
            .iter()
            .map(|i| i.id())
            .collect();
        assert_eq!(driver.sync(&ids), Ok(completed_ok()));
        let outcome = driver.show_error(E1);
        driver.release();
        outcome
    });
    assert_eq!(
        outcome,
        Ok(ShowErrorOutcome::Completed {
            code: HResult::S_OK
        })
    );
    assert_eq!(
        answers.get(),
        vec![Ok(ModelessAnswer::Granted); 2],
        "§G.4 #30"
    );
    assert_eq!(rules(&session), []);
}

// --- 18. The error log ------------------------------------------------------

fn error_log(mode: Mode) -> (Session, Vec<Result<(), CallbackError>>, Vec<SessionEvent>) {
    let session = Session::new(config(mode));
    let events = record_events(&session);
    let answers = Capture::new();
    let got = answers.clone();
    let handler = Fake::builder(1)
        .on_synchronize(move |h| {
            h.work_all();
            let log = |id: ErrorId, text: &str| {
                let info = LogErrorInfo::new().with_error_id(id);
                h.cb().log_error(LogLevel::Warning, text, Some(&info))
            };
            got.push(log(E1, "first"));
            got.push(log(E1, "first again"));
            got.push(log(E2, "second"));
            got.push(h.cb().log_error(LogLevel::Information, "no id", None));
            got.push(h.cb().delete_log_error(ErrorId::ALL));
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    assert_eq!(run(&session, &handler), completed_ok());
    assert!(session.snapshot().log.is_empty(), "§G.5 #33");
    assert_eq!(rules(&session), [Rule::ERROR_ID_UNIQUE]);
    (session, answers.get(), events.get())
}

fn removed(events: &[SessionEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::LogEntryRemoved(entry) => Some(entry.text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn duplicate_error_id_is_rule_32_strict() {
    let (_, answers, events) = error_log(Mode::Strict);
    assert_eq!(answers[0], Ok(()));
    assert_eq!(hresult(&answers[1]), Some(HResult::E_INVALIDARG));
    assert_eq!(answers[2..], [Ok(()), Ok(()), Ok(())]);
    // The refused entry was never added, so it is not removed either.
    assert_eq!(removed(&events), ["first", "second", "no id"]);
}

#[test]
fn duplicate_error_id_is_rule_32_lenient() {
    let (_, answers, events) = error_log(Mode::Lenient);
    assert_eq!(answers, [Ok(()), Ok(()), Ok(()), Ok(()), Ok(())]);
    assert_eq!(
        removed(&events),
        ["first", "first again", "second", "no id"]
    );
}

#[test]
fn all_zero_error_id_is_rule_32() {
    let answers = Capture::new();
    let got = answers.clone();
    let handler = Fake::builder(1)
        .on_synchronize(move |h| {
            h.work_all();
            let info = LogErrorInfo::new().with_error_id(ErrorId::ALL);
            got.push(
                h.cb()
                    .log_error(LogLevel::Error, "reserved id", Some(&info)),
            );
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();
    let session = Session::new(config(Mode::Strict));
    assert_eq!(run(&session, &handler), completed_ok());
    assert_eq!(hresult(&answers.get()[0]), Some(HResult::E_INVALIDARG));
    assert_eq!(rules(&session), [Rule::ERROR_ID_UNIQUE]);
    assert!(session.snapshot().log.is_empty());
}

// --- 19. Observation --------------------------------------------------------

#[test]
fn a_clean_two_item_sync_publishes_every_transition_in_order() {
    let handler = Fake::builder(2).build();
    let session = Session::new(config(Mode::Strict));
    let events = record_events(&session);

    assert_eq!(run(&session, &handler), completed_ok());

    use SessionPhase as P;
    let phase = |from, to| SessionEvent::PhaseChanged { from, to };
    let finished = |n| SessionEvent::ItemFinished {
        item: item(n),
        status: SyncMgrStatus::Succeeded,
        by_host: false,
    };
    assert_eq!(
        events.get(),
        [
            phase(P::Created, P::Initializing),
            phase(P::Initializing, P::Ready),
            phase(P::Ready, P::Preparing),
            phase(P::Preparing, P::Synchronizing),
            SessionEvent::ItemStarted { item: item(1) },
            finished(1),
            SessionEvent::ItemStarted { item: item(2) },
            finished(2),
            phase(P::Synchronizing, P::Synchronized),
            phase(P::Synchronized, P::Released),
        ]
    );
    let snapshot = session.snapshot();
    assert_eq!(snapshot.overall(), 1.0);
    assert_eq!(snapshot.finished(), (2, 2));
    assert_eq!(snapshot.handler_name.as_deref(), Some("fake"));
    assert_eq!(snapshot.violations, 0);
    let report = session.conformance_report();
    assert!(report.is_clean());
    assert_eq!(report.to_string(), "fake: no protocol violations\n");
}

#[test]
fn the_conformance_report_lists_rule_numbers() {
    let (session, _) = value_above_max(Mode::Strict);
    let report = session.conformance_report();
    assert!(!report.is_clean());
    let text = report.to_string();
    assert!(text.starts_with("fake: 1 protocol violation(s)"), "{text}");
    assert!(text.contains("§G.3 #27 Progress"), "{text}");
    assert!(text.contains(Rule::VALUE_WITHIN_MAX.summary()), "{text}");
    assert!(!text.contains("no protocol violations"), "{text}");
}

#[test]
fn every_item_gets_exactly_one_terminal_event_even_when_the_host_finishes_it() {
    let (session, _, events) = cancel_all_during_sync(Mode::Strict);
    for id in items(3) {
        let finished = events
            .iter()
            .filter(|e| matches!(e, SessionEvent::ItemFinished { item, .. } if *item == id))
            .count();
        assert_eq!(finished, 1, "{id}");
    }
    assert!(matches!(
        events.last(),
        Some(SessionEvent::PhaseChanged {
            to: SessionPhase::Released,
            ..
        })
    ));
    assert_eq!(session.snapshot().overall(), 1.0);
}

// --- 20. Re-entrancy --------------------------------------------------------

#[test]
fn a_subscriber_may_call_the_session_from_inside_a_notification() {
    let session = Session::new(config(Mode::Strict));
    let events = record_events(&session);
    let late = Capture::new();
    let (s, inner) = (session.clone(), late.clone());
    // The subscriber holds the session: unsubscribed at the end, so the
    // cycle is broken (miri's leak check).
    let subscriber = session.subscribe(move |event| {
        let _ = s.snapshot();
        let _ = s.violations();
        let _ = s.conformance_report();
        match event {
            SessionEvent::ItemStarted { item: id } if *id == item(1) => {
                s.cancel_item(item(1), CancelReason::User)
                    .expect("known item");
            }
            SessionEvent::ItemStarted { item: id } if *id == item(2) => {
                s.cancel_all(CancelReason::Shutdown);
                let sink = inner.clone();
                s.subscribe(move |e| sink.push(e.clone()));
            }
            _ => {}
        }
    });
    let handler = Fake::builder(2).build();

    assert_eq!(run(&session, &handler), completed_ok());

    use SessionPhase as P;
    let phase = |from, to| SessionEvent::PhaseChanged { from, to };
    let stopped = |n| SessionEvent::ItemFinished {
        item: item(n),
        status: SyncMgrStatus::Stopped,
        by_host: false,
    };
    let cancel_all = SessionEvent::ItemCancelled {
        item: None,
        reason: CancelReason::Shutdown,
    };
    assert_eq!(
        events.get(),
        [
            phase(P::Created, P::Initializing),
            phase(P::Initializing, P::Ready),
            phase(P::Ready, P::Preparing),
            phase(P::Preparing, P::Synchronizing),
            SessionEvent::ItemStarted { item: item(1) },
            SessionEvent::ItemCancelled {
                item: Some(item(1)),
                reason: CancelReason::User
            },
            stopped(1),
            SessionEvent::ItemStarted { item: item(2) },
            cancel_all.clone(),
            stopped(2),
            phase(P::Synchronizing, P::Synchronized),
            phase(P::Synchronized, P::Released),
        ]
    );
    // Subscribed while ItemStarted(2) was delivered: it sees what follows.
    assert_eq!(
        late.get(),
        [
            cancel_all,
            stopped(2),
            phase(P::Synchronizing, P::Synchronized),
            phase(P::Synchronized, P::Released),
        ]
    );
    assert_eq!(
        handler.answers(item(1)),
        [
            Ok(CancelDecision::Continue),
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelItem)
        ]
    );
    assert_eq!(
        handler.answers(item(2)),
        [
            Ok(CancelDecision::Continue),
            Ok(CancelDecision::CancelAll),
            Ok(CancelDecision::CancelAll)
        ]
    );
    assert_eq!(phases(&session), [Stopped, Stopped]);
    assert_eq!(rules(&session), []);
    assert!(session.unsubscribe(subscriber));
}

#[test]
fn a_handler_may_call_the_session_from_inside_its_progress_loop() {
    let session = Session::new(config(Mode::Strict));
    let events = record_events(&session);
    let s = session.clone();
    let handler = Fake::builder(3)
        .on_synchronize(move |h| {
            for id in h.prepared() {
                let mut answer = h.report(id, updating(0, 10)).map_err(refused)?;
                // The handler itself (say, on a quota check) asks its host to
                // drop the next item, in the middle of the callback chain.
                if id == item(1) {
                    let quota = CancelReason::Other("quota".into());
                    s.cancel_item(item(2), quota.clone()).expect("known item");
                    assert_eq!(snapshot_of(&s, item(2)).get().cancel(), Some(&quota));
                    assert_eq!(rules(&s), []);
                }
                if answer == CancelDecision::Continue {
                    answer = h.report(id, updating(10, 10)).map_err(refused)?;
                }
                let end = match answer {
                    CancelDecision::Continue => SyncMgrStatus::Succeeded,
                    _ => SyncMgrStatus::Stopped,
                };
                h.report(id, status(end)).map_err(refused)?;
            }
            h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
        })
        .build();

    assert_eq!(run(&session, &handler), completed_ok());

    assert_eq!(phases(&session), [Succeeded, Stopped, Succeeded]);
    assert_eq!(
        handler.answers(item(2)),
        [
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelItem)
        ]
    );
    let transitions: Vec<_> = events
        .get()
        .into_iter()
        .filter(|e| !matches!(e, SessionEvent::PhaseChanged { .. }))
        .collect();
    let finished = |n, status| SessionEvent::ItemFinished {
        item: item(n),
        status,
        by_host: false,
    };
    assert_eq!(
        transitions,
        [
            SessionEvent::ItemStarted { item: item(1) },
            SessionEvent::ItemCancelled {
                item: Some(item(2)),
                reason: CancelReason::Other("quota".into())
            },
            finished(1, SyncMgrStatus::Succeeded),
            SessionEvent::ItemStarted { item: item(2) },
            finished(2, SyncMgrStatus::Stopped),
            SessionEvent::ItemStarted { item: item(3) },
            finished(3, SyncMgrStatus::Succeeded),
        ]
    );
    assert_eq!(rules(&session), []);
}
