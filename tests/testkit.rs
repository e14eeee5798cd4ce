//! The test kit against handlers written the two ways users write them: on
//! `ProgressReporter`, and by hand on the raw callback, correctly and with
//! one deliberate flaw per rule a host can observe.
#![cfg(feature = "testkit")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use syncmgr::testkit::{
    Budget, Call, Divergence, Fault, Scenario, Side, TestHost, explore, record, replay, replay_host,
};
use syncmgr::{
    CallbackSlot, CancelDecision, HResult, HandlerAnswer, HandlerError, HandlerInfo,
    ItemEnumeration, ItemId, ItemPhase, ProgressReporter, Rule, Session, SessionConfig,
    SyncCallback, SyncHandler, SyncItem, SyncMgrFlags, SyncMgrProgress, SyncMgrStatus,
    WindowHandle,
};

const ITEMS: u128 = 3;
const STEPS: i32 = 3;

fn item(n: u128) -> ItemId {
    ItemId::from_u128(0x7E57_0000 + n)
}

/// What a hand-written handler does wrong (or nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    IgnoresCancelItem,
    IgnoresCancelAll,
    ReportsAfterFinish,
    ValueAboveMax,
    UnknownItem,
    CompletesTwice,
    KeepsReleasedCallback,
}

/// A handler written by hand on the raw callback, the way Microsoft's
/// samples write one: it keeps the callback, reports each item's steps and
/// acts on each answer.
struct Manual {
    flaw: Flaw,
    /// Works on a thread of its own and returns from `Synchronize` at once,
    /// as Microsoft's samples do (skips then arrive while it works).
    threaded: bool,
    me: std::sync::Weak<Manual>,
    slot: CallbackSlot,
    kept: Mutex<Vec<Arc<dyn SyncCallback>>>,
    skipped: Mutex<Vec<ItemId>>,
}

impl Manual {
    fn plain(flaw: Flaw) -> Arc<dyn SyncHandler> {
        Self::build(flaw, false)
    }

    fn threaded(flaw: Flaw) -> Arc<dyn SyncHandler> {
        Self::build(flaw, true)
    }

    fn build(flaw: Flaw, threaded: bool) -> Arc<dyn SyncHandler> {
        Arc::new_cyclic(|me| Self {
            flaw,
            threaded,
            me: me.clone(),
            slot: CallbackSlot::new(),
            kept: Mutex::default(),
            skipped: Mutex::default(),
        })
    }

    fn work(&self) {
        let mut go_on = true;
        for n in 1..=ITEMS {
            if !go_on && self.flaw != Flaw::IgnoresCancelAll {
                break;
            }
            go_on = self.sync_item(item(n)) && go_on;
        }
        if self.flaw == Flaw::UnknownItem {
            let start = SyncMgrProgress::builder()
                .status(SyncMgrStatus::Updating)
                .build()
                .unwrap();
            self.report(item(99), &start);
        }
        let _ = self.slot.synchronize_completed(HResult::S_OK);
        if self.flaw == Flaw::CompletesTwice {
            let _ = self.slot.synchronize_completed(HResult::S_OK);
        }
    }

    fn report(&self, id: ItemId, report: &SyncMgrProgress) -> Option<CancelDecision> {
        self.slot.progress(id, Some(report)).ok()
    }

