//! The `async_engine` example as a test: a stalled copy is aborted by its
//! item's cancel token, the other files arrive byte-identical.
//!
//! What "promptly" means here, without a timed assertion: the stalled copy
//! is stuck awaiting I/O that never completes, so the *only* way out is
//! the token. Bytes on disk are flushed before each report, so the
//! cancelled file holds exactly the bytes reported when `cancel_item`
//! returned — no chunk was written after it — and the run ends at all
//! (a copy that did not hear the cancel would hang the session until its
//! 30-second completion timeout, and the outcome would be `TimedOut`).
#![cfg(all(feature = "tokio", feature = "serde"))]

#[path = "../examples/async_engine.rs"]
mod engine;

use std::time::Duration;

use engine::{CHUNK, Copied, Plan};
use syncmgr::{CancelReason, ItemPhase, SessionEvent};

#[test]
fn the_stalled_copy_aborts_and_the_others_arrive_whole() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let plan = Plan {
        pace: Duration::ZERO,
        ..Plan::default()
    };
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&events);
    let report = engine::run(
        &runtime,
        dir.path(),
        &plan,
        Duration::from_millis(1),
        move |session| {
            session
                .subscribe_timed(move |at, event| seen.lock().unwrap().push((at, event.clone())));
        },
        |_| {},
    )
    .unwrap();

    assert!(report.outcome.is_success(), "{:?}", report.outcome);
    let (stalled, at) = plan.stall.unwrap();
    let (id, reported) = report
        .cancelled
        .expect("the user cancelled the stalled file");
    assert_eq!(reported, at, "the stall point, reported before the cancel");
    for (n, ((src, dst), (item, copied))) in report.paths.iter().zip(&report.copied).enumerate() {
        let source = std::fs::read(src).unwrap();
        let copy = std::fs::read(dst).unwrap();
        if n == stalled {
            assert_eq!(*item, id);
            assert_eq!(
                *copied,
                Copied::Aborted,
                "the token aborted the copy in flight"
            );
            // Not a byte after the cancel: the copy stopped where it stood.
            assert_eq!(copy.len() as u64, reported);
            assert_eq!(copy.len() % CHUNK, 0);
            assert_eq!(copy[..], source[..copy.len()]);
        } else {
            assert_eq!(*copied, Copied::Done, "file {n}");
            assert!(copy == source, "file {n} is byte-identical");
        }
    }
    let item = report.snapshot.items().find(|i| i.id() == id).unwrap();
    assert_eq!(item.phase(), ItemPhase::Stopped);
    assert_eq!(item.cancel(), Some(&CancelReason::User));
    assert_eq!(report.snapshot.finished(), (12, 12));
    // Events are stamped in publication order.
    let events = events.lock().unwrap();
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(events.iter().any(|(_, e)| matches!(
        e,
        SessionEvent::ItemCancelled { item: Some(i), reason: CancelReason::User } if *i == id
    )));
}
