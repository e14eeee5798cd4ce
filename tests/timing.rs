//! Timestamps, elapsed time, rate, ETA and the work-weighted overall, on a
//! synthetic clock ([`ManualClock`]): every figure is exact.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Fake, item, status, updating, value};
use syncmgr::{
    ItemPhase, ManualClock, ProgressReporter, SessionConfig, SessionEvent, SessionSnapshot,
    SyncCallback as _, SyncMgrStatus,
};

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A session on a manual clock whose handler runs `script` in
/// `Synchronize` (with the clock and the session), then completes.
fn run(
    items: u128,
    script: impl Fn(&Fake, &ManualClock, &syncmgr::Session) + Send + Sync + 'static,
) -> (syncmgr::Session, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let session = syncmgr::Session::new(SessionConfig::default().with_clock(clock.clone()));
    let (inner_clock, inner_session) = (Arc::clone(&clock), session.clone());
    let fake = Fake::builder(items)
        .on_synchronize(move |h| {
            script(h, &inner_clock, &inner_session);
            h.cb()
                .synchronize_completed(syncmgr::HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    assert!(session.run(fake).is_success());
    (session, clock)
}

#[test]
fn a_steady_item_has_exact_elapsed_rate_and_a_steadily_falling_eta() {
    let samples: Arc<Mutex<Vec<SessionSnapshot>>> = Arc::default();
    let seen = Arc::clone(&samples);
    let events: Arc<Mutex<Vec<(Duration, SessionEvent)>>> = Arc::default();
    let stamped = Arc::clone(&events);
    let (session, _) = run(1, move |h, clock, session| {
        session.subscribe_timed({
            let stamped = Arc::clone(&stamped);
            move |at, e| stamped.lock().unwrap().push((at, e.clone()))
        });
        clock.set(secs(10));
        h.cb().progress(item(1), Some(&updating(0, 1000))).unwrap();
        let mut view = session.snapshot();
        for t in 1..=9u64 {
            // Irregular snapshots of a steady 100 units per second.
            let step = Duration::from_millis(if t % 2 == 0 { 1700 } else { 300 });
            clock.advance(step);
            let at = clock_now(clock) - secs(10);
            let done = (at.as_secs_f64() * 100.0).round() as i32;
            h.cb().progress(item(1), Some(&value(done))).unwrap();
            session.snapshot_into(&mut view);
            seen.lock().unwrap().push(view.clone());
        }
        clock.advance(secs(1));
        h.cb()
            .progress(item(1), Some(&status(SyncMgrStatus::Succeeded)))
            .unwrap();
    });
    let samples = samples.lock().unwrap();
    let mut last_eta = None;
    for snap in samples.iter() {
        let it = &snap.item(0).unwrap();
        assert_eq!(it.started_at(), Some(secs(10)));
        assert_eq!(it.elapsed(), Some(snap.taken_at() - secs(10)));
        if let Some(rate) = it.rate() {
            assert!((rate - 100.0).abs() < 1e-6, "steady rate, got {rate}");
            let eta = it.eta().unwrap().as_secs_f64();
            let expected = (1000 - it.value().unwrap()) as f64 / 100.0;
            assert!((eta - expected).abs() < 1e-6, "{eta} vs {expected}");
            assert!(last_eta.is_none_or(|last| eta < last), "no swings");
            last_eta = Some(eta);
        } else {
            assert_eq!(it.eta(), None, "unknown while the rate is");
        }
        // One steady item: the session's smoothed rate (known from the
        // second snapshot on) agrees with the item's average.
        if let Some(session_rate) = snap.rate() {
            let item_rate = it.rate().expect("known once the session's is");
            assert!(
                (session_rate - item_rate).abs() < 1e-6,
                "{session_rate} vs {item_rate}"
            );
        }
    }
    assert!(last_eta.is_some());
    let done = session.snapshot();
    let it = &done.item(0).unwrap();
    assert_eq!(it.phase(), ItemPhase::Succeeded);
    assert_eq!(
        it.finished_at(),
        Some(secs(10) + Duration::from_millis(8_300 + 1_000))
    );
    assert_eq!(it.elapsed(), Some(Duration::from_millis(9_300)));
    assert_eq!(it.eta(), Some(Duration::ZERO));
    assert_eq!(done.elapsed(), it.elapsed());
    // The events carry the same stamps.
    let events = events.lock().unwrap();
    assert!(events.contains(&(secs(10), SessionEvent::ItemStarted { item: item(1) })));
    assert!(events.iter().any(|(at, e)| *at == it.finished_at().unwrap()
        && matches!(e, SessionEvent::ItemFinished { by_host: false, .. })));
}

fn clock_now(clock: &ManualClock) -> Duration {
    syncmgr::Clock::now(clock)
}

#[test]
fn overall_progress_is_weighted_by_work_when_every_total_is_known() {
    let views: Arc<Mutex<Vec<f64>>> = Arc::default();
    let seen = Arc::clone(&views);
    run(2, move |h, _, session| {
        h.cb().progress(item(1), Some(&updating(0, 1000))).unwrap();
        h.cb()
            .progress(item(2), Some(&status(SyncMgrStatus::Updating)))
            .unwrap();
        h.cb()
            .progress(item(1), Some(&status(SyncMgrStatus::Succeeded)))
            .unwrap();
        // Item 2 has no total yet: every item counts the same.
        seen.lock().unwrap().push(session.snapshot().overall());
        h.cb().progress(item(2), Some(&updating(0, 3000))).unwrap();
        // Both totals known: 1000 of 4000 units.
        seen.lock().unwrap().push(session.snapshot().overall());
        h.cb().progress(item(2), Some(&value(1000))).unwrap();
        let snap = session.snapshot();
        seen.lock().unwrap().push(snap.overall());
        assert_eq!(snap.work(), (1000 + 1000, Some(4000)));
        h.cb()
            .progress(item(2), Some(&status(SyncMgrStatus::Succeeded)))
            .unwrap();
    });
    assert_eq!(*views.lock().unwrap(), [0.5, 0.25, 0.5]);
}

#[test]
fn byte_sized_work_reaches_the_session_exactly() {
    let five_gib = 5u64 << 30;
    let (session, _) = run(1, move |h, _, session| {
        let reporter = ProgressReporter::new();
        reporter.set_callback(Some(h.callback()));
        let it = reporter.begin_with_max(item(1), five_gib).unwrap();
        it.value(five_gib / 2).unwrap();
        let snap = session.snapshot();
        assert_eq!(snap.item(0).unwrap().value(), Some(five_gib / 2));
        assert_eq!(snap.item(0).unwrap().max(), Some(five_gib));
        assert_eq!(snap.item(0).unwrap().fraction(), 0.5);
        it.value(five_gib - 3).unwrap();
        assert_eq!(
            session.snapshot().item(0).unwrap().value(),
            Some(five_gib - 4),
            "rounded down"
        );
        it.finish(SyncMgrStatus::Succeeded).unwrap();
    });
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );
}

#[test]
fn polling_a_steady_session_shares_the_names_and_keeps_the_rate() {
    run(3, move |h, clock, session| {
        for n in 1..=3 {
            h.cb().progress(item(n), Some(&updating(0, 10))).unwrap();
        }
        let mut view = session.snapshot();
        let names: Vec<*const u8> = view.items().map(|i| i.name().as_ptr()).collect();
        for step in 1..=5 {
            clock.advance(secs(1));
            h.cb().progress(item(2), Some(&value(step))).unwrap();
            session.snapshot_into(&mut view);
            let again: Vec<*const u8> = view.items().map(|i| i.name().as_ptr()).collect();
            assert_eq!(again, names);
        }
        assert_eq!(view.item(1).unwrap().rate(), Some(1.0));
        for n in 1..=3 {
            h.cb()
                .progress(item(n), Some(&status(SyncMgrStatus::Succeeded)))
                .unwrap();
        }
    });
}

/// A foreign SyncMgr host sees `i32`s with the ratio kept; the exact
/// counts travel only in process.
#[test]
fn a_foreign_host_gets_byte_counts_scaled_with_the_ratio_kept() {
    use syncmgr::{
        CallbackError, CancelDecision, ItemId, ProgressItem, SyncCallback, SyncMgrProgress,
    };

    /// Each report's SyncMgr value and maximum, and its exact work done.
    type Seen = (Option<i32>, Option<i32>, Option<u64>);

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Seen>>);
    impl SyncCallback for Recorder {
        fn progress(
            &self,
            _: ItemId,
            report: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            if let Some(r) = report {
                self.0
                    .lock()
                    .unwrap()
                    .push((r.value(), r.max(), r.completed()));
            }
            Ok(CancelDecision::Continue)
        }
    }
    let host = Arc::new(Recorder::default());
    let reporter = ProgressReporter::new();
    reporter.set_callback(Some(host.clone()));
    let it = reporter.begin_with_max(item(1), 1000).unwrap();
    it.value(500).unwrap();
    // A total above i32::MAX changes the scale: value and maximum are sent
    // together, both divided by 4.
    it.max(6 << 30).unwrap();
    it.value(3 << 30).unwrap();
    it.finish(SyncMgrStatus::Succeeded).unwrap();
    let calls = host.0.lock().unwrap().clone();
    assert_eq!(
        calls[..4],
        [
            (Some(0), Some(1000), Some(0)),
            (Some(500), None, Some(500)),
            (Some(125), Some(6 << 28), Some(500)),
            (Some(3 << 28), None, Some(3 << 30)),
        ]
    );
}