    /// Report one item; `false` when everything is cancelled.
    fn sync_item(&self, id: ItemId) -> bool {
        let status = |s| SyncMgrProgress::builder().status(s).build().unwrap();
        let value = |v| SyncMgrProgress::builder().value(v).build().unwrap();
        let start = SyncMgrProgress::builder()
            .status(SyncMgrStatus::Updating)
            .value(0)
            .max(STEPS)
            .build()
            .unwrap();
        let mut answer = self.report(id, &start);
        let last = if self.flaw == Flaw::ValueAboveMax {
            STEPS + 1
        } else {
            STEPS
        };
        for step in 1..=last {
            match answer {
                Some(CancelDecision::CancelAll) if self.flaw != Flaw::IgnoresCancelAll => {
                    self.report(id, &status(SyncMgrStatus::Stopped));
                    return false;
                }
                Some(CancelDecision::CancelItem) if self.flaw != Flaw::IgnoresCancelItem => {
                    // The answer to the STOPPED counts too.
                    let answer = self.report(id, &status(SyncMgrStatus::Stopped));
                    return answer != Some(CancelDecision::CancelAll);
                }
                _ => {}
            }
            if self.skipped.lock().unwrap().contains(&id) {
                let answer = self.report(id, &status(SyncMgrStatus::Skipped));
                return answer != Some(CancelDecision::CancelAll);
            }
            answer = self.report(id, &value(step));
        }
        match answer {
            Some(CancelDecision::CancelAll) if self.flaw != Flaw::IgnoresCancelAll => {
                self.report(id, &status(SyncMgrStatus::Stopped));
                return false;
            }
            Some(CancelDecision::CancelItem) if self.flaw != Flaw::IgnoresCancelItem => {
                let answer = self.report(id, &status(SyncMgrStatus::Stopped));
                return answer != Some(CancelDecision::CancelAll);
            }
            _ => {}
        }
        let answer = self.report(id, &status(SyncMgrStatus::Succeeded));
        if self.flaw == Flaw::ReportsAfterFinish {
            self.report(id, &value(STEPS));
        }
        // The answer to a terminal report counts too: cancel-all stops the
        // items not begun yet.
        answer != Some(CancelDecision::CancelAll)
    }
}

impl SyncHandler for Manual {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("manual").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(
            (1..=ITEMS).map(|n| SyncItem::new(item(n), "an item").unwrap()),
        ))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        if self.flaw == Flaw::KeepsReleasedCallback
            && let Some(callback) = &callback
        {
            self.kept.lock().unwrap().push(Arc::clone(callback));
        }
        self.slot.set(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        let _ = self.slot.prepare_for_sync_completed(HResult::S_OK);
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        match self.me.upgrade() {
            Some(me) if self.threaded => {
                std::thread::spawn(move || me.work());
            }
            _ => self.work(),
        }
        Ok(())
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status == SyncMgrStatus::Skipped {
            self.skipped.lock().unwrap().push(item);
        }
        Ok(())
    }
}

/// A handler on `ProgressReporter`, the way the crate's examples write
/// one.
struct OnReporter {
    reporter: ProgressReporter,
}

impl OnReporter {
    fn handler() -> Arc<dyn SyncHandler> {
        Arc::new(Self {
            reporter: ProgressReporter::new(),
        })
    }
}

impl SyncHandler for OnReporter {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("reporter").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(
            (1..=ITEMS).map(|n| SyncItem::new(item(n), "an item").unwrap()),
        ))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.reporter.set_callback(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        let _ = self
            .reporter
            .slot()
            .prepare_for_sync_completed(HResult::S_OK);
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        for n in 1..=ITEMS {
            if let Ok(open) = self.reporter.begin_with_max(item(n), STEPS as u64) {
                let done = (1..=STEPS as u64).try_for_each(|v| open.value(v));
                if done.is_ok() {
                    let _ = open.finish(SyncMgrStatus::Succeeded);
                }
            }
        }
        let _ = self.reporter.slot().synchronize_completed(HResult::S_OK);
        Ok(())
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status == SyncMgrStatus::Skipped {
            self.reporter.skip(item);
        }
        Ok(())
    }
}

fn host() -> TestHost {
    TestHost::new().with_completion_timeout(Duration::from_secs(2))
}

fn budget() -> Budget {
    Budget {
        runs: 500,
        time: Duration::from_secs(60),
        random_runs: 40,
        seed: 7,
    }
}

