//! `ProgressReporter` and `ItemReporter` against recording fake hosts.

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::thread;

use proptest::prelude::*;
use syncmgr::{
    CallbackError, CancelDecision, Cancelled, HandlerError, ItemId, ItemPhase, ProgressReporter,
    ReportError, SyncCallback, SyncMgrProgress, SyncMgrProgressError, SyncMgrStatus,
};

/// One `Progress` call as the host received it.
type Call = (ItemId, Option<SyncMgrProgress>);

/// A host that records every `Progress` call and answers from a script.
///
/// Scripted answers are used in order; once they run out the host answers
/// `Continue`, except that it answers `CancelAll` to everything once it has
/// answered it (cancel-all is sticky, §G.3 #21) and `CancelItem` to every
/// call for an item listed in `cancel`.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    answers: Mutex<Vec<CancelDecision>>,
    script: Mutex<VecDeque<CancelDecision>>,
    cancel: HashSet<ItemId>,
    cancelled_all: Mutex<bool>,
}

impl Recorder {
    fn scripted(answers: impl IntoIterator<Item = CancelDecision>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(answers.into_iter().collect()),
            ..Self::default()
        })
    }

    fn cancelling(items: impl IntoIterator<Item = ItemId>) -> Arc<Self> {
        Arc::new(Self {
            cancel: items.into_iter().collect(),
            ..Self::default()
        })
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Every call with the answer it got, in the order the host saw them.
    fn trace(&self) -> Vec<(Call, CancelDecision)> {
        let calls = self.calls.lock().unwrap();
        let answers = self.answers.lock().unwrap();
        calls.iter().cloned().zip(answers.iter().copied()).collect()
    }

    fn clear(&self) {
        self.calls.lock().unwrap().clear();
        self.answers.lock().unwrap().clear();
    }
}

impl SyncCallback for Recorder {
    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        // One lock orders the calls and their answers.
        let mut all = self.cancelled_all.lock().unwrap();
        self.calls.lock().unwrap().push((item, progress.cloned()));
        let answer = if *all {
            CancelDecision::CancelAll
        } else if let Some(answer) = self.script.lock().unwrap().pop_front() {
            answer
        } else if self.cancel.contains(&item) {
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        };
        *all |= answer == CancelDecision::CancelAll;
        self.answers.lock().unwrap().push(answer);
        Ok(answer)
    }
}

fn id(n: u128) -> ItemId {
    ItemId::from_u128(0x5EED_0000 + n)
}

fn reporter_for(host: &Arc<Recorder>) -> ProgressReporter {
    let reporter = ProgressReporter::new();
    reporter.set_callback(Some(host.clone()));
    reporter
}

fn status(s: SyncMgrStatus) -> Option<SyncMgrProgress> {
    Some(SyncMgrProgress::with_status(s))
}

fn updating() -> Option<SyncMgrProgress> {
    status(SyncMgrStatus::Updating)
}

fn stopped() -> Option<SyncMgrProgress> {
    status(SyncMgrStatus::Stopped)
}

#[test]
fn begin_reports_updating_once() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    let item = reporter.begin(id(1)).unwrap();
    assert_eq!(item.item(), id(1));
    assert!(!item.is_cancelled());
    assert_eq!(host.calls(), [(id(1), updating())]);
}

#[test]
fn a_full_item_sends_exactly_its_reports() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    let item = reporter.begin_with_max(id(1), 10).unwrap();
    item.value(4).unwrap();
    item.max(12).unwrap();
    item.text("copying").unwrap();
    let custom = SyncMgrProgress::builder()
        .status(SyncMgrStatus::Updating)
        .value(6)
        .max(12)
        .build()
        .unwrap();
    item.report(&custom).unwrap();
    item.poll().unwrap();
    item.finish(SyncMgrStatus::Succeeded).unwrap();

    let build = |b: syncmgr::SyncMgrProgressBuilder| Some(b.build().unwrap());
    assert_eq!(
        host.calls(),
        [
            (
                id(1),
                build(
                    SyncMgrProgress::builder()
                        .status(SyncMgrStatus::Updating)
                        .value(0)
                        .max(10)
                )
            ),
            (id(1), build(SyncMgrProgress::builder().value(4))),
            (id(1), build(SyncMgrProgress::builder().max(12))),
            (id(1), build(SyncMgrProgress::builder().text("copying"))),
            (id(1), Some(custom)),
            (id(1), None),
            (id(1), status(SyncMgrStatus::Succeeded)),
        ]
    );
    assert!(!reporter.is_cancelled(id(1)));
    // The item is closed: beginning it again is refused without a host call.
    host.clear();
    assert_eq!(
        reporter.begin(id(1)).err(),
        Some(ReportError::Finished(id(1)))
    );
    assert!(host.calls().is_empty());
}

