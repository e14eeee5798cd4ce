//! The adapters between generations: a SyncMgr handler behind a Sync Center
//! host, and a Sync Center handler behind a SyncMgr host, with cancellation
//! arriving at the handler in its own vocabulary in both directions.

mod common;
mod support;

use std::sync::{Arc, Mutex};

use syncmgr::sync_center::{
    CancelRequest, ProgressStatus, SyncCenterCallback, SyncCenterHandler, SyncCenterItem,
    SyncCenterItemId, SyncCenterOutcome, SyncCenterProgress, SyncCenterSession,
};
use syncmgr::{
    CanContinue, CancelDecision, CancelReason, HResult, HandlerError, ItemPhase, Mode, Session,
    SessionConfig, SyncCallback, SyncCenterAsSyncMgr, SyncMgrAsSyncCenter, SyncMgrStatus,
    WindowHandle,
};

use support::{Fake, item};

fn sc_id(n: u128) -> SyncCenterItemId {
    SyncCenterItemId::from_item_id(item(n))
}

/// Run `handler` behind [`SyncMgrAsSyncCenter`] in `session`, over the
/// SyncMgr items `1..=items`.
fn run_behind_sync_center(
    session: &SyncCenterSession,
    adapter: SyncMgrAsSyncCenter,
    items: u128,
) -> SyncCenterOutcome {
    let (runner, adapter) = (session.clone(), Arc::new(adapter));
    let ids: Vec<_> = (1..=items).map(sc_id).collect();
    common::within(10, "adapted run", move || runner.run(adapter, &ids)).expect("the session runs")
}

/// Run a Sync Center `handler` behind [`SyncCenterAsSyncMgr`] in a SyncMgr
/// `session`, expecting success.
fn run_behind_syncmgr(session: &Session, handler: Arc<dyn SyncCenterHandler>) {
    let (runner, adapter) = (session.clone(), Arc::new(SyncCenterAsSyncMgr::new(handler)));
    let outcome = common::within(10, "adapted run", move || runner.run(adapter));
    assert!(outcome.is_success(), "{outcome:?}");
}