#[test]
fn the_well_behaved_handlers_pass_every_cancel_point() {
    for (name, make) in [
        (
            "manual",
            (|| Manual::plain(Flaw::None)) as fn() -> Arc<dyn SyncHandler>,
        ),
        ("manual, on a worker thread", || {
            Manual::threaded(Flaw::None)
        }),
        ("on ProgressReporter", OnReporter::handler),
    ] {
        let exploration = explore(&host(), make, &budget());
        assert!(
            exploration.failure.is_none(),
            "{name}: {}",
            exploration.failure.as_ref().unwrap()
        );
        assert!(
            exploration.exhaustive,
            "{name}: the budget cut the search short"
        );
        // 3 items × 5 reports × {cancel, skip} + 15 reports × {cancel all,
        // fail} + the clean run + 40 random runs.
        assert!(exploration.runs > 60, "{name}: {} runs", exploration.runs);
        eprintln!(
            "{name}: {} runs in {:?}",
            exploration.runs, exploration.elapsed
        );
    }
}

#[test]
fn each_flaw_is_named_by_its_rule_with_a_minimal_scenario() {
    let cases = [
        (Flaw::IgnoresCancelItem, Rule::CANCELLED_ITEM_ENDS, 1),
        (
            Flaw::IgnoresCancelAll,
            Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL,
            1,
        ),
        (Flaw::ReportsAfterFinish, Rule::NO_REPORT_AFTER_TERMINAL, 0),
        (Flaw::ValueAboveMax, Rule::VALUE_WITHIN_MAX, 0),
        (Flaw::UnknownItem, Rule::PREPARED_SET, 0),
        (Flaw::CompletesTwice, Rule::SYNCHRONIZE_COMPLETED_ONCE, 0),
        (Flaw::KeepsReleasedCallback, Rule::CALLBACK_RELEASED, 0),
    ];
    for (flaw, rule, faults) in cases {
        let exploration = explore(&host(), move || Manual::plain(flaw), &budget());
        let failure = exploration
            .failure
            .unwrap_or_else(|| panic!("{flaw:?} was not found"));
        assert_eq!(failure.rule, rule, "{flaw:?}: {failure}");
        assert_eq!(
            failure.scenario.faults.len(),
            faults,
            "{flaw:?}: not minimal: {failure}"
        );
        assert!(
            failure
                .transcript
                .handler_calls()
                .any(|e| matches!(e.call, Call::Progress { .. })),
            "{flaw:?}: the transcript shows the reports"
        );
    }
}

#[test]
fn a_scenario_cancels_at_the_named_report_and_the_item_ends_stopped() {
    let scenario = Scenario::clean().with(Fault::CancelItem {
        item: item(2).into(),
        at_report: 2,
    });
    let run = host().run(Manual::plain(Flaw::None), &scenario);
    assert!(run.is_clean(), "{:?}", run.rules());
    let phases: Vec<ItemPhase> = run.final_states.iter().map(|&(_, p)| p).collect();
    assert_eq!(
        phases,
        [
            ItemPhase::Succeeded,
            ItemPhase::Stopped,
            ItemPhase::Succeeded
        ]
    );
    // The cancel is answered to item 2's second report, from inside the
    // host's Synchronize.
    let answered = run
        .transcript
        .handler_calls()
        .filter(|e| matches!(e.call, Call::Progress { item: i, .. } if i == item(2)))
        .nth(1)
        .unwrap();
    assert_eq!(
        answered.answer,
        syncmgr::testkit::Answer::Decision {
            decision: CancelDecision::CancelItem
        }
    );
    let synchronize = run
        .transcript
        .host_calls()
        .find(|e| e.call == Call::Synchronize)
        .unwrap();
    assert_eq!(answered.parent, Some(synchronize.seq));
    assert_eq!(answered.side, Side::HandlerToHost);
}