#[test]
fn cancel_item_at_begin_stops_that_item_only() {
    let host = Recorder::scripted([CancelDecision::CancelItem]);
    let reporter = reporter_for(&host);
    let error = reporter.begin(id(1)).err().unwrap();
    assert_eq!(error, ReportError::Cancelled(Cancelled::Item(id(1))));
    assert!(error.is_cancelled());
    assert_eq!(error.cancelled(), Some(Cancelled::Item(id(1))));
    assert_eq!(error.to_string(), format!("item {} was cancelled", id(1)));
    assert_eq!(host.calls(), [(id(1), updating()), (id(1), stopped())]);
    assert!(reporter.is_cancelled(id(1)));
    assert!(!reporter.is_all_cancelled());

    // Another item goes on normally.
    let other = reporter.begin(id(2)).unwrap();
    other.finish(SyncMgrStatus::Succeeded).unwrap();
    assert!(!reporter.is_cancelled(id(2)));

    // The cancelled item cannot be reopened, and the host is not asked.
    host.clear();
    assert_eq!(
        reporter.begin(id(1)).err(),
        Some(ReportError::Cancelled(Cancelled::Item(id(1))))
    );
    assert!(host.calls().is_empty());
}

#[test]
fn cancel_item_mid_item_stops_it_and_closes_the_reporter() {
    let host = Recorder::scripted([
        CancelDecision::Continue,   // begin
        CancelDecision::Continue,   // value 1
        CancelDecision::CancelItem, // value 2
    ]);
    let reporter = reporter_for(&host);
    let item = reporter.begin_with_max(id(1), 5).unwrap();
    item.value(1).unwrap();
    assert_eq!(
        item.value(2),
        Err(ReportError::Cancelled(Cancelled::Item(id(1))))
    );
    assert!(item.is_cancelled());
    let seen = host.calls();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3], (id(1), stopped()));

    // Nothing more reaches the host for this item.
    host.clear();
    let cancelled = Err(ReportError::Cancelled(Cancelled::Item(id(1))));
    assert_eq!(item.value(3), cancelled);
    assert_eq!(item.text("more"), cancelled);
    assert_eq!(item.poll(), cancelled);
    assert_eq!(item.finish(SyncMgrStatus::Succeeded), cancelled);
    assert!(host.calls().is_empty());
}

#[test]
fn cancel_all_refuses_new_items_without_asking_the_host() {
    let host = Recorder::scripted([CancelDecision::Continue, CancelDecision::CancelAll]);
    let reporter = reporter_for(&host);
    let item = reporter.begin(id(1)).unwrap();
    assert_eq!(item.value(1), Err(ReportError::Cancelled(Cancelled::All)));
    assert!(reporter.is_all_cancelled());
    assert!(reporter.is_cancelled(id(1)));
    assert!(
        reporter.is_cancelled(id(99)),
        "cancel-all covers every item"
    );
    assert_eq!(
        host.calls().last(),
        Some(&(id(1), stopped())),
        "the open item is finished with STOPPED"
    );

    host.clear();
    let error = reporter.begin(id(2)).err().unwrap();
    assert_eq!(error, ReportError::Cancelled(Cancelled::All));
    assert_eq!(error.to_string(), "all items were cancelled");
    assert!(reporter.begin_with_max(id(3), 4).is_err());
    assert!(host.calls().is_empty(), "no host call after cancel-all");
}

#[test]
fn cancel_all_seen_elsewhere_finishes_an_open_item_without_updating_it() {
    let host = Recorder::scripted([
        CancelDecision::Continue,  // begin 1
        CancelDecision::Continue,  // begin 2
        CancelDecision::CancelAll, // value on 2
    ]);
    let reporter = reporter_for(&host);
    let first = reporter.begin(id(1)).unwrap();
    let second = reporter.begin(id(2)).unwrap();
    assert!(second.value(1).is_err());
    assert!(
        first.is_cancelled(),
        "the cancel-all answer is known to every item"
    );

    host.clear();
    assert_eq!(first.value(1), Err(ReportError::Cancelled(Cancelled::All)));
    assert_eq!(host.calls(), [(id(1), stopped())]);
}

