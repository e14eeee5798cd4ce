//! Awaiting a cancel: the session's and items' [`CancelToken`]s (host side,
//! in process), the reporter's tokens and the polling helper (handler side,
//! through the protocol), on tokio and on smol, and the tokio bridge.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{Fake, item, updating};
use syncmgr::{
    CallbackError, CancelDecision, CancelReason, CancelToken, Cancelled, ItemId, ProgressReporter,
    ReportError, Session, SessionConfig, SessionError, SyncCallback, SyncMgrProgress,
    SyncMgrStatus,
};

/// A session in its synchronize window, with `items` items opened; the
/// returned closure finishes the cycle.
fn synchronizing(
    items: u128,
) -> (
    Session,
    std::thread::JoinHandle<()>,
    std::sync::mpsc::Sender<()>,
) {
    let session = Session::new(SessionConfig::default());
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let done_rx = std::sync::Mutex::new(done_rx);
    let fake = Fake::builder(items)
        .on_synchronize(move |h| {
            for n in 1..=items {
                let _ = h.cb().progress(item(n), Some(&updating(0, 10)));
            }
            ready_tx.send(()).unwrap();
            let _ = done_rx.lock().unwrap().recv();
            h.cb()
                .synchronize_completed(syncmgr::HResult::S_OK)
                .map_err(support::refused)
        })
        .build();
    let runner = session.clone();
    let thread = std::thread::spawn(move || {
        runner.run(fake);
    });
    ready_rx.recv().unwrap();
    (session, thread, done_tx)
}

#[test]
fn an_item_token_wakes_a_tokio_task_the_moment_the_host_records_the_cancel() {
    let (session, thread, done) = synchronizing(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let token = session.item_cancel_token(item(1)).unwrap();
    let other = session.item_cancel_token(item(2)).unwrap();
    assert!(token.same_as(&session.item_cancel_token(item(1)).unwrap()));
    let waiter = runtime.spawn({
        let token = token.clone();
        // Work that never completes on its own: only the cancel ends it.
        async move {
            token
                .run_until_cancelled(std::future::pending::<()>())
                .await
        }
    });
    assert!(!token.is_cancelled());
    session.cancel_item(item(1), CancelReason::Timeout).unwrap();
    let woke =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(60), waiter).await });
    assert_eq!(woke.expect("the cancel woke the task").unwrap(), None);
    assert_eq!(token.reason(), Some(&CancelReason::Timeout));
    assert!(!other.is_cancelled(), "only the item cancelled");
    assert!(!session.cancel_token().is_cancelled());
    done.send(()).unwrap();
    thread.join().unwrap();
}

#[test]
fn cancel_all_reaches_every_item_token_on_smol_and_late_tokens_are_born_cancelled() {
    let (session, thread, done) = synchronizing(3);
    let first = session.item_cancel_token(item(1)).unwrap();
    session.cancel_item(item(2), CancelReason::User).unwrap();
    let waiter = {
        let first = first.clone();
        std::thread::spawn(move || smol::block_on(first.cancelled()))
    };
    session.cancel_all(CancelReason::Shutdown);
    waiter.join().unwrap();
    assert_eq!(first.reason(), Some(&CancelReason::Shutdown));
    assert_eq!(
        session.cancel_token().reason(),
        Some(&CancelReason::Shutdown)
    );
    // Made after the cancels: born cancelled, with the item's own reason
    // first.
    let late = session.item_cancel_token(item(2)).unwrap();
    assert_eq!(late.reason(), Some(&CancelReason::User));
    let third = session.item_cancel_token(item(3)).unwrap();
    assert_eq!(third.reason(), Some(&CancelReason::Shutdown));
    assert_eq!(
        session.item_cancel_token(ItemId::from_u128(9)).err(),
        Some(SessionError::UnknownItem(ItemId::from_u128(9)))
    );
    done.send(()).unwrap();
    thread.join().unwrap();
}

#[test]
fn a_skip_cancels_the_item_token_with_skipped() {
    let (session, thread, done) = synchronizing(1);
    let token = session.item_cancel_token(item(1)).unwrap();
    session.skip_item(item(1)).unwrap();
    assert_eq!(token.reason(), Some(&CancelReason::Skipped));
    done.send(()).unwrap();
    thread.join().unwrap();
}

/// A foreign host that can only answer through the protocol: it answers
/// `CancelItem` to the `cancel_at`-th poll of item 1, and counts polls.
struct Foreign {
    polls: AtomicUsize,
    cancel_at: usize,
}

impl SyncCallback for Foreign {
    fn progress(
        &self,
        _: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        if report.is_none() {
            let n = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.cancel_at {
                return Ok(CancelDecision::CancelItem);
            }
        }
        Ok(CancelDecision::Continue)
    }
}

async fn poll_until_cancelled(reporter: &ProgressReporter) -> Result<(), ReportError> {
    let mut item = reporter.begin_with_max(item(1), 100)?;
    // Work that awaits I/O that never completes: only a cancel ends it.
    item.run_until_cancelled(Duration::from_millis(1), std::future::pending::<()>())
        .await
}