#[test]
fn a_failed_report_and_a_reentrant_skip_are_survived() {
    let scenario = Scenario::clean()
        .with(Fault::FailReport {
            at_report: 3,
            code: HResult::E_FAIL,
        })
        .with(Fault::Skip {
            item: item(3).into(),
            at_report: 1,
        });
    let run = host().run(Manual::threaded(Flaw::None), &scenario);
    assert!(run.is_clean(), "{:?}", run.rules());
    // Skipped before the handler heard of the skip, the item is answered a
    // cancel at its first report and ends STOPPED (§G.2 #18's race).
    assert!(
        matches!(
            run.final_states[2].1,
            ItemPhase::Skipped | ItemPhase::Stopped
        ),
        "{:?}",
        run.final_states
    );
    // When the host could deliver the skip at once (the handler's worker
    // had already been seen to return from Synchronize), it did so from
    // inside the handler's own call; otherwise it answered CancelItem.
    if let Some(skip) = run
        .transcript
        .host_calls()
        .find(|e| matches!(e.call, Call::SetItemStatus { .. }))
    {
        let parent = skip.parent.expect("delivered from inside a call");
        assert!(
            run.transcript
                .entries
                .iter()
                .any(|e| e.seq == parent && e.side == Side::HandlerToHost)
        );
    }
}

#[test]
fn a_replace_mid_sync_and_a_slow_host_are_survived() {
    for make in [
        (|| Manual::plain(Flaw::None)) as fn() -> Arc<dyn SyncHandler>,
        || Manual::threaded(Flaw::None),
        OnReporter::handler,
    ] {
        let scenario = Scenario::clean()
            .with(Fault::ReplaceCallback { at_report: 4 })
            .with(Fault::DelayReport {
                at_report: 6,
                millis: 20,
            });
        let run = host().run(make(), &scenario);
        assert!(run.is_clean(), "{:?}", run.rules());
        assert!(
            run.final_states
                .iter()
                .all(|(_, phase)| *phase == ItemPhase::Succeeded),
            "{:?}",
            run.final_states
        );
        // The replace was made from inside the handler's fourth report.
        let fourth = run
            .transcript
            .handler_calls()
            .filter(|e| matches!(e.call, Call::Progress { .. }))
            .nth(3)
            .unwrap();
        assert!(
            run.transcript.host_calls().any(|e| {
                e.call == Call::SetProgressCallback { some: true } && e.parent == Some(fourth.seq)
            }),
            "no replace inside entry {}",
            fourth.seq
        );
    }
}

#[test]
fn a_recorded_session_replays_without_divergence_and_a_changed_decision_is_found() {
    let scenario = Scenario::clean().with(Fault::CancelItem {
        item: item(1).into(),
        at_report: 2,
    });
    let run = host().run(Manual::plain(Flaw::None), &scenario);
    assert!(run.is_clean());
    assert_eq!(replay(&run.transcript, Manual::plain(Flaw::None)), Ok(()));
    // The same handler, but one decision changed: it goes on after the
    // cancel. Replay names the first call that differs.
    let divergence = replay(&run.transcript, Manual::plain(Flaw::IgnoresCancelItem)).unwrap_err();
    let Divergence::Call { expected, got, .. } = &divergence else {
        panic!("{divergence}");
    };
    assert!(
        matches!(
            **expected,
            Call::Progress {
                status: Some(SyncMgrStatus::Stopped),
                ..
            }
        ),
        "{divergence}"
    );
    assert!(
        matches!(**got, Call::Progress { value: Some(2), .. }),
        "{divergence}"
    );
}

#[test]
fn any_session_records_through_the_wrapper() {
    let (recorded, recording) = record(OnReporter::handler());
    let outcome = Session::new(SessionConfig::default()).run(recorded);
    assert!(outcome.is_success());
    let transcript = recording.transcript();
    assert_eq!(
        transcript.reports_of(&item(1).into()),
        1 + STEPS as usize + 1
    );
    assert_eq!(replay(&transcript, OnReporter::handler()), Ok(()));
    let mut text = Vec::new();
    transcript.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("Synchronize"), "{text}");
}