#[test]
fn skip_cancels_an_item_and_its_reporter_sees_it() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    let item = reporter.begin(id(1)).unwrap();
    assert!(!item.is_cancelled());
    reporter.skip(id(1));
    assert!(reporter.is_cancelled(id(1)));
    assert!(item.is_cancelled());
    assert!(!reporter.is_all_cancelled());
    assert!(!reporter.is_cancelled(id(2)));

    // The next report finishes the item with SKIPPED instead of updating it.
    host.clear();
    assert_eq!(
        item.value(1),
        Err(ReportError::Cancelled(Cancelled::Item(id(1))))
    );
    assert_eq!(host.calls(), [(id(1), status(SyncMgrStatus::Skipped))]);
}

#[test]
fn an_item_skipped_before_it_starts_is_never_reported() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    reporter.skip(id(1));
    assert_eq!(
        reporter.begin(id(1)).err(),
        Some(ReportError::Cancelled(Cancelled::Item(id(1))))
    );
    assert!(host.calls().is_empty());
}

#[test]
fn finish_after_a_skip_reports_the_handlers_status() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    let item = reporter.begin(id(1)).unwrap();
    reporter.skip(id(1));
    item.finish(SyncMgrStatus::Failed).unwrap();
    assert_eq!(
        host.calls(),
        [(id(1), updating()), (id(1), status(SyncMgrStatus::Failed))]
    );
}

#[test]
fn terminal_reports_go_through_finish_only() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    let item = reporter.begin(id(1)).unwrap();
    host.clear();
    for terminal in [
        SyncMgrStatus::Succeeded,
        SyncMgrStatus::Failed,
        SyncMgrStatus::Stopped,
        SyncMgrStatus::Skipped,
        SyncMgrStatus::Deleted,
    ] {
        assert_eq!(
            item.report(&SyncMgrProgress::with_status(terminal)),
            Err(ReportError::Terminal(terminal))
        );
    }
    // A move the item machine refuses (§G.3 #20) is refused here too.
    assert!(matches!(
        item.report(&SyncMgrProgress::with_status(SyncMgrStatus::Pending)),
        Err(ReportError::Phase(v)) if v.from == ItemPhase::Updating
    ));
    // An invalid report never reaches the host: a value that changes the
    // SyncMgr scale is sent with the maximum, and above it is refused whole.
    item.max(10).unwrap();
    host.clear();
    assert!(matches!(
        item.value(1 << 40),
        Err(ReportError::Invalid(
            SyncMgrProgressError::ValueAboveMax { .. }
        ))
    ));
    assert!(host.calls().is_empty());

    assert_eq!(
        item.finish(SyncMgrStatus::Updating),
        Err(ReportError::NotTerminal(SyncMgrStatus::Updating))
    );
}

#[test]
fn one_open_reporter_per_item_and_drop_reopens() {
    let host = Recorder::scripted([]);
    let reporter = reporter_for(&host);
    let item = reporter.begin(id(1)).unwrap();
    host.clear();
    assert_eq!(
        reporter.begin(id(1)).err(),
        Some(ReportError::AlreadyOpen(id(1)))
    );
    assert!(host.calls().is_empty());
    drop(item);
    assert!(host.calls().is_empty(), "dropping sends nothing");
    let again = reporter.begin(id(1)).unwrap();
    again.finish(SyncMgrStatus::Succeeded).unwrap();
    assert_eq!(
        host.calls(),
        [
            (id(1), updating()),
            (id(1), status(SyncMgrStatus::Succeeded))
        ]
    );
}

#[test]
fn no_callback_is_a_host_error() {
    let reporter = ProgressReporter::new();
    assert_eq!(
        reporter.begin(id(1)).err(),
        Some(ReportError::Host(CallbackError::NoCallback))
    );
    // A failed begin leaves the item closed and unreported.
    let host = Recorder::scripted([]);
    reporter.set_callback(Some(host.clone()));
    let item = reporter.begin(id(1)).unwrap();
    item.finish(SyncMgrStatus::Succeeded).unwrap();
    assert_eq!(
        host.calls(),
        [
            (id(1), updating()),
            (id(1), status(SyncMgrStatus::Succeeded))
        ]
    );
}