#[test]
fn the_polling_helper_asks_a_protocol_only_host_until_it_cancels_on_tokio() {
    let foreign = Arc::new(Foreign {
        polls: AtomicUsize::new(0),
        cancel_at: 3,
    });
    let reporter = Arc::new(ProgressReporter::new());
    reporter.set_callback(Some(foreign.clone()));
    let token = reporter.cancel_token(item(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The helper's future is `Send`: it runs in a spawned task.
    let task = runtime.spawn({
        let reporter = Arc::clone(&reporter);
        async move { poll_until_cancelled(&reporter).await }
    });
    // A generous bound, so that a regression fails instead of hanging (the
    // host cancels at the third poll, 1 ms apart).
    let result = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), task).await })
        .expect("the helper asked the host until it cancelled")
        .unwrap();
    assert_eq!(
        result,
        Err(ReportError::Cancelled(Cancelled::Item(item(1))))
    );
    assert_eq!(
        foreign.polls.load(Ordering::SeqCst),
        3,
        "asked until the cancel"
    );
    assert_eq!(token.reason(), Some(&CancelReason::Host));
    assert!(reporter.is_cancelled(item(1)));
}

#[test]
fn the_polling_helper_returns_at_once_when_the_work_completes_on_smol() {
    let foreign = Arc::new(Foreign {
        polls: AtomicUsize::new(0),
        cancel_at: usize::MAX,
    });
    let reporter = ProgressReporter::new();
    reporter.set_callback(Some(foreign.clone()));
    let mut item = reporter.begin(item(1)).unwrap();
    let out = smol::block_on(item.run_until_cancelled(Duration::from_secs(3600), async { 7 }));
    assert_eq!(out, Ok(7));
    assert_eq!(foreign.polls.load(Ordering::SeqCst), 0);
    item.finish(SyncMgrStatus::Succeeded).unwrap();
}

#[test]
fn a_skip_reaches_the_handler_side_token_and_the_helper_stops_the_item() {
    let foreign = Arc::new(Foreign {
        polls: AtomicUsize::new(0),
        cancel_at: usize::MAX,
    });
    let reporter = Arc::new(ProgressReporter::new());
    reporter.set_callback(Some(foreign));
    let token = reporter.cancel_token(item(1));
    let skipper = {
        let reporter = Arc::clone(&reporter);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            reporter.skip(item(1));
        })
    };
    let result = smol::block_on(async {
        let mut item = reporter.begin(item(1))?;
        item.run_until_cancelled(Duration::from_secs(3600), std::future::pending::<()>())
            .await
    });
    skipper.join().unwrap();
    assert_eq!(
        result,
        Err(ReportError::Cancelled(Cancelled::Item(item(1))))
    );
    assert_eq!(token.reason(), Some(&CancelReason::Skipped));
}

#[test]
fn the_reporters_tokens_follow_cancel_all_answers() {
    struct All;
    impl SyncCallback for All {
        fn progress(
            &self,
            _: ItemId,
            _: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            Ok(CancelDecision::CancelAll)
        }
    }
    let reporter = ProgressReporter::new();
    reporter.set_callback(Some(Arc::new(All)));
    let before = reporter.cancel_token(item(1));
    assert!(reporter.begin(item(1)).is_err());
    assert_eq!(before.reason(), Some(&CancelReason::Host));
    assert!(reporter.cancel_all_token().is_cancelled());
    assert!(
        reporter.cancel_token(item(2)).is_cancelled(),
        "born cancelled"
    );
}

#[test]
fn a_token_is_one_load_and_a_clone_of_the_same_state() {
    let token = CancelToken::new();
    let clone = token.clone();
    assert!(clone.same_as(&token));
    token.cancel(CancelReason::User);
    assert!(clone.is_cancelled());
}

#[cfg(feature = "tokio")]
mod tokio_bridge {
    use super::*;

    #[test]
    fn tokio_tokens_follow_the_session_and_a_tokio_token_drives_cancel_all() {
        let (session, thread, done) = synchronizing(2);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let session_token = session.cancel_token().tokio_token();
        let item_token = session.item_cancel_token(item(1)).unwrap().tokio_token();
        let other = session.item_cancel_token(item(2)).unwrap().tokio_token();
        session.cancel_item(item(1), CancelReason::User).unwrap();
        assert!(item_token.is_cancelled());
        assert!(!other.is_cancelled() && !session_token.is_cancelled());
        // Items' tokio tokens are children of the session's.
        let child_probe = session_token.child_token();
        assert!(!child_probe.is_cancelled());

        let engine = tokio_util::sync::CancellationToken::new();
        let bridge = runtime.spawn(session.cancel_all_when(engine.clone(), CancelReason::Shutdown));
        engine.cancel();
        runtime.block_on(bridge).unwrap();
        assert_eq!(session.snapshot().cancel_all, Some(CancelReason::Shutdown));
        assert!(session_token.is_cancelled() && other.is_cancelled());
        assert!(child_probe.is_cancelled());
        // A bridge made after the cancel is born cancelled.
        assert!(session.cancel_token().tokio_token().is_cancelled());
        done.send(()).unwrap();
        thread.join().unwrap();
    }
}
