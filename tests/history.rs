//! A session never blames a correct handler for what it could not see, and
//! never rewrites what already happened: the §G.3 #23 race between a
//! handler's threads, cancels of finished items, and reports after an
//! item's terminal status (rule #61).

mod support;

use std::sync::Arc;
use std::thread;

use support::*;
use syncmgr::{
    CancelDecision, CancelReason, Cancelled, ItemPhase, Mode, ProgressReporter, ReportError,
    Session, SessionError, SessionOutcome, SyncCallback, SyncMgrStatus,
};

/// The race of §G.3 #23: the host has answered CANCELALL to the handler's
/// first thread, whose reporter has not recorded that answer yet (played
/// here by a call through the reporter's slot, which the reporter does not
/// see), when its second thread begins a new item through the same
/// reporter. The second thread could not have known: it is answered
/// CANCELALL and not blamed, and the reporter's STOPPED after that answer is
/// taken as its acknowledgement, not as a second new item.
fn cancel_all_races_a_second_thread(mode: Mode) {
    let session = Session::new(config(mode));
    let s = session.clone();
    let began = Capture::new();
    let began_in_handler = began.clone();
    let handler = Fake::builder(2)
        .on_synchronize(move |h| {
            s.cancel_all(CancelReason::User);
            let reporter = Arc::new(ProgressReporter::new());
            reporter.set_callback(Some(h.callback()));
            // Thread 1 is told CANCELALL; its reporter has not recorded it.
            let told = reporter.slot().progress(item(1), Some(&updating(0, 10)));
            assert_eq!(told, Ok(CancelDecision::CancelAll));
            // Thread 2 begins item 2 through the shared reporter.
            let second = Arc::clone(&reporter);
            let result = thread::spawn(move || second.begin(item(2)).map(drop))
                .join()
                .expect("the second thread");
            began_in_handler.push(result);
            h.cb()
                .synchronize_completed(syncmgr::HResult::S_OK)
                .map_err(refused)
        })
        .build();
    let outcome = session.run(handler);
    assert!(outcome.is_success(), "{mode:?}: {outcome:?}");
    assert_eq!(
        began.get(),
        [Err(ReportError::Cancelled(Cancelled::All))],
        "{mode:?}: the second thread learns of the cancel-all"
    );
    assert_eq!(
        rules(&session),
        [],
        "{mode:?}: a correct handler is not blamed"
    );
    // Item 1 was never opened, so the host finished it; item 2 was
    // acknowledged by the reporter.
    assert_eq!(phases(&session), [ItemPhase::Stopped, ItemPhase::Stopped]);
    assert_eq!(finished_by_host(&session), [true, false], "{mode:?}");
}

#[test]
fn a_thread_not_yet_told_of_cancel_all_is_not_blamed_strict() {
    cancel_all_races_a_second_thread(Mode::Strict);
}

#[test]
fn a_thread_not_yet_told_of_cancel_all_is_not_blamed_lenient() {
    cancel_all_races_a_second_thread(Mode::Lenient);
}

/// The other side of the same rule: a thread that *was* told CANCELALL and
/// opens a new item all the same breaks §G.3 #23, and a strict host answers
/// CANCELALL again without applying the report.
#[test]
fn a_told_thread_opening_a_new_item_breaks_23() {
    let session = Session::new(config(Mode::Strict));
    let s = session.clone();
    let answers = Capture::new();
    let seen = answers.clone();
    let handler = Fake::builder(2)
        .on_synchronize(move |h| {
            s.cancel_all(CancelReason::User);
            seen.push(h.report(item(1), updating(0, 10)));
            seen.push(h.report(item(2), updating(0, 10)));
            h.cb()
                .synchronize_completed(syncmgr::HResult::S_OK)
                .map_err(refused)
        })
        .build();
    assert!(session.run(handler).is_success());
    let cancel_all = Ok(CancelDecision::CancelAll);
    assert_eq!(answers.get(), [cancel_all.clone(), cancel_all]);
    assert_eq!(
        rules(&session),
        [syncmgr::Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL]
    );
    assert_eq!(
        snapshot_of(&session, item(2)).get().value(),
        None,
        "not applied"
    );
}

/// A session whose handler finishes item 1 and leaves item 2 running until
/// the test has made its requests.
fn one_finished_item() -> (Session, Arc<Fake>) {
    let session = Session::new(config(Mode::Strict));
    let handler = Fake::builder(2)
        .on_synchronize(|h| {
            h.report(item(1), updating(0, 1)).map_err(refused)?;
            h.report(item(1), status(SyncMgrStatus::Succeeded))
                .map_err(refused)?;
            h.report(item(2), updating(0, 1)).map_err(refused)?;
            Ok(()) // completion comes from the test
        })
        .build();
    (session, handler)
}