#[cfg(feature = "serde")]
#[test]
fn transcripts_travel_as_json_lines_and_replay_after_the_trip() {
    use syncmgr::testkit::{TRANSCRIPT_SCHEMA, Transcript, TranscriptError};

    let run = host().run(
        Manual::plain(Flaw::None),
        &Scenario::clean().with(Fault::CancelAll { at_report: 4 }),
    );
    let mut lines = Vec::new();
    run.transcript.write_json_lines(&mut lines).unwrap();
    let text = String::from_utf8(lines.clone()).unwrap();
    assert!(text.lines().next().unwrap().contains(TRANSCRIPT_SCHEMA));
    let back = Transcript::read_json_lines(&lines[..]).unwrap();
    assert_eq!(back, run.transcript);
    assert_eq!(replay(&back, Manual::plain(Flaw::None)), Ok(()));
    // What is not a transcript is refused, naming why.
    assert!(matches!(
        Transcript::read_json_lines(&b"{\"schema\":\"other/1\"}\n"[..]),
        Err(TranscriptError::Schema(Some(_)))
    ));
    let broken = format!("{{\"schema\":\"{TRANSCRIPT_SCHEMA}\"}}\n{{\"seq\": \"x\"}}\n");
    assert!(matches!(
        Transcript::read_json_lines(broken.as_bytes()),
        Err(TranscriptError::Entry { line: 2, .. })
    ));
}

