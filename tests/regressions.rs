//! Regression tests for the defects the operation-sequence fuzzer and the
//! bad-input review of issue 18 found: each names the defect, shows the
//! sequence that reached it, and fails when its fix is reverted.
//!
//! A handler here uses only [`ProgressReporter`], correctly; the session
//! (strict) must then record no violation.

mod support;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use support::{Call, Capture, Fake, config, item, phases, rules};
use syncmgr::{
    CallbackError, CancelDecision, Cancelled, HResult, Host, ItemId, ItemPhase, Mode,
    ProgressReporter, ReportError, Rule, Session, SkipOutcome, SyncCallback, SyncMgrProgress,
    SyncMgrProgressError, SyncMgrStatus,
};

use ItemPhase::{Stopped, Succeeded};

/// A reporter whose host is the fake's callback slot (so the session's
/// endpoint), the way a handler built on `ProgressReporter` is wired.
fn reporter_for(handler: &Fake) -> ProgressReporter {
    let reporter = ProgressReporter::new();
    reporter.set_callback(Some(handler.callback() as Arc<dyn SyncCallback>));
    reporter
}

/// Defect 1: `skip_item` during `Synchronize` answered `Queued`, and a
/// handler that completed before `Synchronize` returned made the skip
/// vanish (no `SetItemStatus`, the item `Succeeded`). The queued skip is now
/// answered `CancelItem` to the item's next report.
#[test]
fn a_skip_queued_during_synchronize_reaches_a_handler_that_completes_before_returning() {
    let session = Session::new(config(Mode::Strict));
    let (s, skips, results) = (session.clone(), Capture::new(), Capture::new());
    let (got_skip, got_result) = (skips.clone(), results.clone());
    let handler = Fake::builder(2)
        .on_synchronize(move |h| {
            let reporter = reporter_for(h);
            for id in [item(1), item(2)] {
                let result = (|| {
                    let work = reporter.begin_with_max(id, 10)?;
                    if id == item(1) {
                        // The user skips item 1 while it is being worked on.
                        got_skip.push(s.skip_item(id));
                    }
                    work.value(5)?;
                    work.value(10)?;
                    work.finish(SyncMgrStatus::Succeeded)
                })();
                got_result.push(result);
            }
            reporter.set_callback(None);
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();

    assert!(session.run(handler.clone()).is_success());

    assert_eq!(skips.get(), [Ok(SkipOutcome::Queued)]);
    assert_eq!(
        results.get(),
        [Err(Cancelled::Item(item(1)).into()), Ok(())],
        "the handler heard of the skip at its next report"
    );
    assert_eq!(phases(&session), [Stopped, Succeeded]);
    assert_eq!(rules(&session), []);
}

/// Defect 2: queued skips were delivered after one window check, so a
/// completion sent while the first was delivered was followed by
/// `SetItemStatus(SKIPPED)` for the second, and the handler's owed `SKIPPED`
/// for it was charged as §G.2 #17.
#[test]
fn queued_skips_are_not_delivered_after_the_completion() {
    let session = Session::new(config(Mode::Strict));
    let reporter: Arc<Mutex<Option<ProgressReporter>>> = Arc::default();
    let s = session.clone();
    let (on_sync, on_skip) = (reporter.clone(), reporter.clone());
    let handler = Fake::builder(2)
        .on_synchronize(move |h| {
            let reporter = reporter_for(h);
            for id in [item(1), item(2)] {
                // Begun and handed over to a worker (dropped here, unfinished).
                drop(
                    reporter
                        .begin_with_max(id, 10)
                        .map_err(|e| e.into_handler())?,
                );
                assert_eq!(s.skip_item(id), Ok(SkipOutcome::Queued));
            }
            *on_sync.lock().unwrap() = Some(reporter);
            Ok(()) // completes when the first skip arrives
        })
        .on_set_item_status(move |h, id, _| {
            let guard = on_skip.lock().unwrap();
            let reporter = guard.as_ref().expect("synchronize ran");
            reporter.skip(id);
            // Acknowledge the skip: `begin` sends the SKIPPED it owes.
            assert_eq!(
                reporter.begin(id).err(),
                Some(ReportError::Cancelled(Cancelled::Item(id)))
            );
            if id == item(1) {
                // The handler gives up item 2 and completes.
                h.cb()
                    .synchronize_completed(HResult::S_OK)
                    .map_err(support::refused)?;
            }
            Ok(())
        })
        .build();

    assert!(session.run(handler.clone()).is_success());
    drop(reporter.lock().unwrap().take());

    let skipped = |id| Call::SetItemStatus(id, SyncMgrStatus::Skipped);
    assert!(handler.called(&skipped(item(1))));
    assert!(
        !handler.called(&skipped(item(2))),
        "no SetItemStatus after SynchronizeCompleted"
    );
    assert_eq!(rules(&session), []);
    assert_eq!(phases(&session), [ItemPhase::Skipped, Stopped]);
}

/// Found by the `operations` fuzz target's smoke run: a worker finishing an
/// item with `DELETED` while `SetItemStatus(SKIPPED)` reached another of the
/// handler's threads was charged with §G.2 #18, a race no handler can rule
/// out. The first call after the delivery is not held against the handler
/// (a non-terminal one is answered `CancelItem`, a `DELETED` applied).
#[test]
fn deleted_as_the_skip_arrives_is_not_held_against_the_handler() {
    let session = Session::new(config(Mode::Strict));
    let answers = Capture::new();
    let (s, got) = (session.clone(), answers.clone());
    let handler = Fake::builder(1)
        .on_synchronize(move |h| {
            h.report(item(1), support::updating(0, 10))
                .map_err(support::refused)?;
            assert_eq!(s.skip_item(item(1)), Ok(SkipOutcome::Queued));
            Ok(()) // the skip is delivered once this returns
        })
        .on_set_item_status(move |h, id, _| {
            // Another thread of the handler was finishing the item.
            got.push(h.report(id, support::status(SyncMgrStatus::Deleted)));
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();

    assert!(session.run(handler.clone()).is_success());

    assert_eq!(answers.get(), [Ok(CancelDecision::Continue)]);
    assert_eq!(rules(&session), []);
    assert_eq!(phases(&session), [ItemPhase::Deleted]);
}

/// Answers `Continue`, records every report; with `cancel` set it answers
/// `CancelItem` once and releases the reporter's callback from inside that
/// call (a handler thread replacing its callback at that moment).
#[derive(Default)]
struct Host1 {
    reports: Mutex<Vec<(ItemId, Option<SyncMgrProgress>)>>,
    cancel_and_release: Mutex<Option<Weak<ProgressReporter>>>,
}

impl SyncCallback for Host1 {
    fn progress(
        &self,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.reports.lock().unwrap().push((item, report.cloned()));
        let release = self.cancel_and_release.lock().unwrap().take();
        Ok(match release.and_then(|r| r.upgrade()) {
            Some(reporter) => {
                reporter.set_callback(None);
                CancelDecision::CancelItem
            }
            None => CancelDecision::Continue,
        })
    }
}

impl Host1 {
    fn statuses(&self) -> Vec<SyncMgrStatus> {
        let reports = self.reports.lock().unwrap();
        reports
            .iter()
            .filter_map(|(_, r)| r.as_ref().and_then(SyncMgrProgress::status))
            .collect()
    }
}

/// Defect 3: the reporter let `finish(DELETED)` follow a delivered skip,
/// which a strict host refuses (§G.2 #18).
#[test]
fn finish_deleted_after_a_skip_is_refused_without_calling_the_host() {
    let host = Arc::new(Host1::default());
    let reporter = ProgressReporter::new();
    reporter.set_callback(Some(host.clone() as Arc<dyn SyncCallback>));
    let id = item(1);
    let work = reporter.begin(id).expect("begun");
    reporter.skip(id); // SetItemStatus(SKIPPED) arrived
    let refused = work.finish(SyncMgrStatus::Deleted);
    assert!(
        matches!(&refused, Err(ReportError::Phase(v)) if v.rule == Rule::SKIP_WINDOW),
        "{refused:?}"
    );
    assert_eq!(host.statuses(), [SyncMgrStatus::Updating]);
    // The item stays open for a status the rule allows.
    let work = reporter.begin(id);
    assert_eq!(
        work.err(),
        Some(ReportError::Cancelled(Cancelled::Item(id))),
        "begun again after the skip: the owed SKIPPED is sent"
    );
    assert_eq!(
        host.statuses(),
        [SyncMgrStatus::Updating, SyncMgrStatus::Skipped]
    );
}

/// Defect 4: when the `STOPPED` a `CancelItem` answer calls for could not be
/// sent (the callback was released at that moment), it was never sent, and
/// the next `begin` answered `Cancelled` silently.
#[test]
fn an_owed_stopped_is_sent_by_the_next_begin() {
    let host = Arc::new(Host1::default());
    let reporter = Arc::new(ProgressReporter::new());
    reporter.set_callback(Some(host.clone() as Arc<dyn SyncCallback>));
    let id = item(1);
    let work = reporter.begin(id).expect("begun");
    *host.cancel_and_release.lock().unwrap() = Some(Arc::downgrade(&reporter));
    assert_eq!(
        work.value(1),
        Err(ReportError::Host(CallbackError::NoCallback)),
        "the STOPPED could not be sent"
    );
    drop(work);
    reporter.set_callback(Some(host.clone() as Arc<dyn SyncCallback>));
    assert_eq!(
        reporter.begin(id).err(),
        Some(ReportError::Cancelled(Cancelled::Item(id)))
    );
    assert_eq!(
        host.statuses(),
        [SyncMgrStatus::Updating, SyncMgrStatus::Stopped],
        "Cancelled means every report the protocol required was sent"
    );
    // Sent once: the item is finished now.
    assert_eq!(
        reporter.begin(id).err(),
        Some(ReportError::Cancelled(Cancelled::Item(id)))
    );
    assert_eq!(host.statuses().len(), 2);
}

/// Defect 5: beginning an item again after an unfinished `ItemReporter` was
/// dropped reported value 0 again, and the host recorded §G.3 #27.
#[test]
fn an_item_begun_again_goes_on_from_its_value() {
    let session = Session::new(config(Mode::Strict));
    let results = Capture::new();
    let got = results.clone();
    let handler = Fake::builder(1)
        .on_synchronize(move |h| {
            let reporter = reporter_for(h);
            let id = item(1);
            let first = reporter.begin_with_max(id, 10).expect("begun");
            first.value(5).expect("accepted");
            drop(first); // left unfinished, picked up again below
            got.push(reporter.begin_with_max(id, 4).err());
            let again = reporter.begin_with_max(id, 10).expect("begun again");
            again.value(10).expect("accepted");
            again.finish(SyncMgrStatus::Succeeded).expect("accepted");
            reporter.set_callback(None);
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();

    assert!(session.run(handler.clone()).is_success());

    assert_eq!(
        results.get(),
        [Some(ReportError::Invalid(
            SyncMgrProgressError::ValueAboveMax { value: 5, max: 4 }
        ))]
    );
    assert_eq!(rules(&session), []);
    assert_eq!(phases(&session), [Succeeded]);
}

/// Bad input: a completion timeout of `Duration::MAX` panicked ("overflow
/// when adding duration to instant"); it now means "no timeout".
#[test]
fn a_completion_timeout_of_duration_max_waits_without_a_deadline() {
    let session = Session::new(config(Mode::Strict).with_completion_timeout(Duration::MAX));
    let handler = Fake::builder(2).build();
    assert!(session.run(handler).is_success());
    assert_eq!(rules(&session), []);
}

/// Bad input: a `Host` kept every session it ever spawned.
#[test]
fn a_host_forgets_released_sessions_beyond_its_retention() {
    let host = Host::new();
    let spawned = if cfg!(miri) {
        6
    } else {
        3 * Host::RETAINED_FINISHED
    };
    for _ in 0..spawned {
        let hosted = host.spawn(config(Mode::Strict), Fake::builder(1).build());
        assert!(hosted.join().is_success());
    }
    let kept = host.sessions().len();
    assert!(
        kept <= Host::RETAINED_FINISHED + 1,
        "{kept} sessions kept after {spawned} finished"
    );
    assert!(kept >= spawned.min(Host::RETAINED_FINISHED));
}

trait IntoHandlerError {
    fn into_handler(self) -> syncmgr::HandlerError;
}

impl IntoHandlerError for ReportError {
    fn into_handler(self) -> syncmgr::HandlerError {
        self.into()
    }
}