#[test]
fn the_question_mark_converts_into_handler_errors() {
    fn synchronize(reporter: &ProgressReporter, item: ItemId) -> Result<(), HandlerError> {
        let item = reporter.begin(item)?;
        item.value(1)?;
        item.finish(SyncMgrStatus::Succeeded)?;
        Ok(())
    }

    let host = Recorder::scripted([CancelDecision::CancelItem]);
    assert_eq!(
        synchronize(&reporter_for(&host), id(1)),
        Err(HandlerError::Aborted)
    );
    let host = Recorder::scripted([]);
    assert_eq!(synchronize(&reporter_for(&host), id(1)), Ok(()));

    let error = synchronize(&ProgressReporter::new(), id(1)).unwrap_err();
    assert!(matches!(&error, HandlerError::Failed { reason, .. }
        if reason.contains("no progress callback is registered")));
}

/// Check a trace against the protocol rules a reporter promises to keep, and
/// return the terminal status of every item that was opened.
fn check_trace(trace: &[(Call, CancelDecision)]) -> HashMap<ItemId, SyncMgrStatus> {
    let mut terminal = HashMap::new();
    let mut opened = HashSet::new();
    let mut cancelled_item = HashSet::new();
    let mut cancelled_all = false;
    for ((item, report), answer) in trace {
        let status = report.as_ref().and_then(SyncMgrProgress::status);
        assert!(
            !terminal.contains_key(item),
            "a report for {item} after its terminal report"
        );
        if opened.insert(*item) {
            assert!(!cancelled_all, "{item} was opened after cancel-all (#23)");
            assert!(
                status.is_some_and(|s| !s.is_terminal()),
                "the first report for {item} must be a non-terminal status (#20)"
            );
        }
        if cancelled_item.contains(item) {
            assert!(
                matches!(
                    status,
                    Some(SyncMgrStatus::Stopped | SyncMgrStatus::Skipped | SyncMgrStatus::Failed)
                ),
                "{item} reported {report:?} after CANCELITEM (#22)"
            );
        }
        if let Some(s) = status.filter(|s| s.is_terminal()) {
            terminal.insert(*item, s);
        }
        match answer {
            CancelDecision::Continue => {}
            CancelDecision::CancelItem => {
                cancelled_item.insert(*item);
            }
            CancelDecision::CancelAll => cancelled_all = true,
        }
    }
    for item in &opened {
        assert!(
            terminal.contains_key(item),
            "{item} was opened but never finished"
        );
    }
    terminal
}