#[test]
fn a_transcript_replays_against_a_host_and_a_changed_answer_is_found() {
    for make in [
        (|| Manual::plain(Flaw::None)) as fn() -> Arc<dyn SyncHandler>,
        || Manual::threaded(Flaw::None),
    ] {
        let (recorded, recording) = record(make());
        let session = Session::new(SessionConfig::default());
        assert!(session.run(recorded).is_success());
        let transcript = recording.transcript();

        // The same host again: no divergence.
        let (handler, check) = replay_host(&transcript);
        assert!(
            Session::new(SessionConfig::default())
                .run(handler)
                .is_success()
        );
        assert_eq!(check.result(), Ok(()));

        // A host that was told to cancel everything first answers the
        // first report differently.
        let (handler, check) = replay_host(&transcript);
        let cancelled = Session::new(SessionConfig::default());
        cancelled.cancel_all(syncmgr::CancelReason::User);
        let _ = cancelled.run(handler);
        let divergence = check.result().unwrap_err();
        let Divergence::Answer { call, got, .. } = &divergence else {
            panic!("{divergence}");
        };
        assert!(matches!(**call, Call::Progress { .. }), "{divergence}");
        assert_eq!(
            **got,
            syncmgr::testkit::Answer::Decision {
                decision: CancelDecision::CancelAll
            },
            "{divergence}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// The exported strategies: a well-behaved handler is clean under any
    /// scenario they draw, and every item ends in a terminal phase.
    #[test]
    fn any_drawn_scenario_leaves_a_well_behaved_handler_clean(
        scenario in syncmgr::testkit::strategy::scenario(
            (1..=ITEMS).map(|n| (item(n).into(), 5)).collect(),
            15,
            3,
        )
    ) {
        let run = host().run(Manual::plain(Flaw::None), &scenario);
        proptest::prop_assert!(run.is_clean(), "{:?}: {:?}", scenario, run.rules());
        proptest::prop_assert!(
            run.final_states.iter().all(|(_, phase)| phase.is_terminal()),
            "{:?}",
            run.final_states
        );
    }
}

mod sync_center_kit {
    use super::*;
    use syncmgr::sync_center::{
        CancelRequest, ProgressStatus, SyncCenterCallback, SyncCenterHandler, SyncCenterItemId,
        SyncCenterProgress,
    };
    use syncmgr::testkit::sync_center::{SyncCenterTestHost, explore as explore_sc};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum ScFlaw {
        None,
        IgnoresCancelItem,
        ReportsAfterFinish,
        UnknownItem,
        StepPastMax,
    }

    /// A Sync Center handler written on the raw callback, the loop of
    /// Microsoft's sample: report each step, acknowledge a cancel with one
    /// CANCELED, cancel-all ends every item left.
    struct Sample(ScFlaw);

    fn send(
        callback: &Arc<dyn SyncCenterCallback>,
        item: &SyncCenterItemId,
        status: ProgressStatus,
        step: u32,
    ) -> CancelRequest {
        let report = SyncCenterProgress::new(item.clone(), status, step, 3);
        callback
            .report_progress(&report)
            .unwrap_or(CancelRequest::None)
    }

    impl SyncCenterHandler for Sample {
        fn name(&self) -> Result<String, HandlerError> {
            Ok("sample".into())
        }

        fn synchronize(
            &self,
            items: &[SyncCenterItemId],
            _: WindowHandle,
            callback: Arc<dyn SyncCenterCallback>,
        ) -> Result<(), HandlerError> {
            use ProgressStatus::{Canceled, Succeeded, Updating};
            let mut cancel_all = false;
            for item in items {
                if cancel_all {
                    send(&callback, item, Canceled, 0);
                    continue;
                }
                let mut request = send(&callback, item, Updating, 0);
                let mut step = 0;
                let last = if self.0 == ScFlaw::StepPastMax { 4 } else { 3 };
                while (request == CancelRequest::None
                    || (self.0 == ScFlaw::IgnoresCancelItem
                        && request == CancelRequest::CancelItem))
                    && step < last
                {
                    step += 1;
                    request = send(&callback, item, Updating, step);
                }
                match request {
                    CancelRequest::CancelItem => {
                        send(&callback, item, Canceled, step);
                    }
                    CancelRequest::CancelAll => {
                        send(&callback, item, Canceled, step);
                        cancel_all = true;
                    }
                    _ => {
                        let answer = send(&callback, item, Succeeded, step);
                        if self.0 == ScFlaw::ReportsAfterFinish {
                            send(&callback, item, Updating, step);
                        }
                        cancel_all |= answer == CancelRequest::CancelAll;
                    }
                }
            }
            if self.0 == ScFlaw::UnknownItem {
                let stranger = SyncCenterItemId::new("stranger").unwrap();
                send(&callback, &stranger, Updating, 0);
            }
            Ok(())
        }
    }

    fn items() -> Vec<SyncCenterItemId> {
        ["alpha", "beta", "gamma"]
            .iter()
            .map(|i| SyncCenterItemId::new(*i).unwrap())
            .collect()
    }

    #[test]
    fn the_sample_loop_passes_every_cancel_point() {
        let exploration = explore_sc(
            &SyncCenterTestHost::new(),
            || Arc::new(Sample(ScFlaw::None)),
            &items(),
            &budget(),
        );
        assert!(
            exploration.failure.is_none(),
            "{}",
            exploration.failure.as_ref().unwrap()
        );
        assert!(exploration.exhaustive);
        eprintln!(
            "sync center sample: {} runs in {:?}",
            exploration.runs, exploration.elapsed
        );
    }

    #[test]
    fn each_sync_center_flaw_is_named_by_its_rule() {
        let cases = [
            (ScFlaw::IgnoresCancelItem, Rule::CANCEL_ACKNOWLEDGED, 1),
            (
                ScFlaw::ReportsAfterFinish,
                Rule::SYNC_CENTER_TERMINAL_IS_FINAL,
                0,
            ),
            (ScFlaw::UnknownItem, Rule::SESSION_ITEM, 0),
            (ScFlaw::StepPastMax, Rule::STEPS_VALID, 0),
        ];
        for (flaw, rule, faults) in cases {
            let exploration = explore_sc(
                &SyncCenterTestHost::new(),
                move || Arc::new(Sample(flaw)),
                &items(),
                &budget(),
            );
            let failure = exploration
                .failure
                .unwrap_or_else(|| panic!("{flaw:?} was not found"));
            assert_eq!(failure.rule, rule, "{flaw:?}: {failure}");
            assert_eq!(failure.scenario.faults.len(), faults, "{flaw:?}: {failure}");
            assert!(
                failure
                    .transcript
                    .handler_calls()
                    .any(|e| matches!(e.call, Call::ReportProgress { .. })),
                "{flaw:?}"
            );
        }
    }
}

mod windows_sync_kit {
    use super::*;
    use syncmgr::CallbackError;
    use syncmgr::testkit::windows_sync::{WindowsSyncTestHost, explore as explore_ws};
    use syncmgr::windows_sync::{
        ChangeConflict, ChangeResult, ProgressStage, ProviderRole, ProviderStep, ResolveAction,
        WindowsSyncCallback, WindowsSyncProgress,
    };

    /// An application's callback, as a sync app writes one.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum AppFlaw {
        None,
        /// Answers a conflict with no action.
        NoConflictAction,
        /// Fails its third progress notification.
        FailsThirdProgress,
    }

    struct App {
        flaw: AppFlaw,
        seen: Mutex<usize>,
    }

    fn app(flaw: AppFlaw) -> Arc<dyn WindowsSyncCallback> {
        Arc::new(App {
            flaw,
            seen: Mutex::new(0),
        })
    }

    impl WindowsSyncCallback for App {
        fn on_progress(&self, _: &WindowsSyncProgress) -> Result<(), CallbackError> {
            let mut seen = self.seen.lock().unwrap();
            *seen += 1;
            if self.flaw == AppFlaw::FailsThirdProgress && *seen == 3 {
                return Err(CallbackError::Failed(syncmgr::FailureCode::E_FAIL));
            }
            Ok(())
        }

        fn on_conflict(&self, _: &ChangeConflict) -> Result<Option<ResolveAction>, CallbackError> {
            Ok(match self.flaw {
                AppFlaw::NoConflictAction => None,
                _ => Some(ResolveAction::Defer),
            })
        }
    }

    fn progress(stage: ProgressStage, completed: u32, total: u32) -> ProviderStep {
        ProviderStep::Progress {
            role: ProviderRole::Source.as_u32(),
            stage: stage.as_u32(),
            completed,
            total,
        }
    }

    /// A provider's steps: typical ones, with a conflict among the changes.
    fn typical() -> Vec<ProviderStep> {
        use syncmgr::windows_sync::SyncChange;
        ProviderStep::typical(
            3,
            2,
            [
                (SyncChange::new(1), ChangeResult::Applied),
                (
                    SyncChange::new(2),
                    ChangeResult::Conflict(SyncChange::new(20)),
                ),
            ],
        )
    }

    #[test]
    fn a_typical_provider_and_app_pass_every_cancel_point() {
        let exploration = explore_ws(
            &WindowsSyncTestHost::new(),
            &typical(),
            || app(AppFlaw::None),
            &budget(),
        );
        assert!(
            exploration.failure.is_none(),
            "{}",
            exploration.failure.as_ref().unwrap()
        );
        assert!(exploration.exhaustive);
        eprintln!(
            "windows sync: {} runs in {:?}",
            exploration.runs, exploration.elapsed
        );
    }

    #[test]
    fn each_windows_sync_flaw_is_named_by_its_rule() {
        use ProgressStage::{ChangeDetection, ChangeEnumeration};
        let out_of_order = vec![
            progress(ChangeEnumeration, 1, 2),
            progress(ChangeDetection, 1, 2),
        ];
        let above_total = vec![progress(ChangeDetection, 3, 2)];
        let cases: [(&str, Vec<ProviderStep>, AppFlaw, Rule); 4] = [
            (
                "stages out of order",
                out_of_order,
                AppFlaw::None,
                Rule::PROGRESS_ARGUMENTS,
            ),
            (
                "work above total",
                above_total,
                AppFlaw::None,
                Rule::WORK_WITHIN_TOTAL,
            ),
            (
                "no conflict action",
                typical(),
                AppFlaw::NoConflictAction,
                Rule::CONFLICT_RESOLVED,
            ),
            (
                "a failing callback",
                typical(),
                AppFlaw::FailsThirdProgress,
                Rule::CALLBACK_FAILURE_ABORTS,
            ),
        ];
        for (name, steps, flaw, rule) in cases {
            let exploration =
                explore_ws(&WindowsSyncTestHost::new(), &steps, || app(flaw), &budget());
            let failure = exploration
                .failure
                .unwrap_or_else(|| panic!("{name} was not found"));
            assert_eq!(failure.rule, rule, "{name}: {failure}");
            assert!(failure.scenario.faults.is_empty(), "{name}: {failure}");
        }
    }
}