fn assert_clean(report: syncmgr::ConformanceReport) {
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_syncmgr_handler_reports_to_a_sync_center_host_and_hears_its_cancels() {
    let session = SyncCenterSession::new(Mode::Strict);
    let host = session.clone();
    let fake = Fake::builder(3)
        .on_synchronize(move |h| {
            h.work(item(1)).unwrap();
            host.cancel_item(&sc_id(2), CancelReason::User).unwrap();
            h.work(item(2)).unwrap();
            host.cancel_all(CancelReason::Shutdown);
            h.work(item(3)).unwrap();
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    let outcome =
        run_behind_sync_center(&session, SyncMgrAsSyncCenter::new(fake.clone(), "fake"), 3);
    assert_eq!(
        outcome,
        SyncCenterOutcome::Cancelled(CancelReason::Shutdown)
    );

    // Cancellation arrived as SyncMgr's return codes.
    assert_eq!(fake.answers(item(1)), vec![Ok(CancelDecision::Continue); 3]);
    assert_eq!(
        fake.answers(item(2))[0],
        Ok(CancelDecision::CancelItem),
        "the item cancel arrives as S_SYNCMGR_CANCELITEM"
    );
    assert_eq!(
        fake.answers(item(3))[0],
        Ok(CancelDecision::CancelAll),
        "the cancel-all arrives as S_SYNCMGR_CANCELALL"
    );
    // §G.1 #7: the adapter released the callback.
    assert!(fake.called(&support::Call::SetProgressCallback(false)));
}

#[test]
fn sync_center_states_after_an_adapted_syncmgr_run() {
    let session = SyncCenterSession::new(Mode::Strict);
    let host = session.clone();
    let fake = Fake::builder(3)
        .on_synchronize(move |h| {
            h.work(item(1)).unwrap();
            host.cancel_item(&sc_id(2), CancelReason::User).unwrap();
            h.work(item(2)).unwrap();
            h.work(item(3)).unwrap();
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    let outcome = run_behind_sync_center(&session, SyncMgrAsSyncCenter::new(fake, "fake"), 3);
    assert_eq!(outcome, SyncCenterOutcome::Completed);
    let items = session.snapshot().items;
    let states: Vec<_> = items
        .iter()
        .map(|i| (i.phase, i.status, i.acknowledged))
        .collect();
    assert_eq!(
        states,
        [
            (ItemPhase::Succeeded, Some(ProgressStatus::Succeeded), false),
            (ItemPhase::Stopped, Some(ProgressStatus::Canceled), true),
            (ItemPhase::Succeeded, Some(ProgressStatus::Succeeded), false),
        ]
    );
    assert_eq!(items[0].steps, Some((10, 10)));
    assert_clean(session.conformance_report());
}

#[test]
fn a_syncmgr_handler_poll_becomes_can_continue() {
    let session = SyncCenterSession::new(Mode::Strict);
    let host = session.clone();
    let polls = Arc::new(Mutex::new(Vec::new()));
    let seen = polls.clone();
    let fake = Fake::builder(2)
        .on_synchronize(move |h| {
            seen.lock().unwrap().push(h.progress(item(1), None));
            host.cancel_item(&sc_id(1), CancelReason::User).unwrap();
            seen.lock().unwrap().push(h.progress(item(1), None));
            host.cancel_all(CancelReason::User);
            seen.lock().unwrap().push(h.progress(item(2), None));
            h.work(item(1)).unwrap();
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    let outcome = run_behind_sync_center(&session, SyncMgrAsSyncCenter::new(fake, "fake"), 2);
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    assert_eq!(
        *polls.lock().unwrap(),
        [
            Ok(CancelDecision::Continue),
            Ok(CancelDecision::CancelItem),
            Ok(CancelDecision::CancelAll)
        ]
    );
}

/// A Sync Center handler in the published sample's style: report the max
/// first, then steps, check the cancel request after each report, and
/// acknowledge a cancel with CANCELED; after CANCEL_ALL every remaining item
/// is acknowledged too. `hook(item, step)` runs after each step.
struct SampleLoop {
    steps: u32,
    hook: Box<dyn Fn(usize, u32) + Send + Sync>,
    answers: Mutex<Vec<(String, CancelRequest)>>,
    polls: Mutex<Vec<CanContinue>>,
}

impl SampleLoop {
    fn new(steps: u32, hook: impl Fn(usize, u32) + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            steps,
            hook: Box::new(hook),
            answers: Mutex::new(Vec::new()),
            polls: Mutex::new(Vec::new()),
        })
    }

    fn report(
        &self,
        callback: &dyn SyncCenterCallback,
        item: &SyncCenterItemId,
        status: ProgressStatus,
        step: u32,
    ) -> CancelRequest {
        let report = SyncCenterProgress::new(item.clone(), status, step, self.steps);
        let answer = callback.report_progress(&report).unwrap();
        self.answers
            .lock()
            .unwrap()
            .push((item.to_string(), answer));
        answer
    }
}

impl SyncCenterHandler for SampleLoop {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("sample loop".into())
    }

    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        ["alpha", "beta", "gamma"]
            .into_iter()
            .map(|name| SyncCenterItem::new(SyncCenterItemId::new(name).unwrap(), name))
            .collect::<Result<_, _>>()
            .map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        let mut all = false;
        for (index, item) in items.iter().enumerate() {
            if all {
                self.report(&*callback, item, ProgressStatus::Canceled, 0);
                continue;
            }
            let mut request = self.report(&*callback, item, ProgressStatus::Updating, 0);
            let mut step = 0;
            while request == CancelRequest::None && step < self.steps {
                step += 1;
                (self.hook)(index, step);
                // CanContinue between reports; S_FALSE means "acknowledge".
                let poll = callback.can_continue(Some(item)).unwrap();
                self.polls.lock().unwrap().push(poll);
                if poll == CanContinue::Stop {
                    let handler = callback.can_continue(None).unwrap();
                    request = CancelDecision::from_can_continue(poll, handler).into();
                    break;
                }
                request = self.report(&*callback, item, ProgressStatus::Updating, step);
            }
            match request {
                CancelRequest::None => {
                    self.report(&*callback, item, ProgressStatus::Succeeded, self.steps);
                }
                CancelRequest::CancelItem => {
                    self.report(&*callback, item, ProgressStatus::Canceled, step);
                }
                CancelRequest::CancelAll => {
                    all = true;
                    self.report(&*callback, item, ProgressStatus::Canceled, step);
                }
            }
        }
        Ok(())
    }
}

#[test]
fn a_sync_center_handler_reports_to_a_syncmgr_host_and_hears_its_cancels() {
    let session = Session::new(SessionConfig::default());
    let host = session.clone();
    let alpha = SyncCenterItemId::new("alpha").unwrap().to_item_id();
    let beta = SyncCenterItemId::new("beta").unwrap().to_item_id();
    let handler = SampleLoop::new(4, move |index, step| match (index, step) {
        (0, 2) => host.cancel_item(alpha, CancelReason::User).unwrap(),
        (1, 1) => host.cancel_all(CancelReason::Shutdown),
        _ => {}
    });
    run_behind_syncmgr(&session, handler.clone());

    let answers = handler.answers.lock().unwrap().clone();
    assert_eq!(
        *handler.polls.lock().unwrap(),
        [CanContinue::Continue, CanContinue::Stop, CanContinue::Stop],
        "CANCELITEM, then CANCELALL, for a poll arrive as CanContinue S_FALSE"
    );
    assert!(
        answers.contains(&("beta".into(), CancelRequest::CancelAll)),
        "S_SYNCMGR_CANCELALL arrives as CR_CANCEL_ALL: {answers:?}"
    );

    let snapshot = session.snapshot();
    let phase = |id| snapshot.items().find(|i| i.id() == id).unwrap().phase();
    let gamma = SyncCenterItemId::new("gamma").unwrap().to_item_id();
    assert_eq!(phase(alpha), ItemPhase::Stopped, "CANCELED became STOPPED");
    assert_eq!(phase(beta), ItemPhase::Stopped);
    assert_eq!(
        phase(gamma),
        ItemPhase::Stopped,
        "never opened: the host stops it"
    );
    assert_clean(session.conformance_report());
}

#[test]
fn an_undisturbed_sync_center_handler_succeeds_behind_a_syncmgr_host() {
    let session = Session::new(SessionConfig::default());
    let handler = SampleLoop::new(3, |_, _| {});
    run_behind_syncmgr(&session, handler);
    let snapshot = session.snapshot();
    assert_eq!(snapshot.len(), 3);
    for item in snapshot.items() {
        assert_eq!(item.phase(), ItemPhase::Succeeded, "{}", item.name());
        assert_eq!((item.value(), item.max()), (Some(3), Some(3)));
    }
    assert_clean(session.conformance_report());
}

#[test]
fn set_item_status_accepts_only_skipped() {
    let adapter = SyncCenterAsSyncMgr::new(SampleLoop::new(1, |_, _| {}));
    use syncmgr::SyncHandler;
    let alpha = SyncCenterItemId::new("alpha").unwrap().to_item_id();
    adapter.enum_items().unwrap();
    adapter
        .prepare_for_sync(&[alpha], WindowHandle::NONE)
        .unwrap();
    adapter
        .set_item_status(alpha, SyncMgrStatus::Skipped)
        .unwrap();
    assert!(
        adapter
            .set_item_status(alpha, SyncMgrStatus::Failed)
            .is_err(),
        "only SKIPPED is a SetItemStatus value"
    );
}

/// A conforming SyncMgr handler (it opens no item after CANCELALL, §G.3 #23)
/// behind the adapter is not blamed by the Sync Center host: the adapter
/// acknowledges the unopened items for it (§G.7 #42, #51).
#[test]
fn cancel_all_through_the_syncmgr_adapter_leaves_a_clean_report() {
    let session = SyncCenterSession::new(Mode::Strict);
    let host = session.clone();
    let fake = Fake::builder(3)
        .on_synchronize(move |h| {
            host.cancel_all(CancelReason::User);
            h.work_all();
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    let outcome = run_behind_sync_center(&session, SyncMgrAsSyncCenter::new(fake, "fake"), 3);
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    let report = session.conformance_report();
    assert!(report.is_clean(), "{report}");
    for item in session.snapshot().items {
        assert_eq!(item.phase, ItemPhase::Stopped, "{}", item.id);
        assert!(item.acknowledged && !item.finished_by_host, "{}", item.id);
    }
}

/// SyncMgr allows a text-only report after a terminal status; the adapter
/// must not turn it into a second terminal report (§G.7 #41).
#[test]
fn text_after_a_terminal_status_does_not_fail_the_item() {
    let session = SyncCenterSession::new(Mode::Strict);
    let fake = Fake::builder(1)
        .on_synchronize(|h| {
            h.report(item(1), support::updating(0, 10)).unwrap();
            h.report(item(1), support::status(SyncMgrStatus::Succeeded))
                .unwrap();
            let text = syncmgr::SyncMgrProgress::builder()
                .text("done: 10 files")
                .build()
                .unwrap();
            assert_eq!(h.report(item(1), text), Ok(CancelDecision::Continue));
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    let outcome = run_behind_sync_center(&session, SyncMgrAsSyncCenter::new(fake, "fake"), 1);
    assert_eq!(outcome, SyncCenterOutcome::Completed);
    assert_eq!(session.snapshot().items[0].phase, ItemPhase::Succeeded);
    assert_clean(session.conformance_report());
}

/// An unbounded timeout waits instead of overflowing.
#[test]
fn an_unbounded_timeout_is_accepted() {
    let session = SyncCenterSession::new(Mode::Strict);
    let adapter = SyncMgrAsSyncCenter::new(Fake::builder(1).build(), "fake")
        .with_timeout(std::time::Duration::MAX);
    let outcome = run_behind_sync_center(&session, adapter, 1);
    assert_eq!(outcome, SyncCenterOutcome::Completed);
}

/// A Sync Center handler that reports one item, with `first` as its first
/// report; `before` runs first, on the handler's thread.
struct OneReport {
    before: Box<dyn Fn() + Send + Sync>,
    /// Poll `CanContinue` until it answers `S_FALSE` before reporting.
    wait_for_stop: bool,
    reports: Vec<(ProgressStatus, u32, u32)>,
    answers: Mutex<Vec<Result<CancelRequest, syncmgr::CallbackError>>>,
}

impl SyncCenterHandler for OneReport {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("one report".into())
    }

    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        Ok(vec![
            SyncCenterItem::new(SyncCenterItemId::new("a").unwrap(), "a").unwrap(),
        ])
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        (self.before)();
        while self.wait_for_stop
            && callback.can_continue(Some(&items[0])).unwrap() == CanContinue::Continue
        {
            std::thread::yield_now();
        }
        for &(status, step, max) in &self.reports {
            let report = SyncCenterProgress::new(items[0].clone(), status, step, max);
            self.answers
                .lock()
                .unwrap()
                .push(callback.report_progress(&report));
        }
        Ok(())
    }
}

fn run_one_report(
    session: &Session,
    before: impl Fn() + Send + Sync + 'static,
    wait_for_stop: bool,
    reports: Vec<(ProgressStatus, u32, u32)>,
) -> Arc<OneReport> {
    let handler = Arc::new(OneReport {
        before: Box::new(before),
        wait_for_stop,
        reports,
        answers: Mutex::new(Vec::new()),
    });
    run_behind_syncmgr(session, handler.clone());
    handler
}

/// §G.7 #43 constrains only UPDATING: a terminal report with odd steps still
/// reaches the SyncMgr host.
#[test]
fn a_terminal_report_with_odd_steps_reaches_the_syncmgr_host() {
    let session = Session::new(SessionConfig::default());
    let handler = run_one_report(
        &session,
        || {},
        false,
        vec![
            (ProgressStatus::Updating, 0, 3),
            (ProgressStatus::Failed, 7, 0),
        ],
    );
    assert!(handler.answers.lock().unwrap().iter().all(Result::is_ok));
    let snapshot = session.snapshot();
    let item = snapshot.item(0).unwrap();
    assert_eq!(item.phase(), ItemPhase::Failed);
    assert!(!item.finished_by_host(), "the handler's own report arrived");
    assert_clean(session.conformance_report());
}

/// A first report that is terminal, for an item the host has cancelled:
/// the adapter's opening poll hears the cancel and the report arrives as a
/// stop, which §G.3 #22 allows.
#[test]
fn a_terminal_first_report_after_a_cancel_arrives_as_a_stop() {
    let session = Session::new(SessionConfig::default());
    let host = session.clone();
    let a = item_a();
    run_one_report(
        &session,
        move || host.cancel_item(a, CancelReason::User).unwrap(),
        false,
        vec![(ProgressStatus::Succeeded, 1, 1)],
    );
    assert_eq!(
        session.snapshot().item(0).unwrap().phase(),
        ItemPhase::Stopped
    );
    assert_clean(session.conformance_report());
}

/// The SyncMgr id of Sync Center item "a".
fn item_a() -> syncmgr::ItemId {
    SyncCenterItemId::new("a").unwrap().to_item_id()
}

/// The SyncMgr host's skip reaches a Sync Center handler as `CanContinue`
/// answering `S_FALSE` (the adapter's Synchronize returns at once, so the
/// §G.2 #18 window opens), and the handler's CANCELED ends the item.
#[test]
fn a_skip_through_a_real_session_reaches_the_sync_center_handler() {
    let session = Session::new(SessionConfig::default());
    let host = session.clone();
    let handler = run_one_report(
        &session,
        move || {
            // Delivered at once if Synchronize has returned, else queued
            // until it does; either way the handler hears it.
            host.skip_item(item_a()).unwrap();
        },
        true,
        vec![(ProgressStatus::Canceled, 0, 2)],
    );
    assert_eq!(
        handler.answers.lock().unwrap()[0],
        Ok(CancelRequest::None),
        "the acknowledgement ends the item"
    );
    assert_eq!(
        session.snapshot().item(0).unwrap().phase(),
        ItemPhase::Stopped
    );
    assert_clean(session.conformance_report());
}