#[test]
fn a_finished_item_cannot_be_cancelled_and_keeps_its_history() {
    let (session, handler) = one_finished_item();
    let mut driver = session.drive(handler.clone());
    driver.initialize().expect("initialized");
    let sync = thread::spawn(move || {
        let outcome = driver.sync(&[item(1), item(2)]);
        driver.release();
        outcome
    });
    assert!(handler.wait_returned("Synchronize", 1, std::time::Duration::from_secs(10)));
    assert_eq!(
        session.cancel_item(item(1), CancelReason::User),
        Err(SessionError::ItemFinished(item(1)))
    );
    assert_eq!(session.cancel_item(item(2), CancelReason::Timeout), Ok(()));
    session.cancel_all(CancelReason::Shutdown);
    let snapshot = session.snapshot();
    assert_eq!(snapshot.item(0).unwrap().phase(), ItemPhase::Succeeded);
    assert_eq!(
        snapshot.item(0).unwrap().cancel(),
        None,
        "no reason on a finished item"
    );
    assert_eq!(
        snapshot.item(1).unwrap().cancel(),
        Some(&CancelReason::Timeout)
    );
    assert_eq!(
        handler.report(item(2), status(SyncMgrStatus::Stopped)),
        Ok(CancelDecision::CancelAll)
    );
    handler
        .cb()
        .synchronize_completed(syncmgr::HResult::S_OK)
        .expect("completion accepted");
    let outcome = sync.join().expect("the driver thread");
    assert_eq!(
        outcome,
        Ok(SessionOutcome::Completed {
            code: syncmgr::HResult::S_OK
        })
    );
    let after = session.snapshot();
    assert_eq!(after.item(0).unwrap().phase(), ItemPhase::Succeeded);
    assert_eq!(after.item(0).unwrap().cancel(), None);
    assert_eq!(after.item(1).unwrap().phase(), ItemPhase::Stopped);
    assert_eq!(rules(&session), []);
}

/// Rule #61: after an item's terminal status, a report without a status
/// that would change its value, maximum or text is refused by a strict
/// host and recorded by both; nothing of it is applied.
fn report_after_terminal(
    mode: Mode,
) -> (Session, Vec<Result<CancelDecision, syncmgr::CallbackError>>) {
    let session = Session::new(config(mode));
    let answers = Capture::new();
    let seen = answers.clone();
    let handler = Fake::builder(1)
        .on_synchronize(move |h| {
            h.report(item(1), updating(3, 10)).map_err(refused)?;
            h.report(item(1), status(SyncMgrStatus::Succeeded))
                .map_err(refused)?;
            seen.push(h.report(item(1), value(9)));
            seen.push(h.progress(item(1), None)); // a poll changes nothing
            h.cb()
                .synchronize_completed(syncmgr::HResult::S_OK)
                .map_err(refused)
        })
        .build();
    assert!(session.run(handler).is_success());
    (session, answers.get())
}

#[test]
fn a_value_after_the_terminal_status_is_rule_61_strict() {
    let (session, answers) = report_after_terminal(Mode::Strict);
    assert_eq!(
        answers[0].as_ref().map_err(syncmgr::CallbackError::hresult),
        Err(syncmgr::HResult::E_ACCESSDENIED)
    );
    assert_eq!(answers[1], Ok(CancelDecision::Continue));
    let numbers: Vec<u8> = rules(&session).iter().map(|r| r.number()).collect();
    assert_eq!(numbers, [61]);
    let seen = snapshot_of(&session, item(1));
    let item = seen.get();
    assert_eq!(
        (item.phase(), item.value()),
        (ItemPhase::Succeeded, Some(3))
    );
}

#[test]
fn a_value_after_the_terminal_status_is_rule_61_lenient() {
    let (session, answers) = report_after_terminal(Mode::Lenient);
    assert_eq!(
        answers,
        [Ok(CancelDecision::Continue), Ok(CancelDecision::Continue)]
    );
    let numbers: Vec<u8> = rules(&session).iter().map(|r| r.number()).collect();
    assert_eq!(numbers, [61]);
    assert_eq!(session.violations()[0].answered, None);
    let seen = snapshot_of(&session, item(1));
    let item = seen.get();
    assert_eq!(
        (item.phase(), item.value()),
        (ItemPhase::Succeeded, Some(3)),
        "the finished item's record is final"
    );
}

/// An item the handler opened and then was skipped, but never finished,
/// ends `Stopped` (it was worked on); only an item skipped before the
/// handler opened it ends `Skipped`.
#[test]
fn an_opened_item_skipped_and_left_open_ends_stopped() {
    let session = Session::new(config(Mode::Lenient));
    let handler = Fake::builder(1)
        .on_synchronize(|h| {
            h.report(item(1), updating(0, 10)).map_err(refused)?;
            Ok(()) // the completion comes from the test
        })
        .build();
    let (s, h) = (session.clone(), handler.clone());
    let runner = thread::spawn(move || s.run(h));
    assert!(handler.wait_returned("Synchronize", 1, std::time::Duration::from_secs(10)));
    assert_eq!(
        session.skip_item(item(1)),
        Ok(syncmgr::SkipOutcome::Delivered)
    );
    handler
        .cb()
        .synchronize_completed(syncmgr::HResult::S_OK)
        .expect("completion accepted");
    assert!(runner.join().expect("the driver thread").is_success());
    assert_eq!(phases(&session), [ItemPhase::Stopped]);
    assert_eq!(finished_by_host(&session), [true]);
}