fn decision() -> impl Strategy<Value = CancelDecision> {
    prop_oneof![
        8 => Just(CancelDecision::Continue),
        2 => Just(CancelDecision::CancelItem),
        1 => Just(CancelDecision::CancelAll),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_handler_loop_keeps_the_protocol(
        script in prop::collection::vec(decision(), 0..60),
        steps in prop::collection::vec(0..5u64, 1..8),
    ) {
        // The host answers call `i` with `script[i]` (cancel-all sticky),
        // then `Continue`.
        let host = Recorder::scripted(script);
        let reporter = reporter_for(&host);
        let items: Vec<ItemId> = (0..steps.len() as u128).map(id).collect();

        let mut started = Vec::new();
        let mut outcomes = HashMap::new();
        for (&item, &n) in items.iter().zip(&steps) {
            let calls_before = host.calls().len();
            let all_before = reporter.is_all_cancelled();
            let result = (|| {
                let reporter_item = reporter.begin_with_max(item, n)?;
                for step in 1..=n {
                    reporter_item.value(step)?;
                }
                reporter_item.finish(SyncMgrStatus::Succeeded)
            })();
            if all_before {
                // No host call at all once cancel-all is known.
                prop_assert_eq!(host.calls().len(), calls_before);
                prop_assert_eq!(&result, &Err(ReportError::Cancelled(Cancelled::All)));
            } else {
                started.push(item);
            }
            outcomes.insert(item, result);
        }

        let calls = host.calls();
        let terminal = check_trace(&host.trace());
        // Every started item got exactly one terminal report: SUCCEEDED when
        // the handler finished it, STOPPED when a cancel ended it.
        prop_assert_eq!(terminal.len(), started.len());
        for item in &started {
            let expected = match &outcomes[item] {
                Ok(()) => SyncMgrStatus::Succeeded,
                Err(ReportError::Cancelled(_)) => SyncMgrStatus::Stopped,
                Err(other) => return Err(TestCaseError::fail(format!("{item}: {other}"))),
            };
            prop_assert_eq!(terminal[item], expected);
            let count = calls
                .iter()
                .filter(|(i, r)| i == item
                    && r.as_ref().and_then(SyncMgrProgress::status).is_some_and(SyncMgrStatus::is_terminal))
                .count();
            prop_assert_eq!(count, 1);
            // What the reporter knows matches how the item ended.
            prop_assert_eq!(reporter.is_cancelled(*item), expected == SyncMgrStatus::Stopped
                || reporter.is_all_cancelled());
        }
    }
}

#[test]
fn threads_share_one_reporter_without_deadlock() {
    const THREADS: u128 = 8;
    const ITEMS_PER_THREAD: u128 = 25;
    const STEPS: u64 = 20;

    let outcome = common::within(30, "threads on one reporter", || {
        // The host answers CancelItem to every report for every third item,
        // and the workers skip some of each other's items.
        let cancel: Vec<ItemId> = (0..THREADS * ITEMS_PER_THREAD)
            .filter(|n| n % 3 == 0)
            .map(id)
            .collect();
        let host = Recorder::cancelling(cancel.iter().copied());
        let reporter = Arc::new(reporter_for(&host));

        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let reporter = Arc::clone(&reporter);
                thread::spawn(move || {
                    let mut results = Vec::new();
                    for k in 0..ITEMS_PER_THREAD {
                        let item = id(t * ITEMS_PER_THREAD + k);
                        if k % 7 == 6 {
                            // Another thread "skips" a neighbour's item.
                            reporter.skip(id(((t + 1) % THREADS) * ITEMS_PER_THREAD + k));
                        }
                        let result = (|| {
                            let it = reporter.begin_with_max(item, STEPS)?;
                            for step in 1..=STEPS {
                                if it.is_cancelled() {
                                    it.poll()?;
                                }
                                it.value(step)?;
                            }
                            it.finish(SyncMgrStatus::Succeeded)
                        })();
                        results.push((item, result));
                    }
                    results
                })
            })
            .collect();
        let results: Vec<_> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker panicked"))
            .collect();
        (host.trace(), results, cancel)
    });

    let (trace, results, cancel) = outcome;
    let terminal = check_trace(&trace);
    let calls: Vec<Call> = trace.into_iter().map(|(call, _)| call).collect();
    let opened: HashSet<ItemId> = calls.iter().map(|(item, _)| *item).collect();
    for (item, result) in &results {
        match result {
            Ok(()) => assert_eq!(terminal.get(item), Some(&SyncMgrStatus::Succeeded)),
            Err(ReportError::Cancelled(Cancelled::Item(i))) => {
                assert_eq!(i, item);
                if opened.contains(item) {
                    assert!(matches!(
                        terminal.get(item),
                        Some(SyncMgrStatus::Stopped | SyncMgrStatus::Skipped)
                    ));
                }
            }
            Err(other) => panic!("{item}: unexpected {other}"),
        }
        if cancel.contains(item) {
            assert!(result.is_err(), "{item} was cancelled by the host");
        }
    }
    assert_eq!(results.len(), (THREADS * ITEMS_PER_THREAD) as usize);
}

#[test]
fn a_nonblocking_register_and_release_reach_the_slot() {
    let reporter = ProgressReporter::new();
    let host = Recorder::scripted([]);
    let baseline = Arc::strong_count(&host);
    reporter.set_callback_nonblocking(Some(host.clone()));
    reporter
        .begin(id(1))
        .unwrap()
        .finish(SyncMgrStatus::Succeeded)
        .unwrap();
    assert_eq!(host.calls().len(), 2, "both reports reached the host");
    reporter.set_callback_nonblocking(None);
    assert_eq!(
        reporter.begin(id(2)).err(),
        Some(ReportError::Host(CallbackError::NoCallback))
    );
    // With no other thread calling, nothing holds the released callback.
    assert_eq!(Arc::strong_count(&host), baseline);
}
