//! `Host`: several handler sessions at once — completion, host-wide cancel-all
//! (also for sessions born after it), modeless exclusivity across sessions,
//! panic isolation, and aggregated snapshots.

mod common;

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Barrier, Mutex};

use common::within;
use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, CancelReason, HResult, HandlerAnswer,
    HandlerError, HandlerInfo, Host, ItemEnumeration, ItemId, ItemPhase, ModelessAnswer,
    SessionConfig, SessionOutcome, SessionPhase, SyncCallback, SyncEvent, SyncHandler, SyncItem,
    SyncMgrFlags, SyncMgrProgress, SyncMgrStatus, SyncModifiers, WindowHandle,
};

type Hook = Box<dyn Fn(&CallbackSlot) + Send + Sync>;

/// A small, well-behaved handler: it reports `steps` steps per item and
/// honours every cancel answer. Hooks let a test pause or script it.
struct Fake {
    name: &'static str,
    slot: CallbackSlot,
    items: Vec<SyncItem>,
    steps: i32,
    prepared: Mutex<Vec<ItemId>>,
    /// Runs at the start of `Synchronize`.
    before_sync: Option<Hook>,
    /// Runs once the host answered the report of step 1 of the first item.
    after_first_step: Option<Hook>,
    /// `Initialize` panics.
    panic_in_initialize: bool,
    /// Every answer to a progress report, in order: item, reported status, answer.
    answers: Mutex<Vec<(ItemId, SyncMgrStatus, CancelDecision)>>,
}

impl Fake {
    fn new(name: &'static str, base: u128, items: usize, steps: i32) -> Self {
        let items = (0..items)
            .map(|i| SyncItem::new(ItemId::from_u128(base + i as u128), format!("{name} {i}")))
            .collect::<Result<_, _>>()
            .expect("valid item names");
        Self {
            name,
            slot: CallbackSlot::new(),
            items,
            steps,
            prepared: Mutex::new(Vec::new()),
            before_sync: None,
            after_first_step: None,
            panic_in_initialize: false,
            answers: Mutex::new(Vec::new()),
        }
    }

    fn before_sync(mut self, hook: impl Fn(&CallbackSlot) + Send + Sync + 'static) -> Self {
        self.before_sync = Some(Box::new(hook));
        self
    }

    fn after_first_step(mut self, hook: impl Fn(&CallbackSlot) + Send + Sync + 'static) -> Self {
        self.after_first_step = Some(Box::new(hook));
        self
    }

    /// Pause after the first step until the two `barrier` rounds pass.
    fn paused_by(self, barrier: &Arc<Barrier>) -> Self {
        let barrier = Arc::clone(barrier);
        self.after_first_step(move |_| {
            barrier.wait(); // reached
            barrier.wait(); // go on
        })
    }

    fn report(
        &self,
        item: ItemId,
        report: &SyncMgrProgress,
    ) -> Result<CancelDecision, HandlerError> {
        let answer = self
            .slot
            .progress(item, Some(report))
            .map_err(|e| HandlerError::failed(format!("host refused: {e}")))?;
        let status = report.status().unwrap_or(SyncMgrStatus::Updating);
        self.answers.lock().unwrap().push((item, status, answer));
        Ok(answer)
    }

    fn answers(&self) -> Vec<(ItemId, SyncMgrStatus, CancelDecision)> {
        self.answers.lock().unwrap().clone()
    }
}

impl SyncHandler for Fake {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        assert!(!self.panic_in_initialize, "{} cannot start", self.name);
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new(self.name).map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(self.items.iter().cloned()))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.slot.set(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        *self.prepared.lock().unwrap() = items.to_vec();
        self.slot
            .prepare_for_sync_completed(HResult::S_OK)
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        if let Some(hook) = &self.before_sync {
            hook(&self.slot);
        }
        let items = self.prepared.lock().unwrap().clone();
        'items: for (n, &item) in items.iter().enumerate() {
            let mut stop = None;
            for step in 0..=self.steps {
                let report = SyncMgrProgress::builder()
                    .status(SyncMgrStatus::Updating)
                    .value(step)
                    .max(self.steps)
                    .build()
                    .expect("a valid report");
                let answer = self.report(item, &report)?;
                if n == 0
                    && step == 1
                    && let Some(hook) = &self.after_first_step
                {
                    hook(&self.slot);
                }
                if answer.is_cancel() {
                    stop = Some(answer);
                    break;
                }
            }
            let status = if stop.is_some() {
                SyncMgrStatus::Stopped
            } else {
                SyncMgrStatus::Succeeded
            };
            self.report(item, &SyncMgrProgress::with_status(status))?;
            if stop == Some(CancelDecision::CancelAll) {
                break 'items;
            }
        }
        self.slot
            .synchronize_completed(HResult::S_OK)
            .map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn completed_ok(outcome: &SessionOutcome) -> bool {
    *outcome
        == SessionOutcome::Completed {
            code: HResult::S_OK,
        }
}

#[test]
fn three_handlers_run_at_once_and_all_complete() {
    within(20, "three handlers at once", || {
        // Each handler waits in Synchronize until all three are there: the
        // test only finishes if they really run at the same time.
        let together = Arc::new(Barrier::new(3));
        let host = Host::new();
        let handlers: Vec<Arc<Fake>> = [
            ("mail", 0x100, 2),
            ("photos", 0x200, 3),
            ("notes", 0x300, 1),
        ]
        .into_iter()
        .map(|(name, base, items)| {
            let together = Arc::clone(&together);
            Arc::new(Fake::new(name, base, items, 3).before_sync(move |_| {
                together.wait();
            }))
        })
        .collect();
        let running: Vec<_> = handlers
            .iter()
            .map(|h| host.spawn(SessionConfig::default(), h.clone()))
            .collect();
        let sessions: Vec<_> = running.iter().map(|r| r.session().clone()).collect();
        for outcome in running.into_iter().map(|r| r.join()) {
            assert!(completed_ok(&outcome), "{outcome:?}");
        }
        assert_eq!(host.sessions().len(), 3);
        for (session, handler) in sessions.iter().zip(&handlers) {
            let snapshot = session.snapshot();
            assert_eq!(snapshot.phase, SessionPhase::Released);
            assert_eq!(snapshot.handler_name.as_deref(), Some(handler.name));
            assert!(snapshot.items().all(|i| i.phase() == ItemPhase::Succeeded));
            assert!(session.conformance_report().is_clean());
            assert!(
                handler
                    .answers()
                    .iter()
                    .all(|&(_, _, answer)| answer == CancelDecision::Continue)
            );
        }
        let snapshot = host.snapshot();
        assert_eq!(snapshot.finished(), (6, 6));
        assert_eq!(snapshot.overall(), 1.0);
    });
}

#[test]
fn host_wide_cancel_all_reaches_running_and_later_sessions() {
    within(20, "host-wide cancel-all", || {
        let host = Host::new();
        // A session that finished before the cancel is left as it was.
        let done = host.spawn(
            SessionConfig::default(),
            Arc::new(Fake::new("done", 0x50, 1, 1)),
        );
        let done_session = done.session().clone();
        assert!(completed_ok(&done.join()));

        let barrier = Arc::new(Barrier::new(4));
        let handlers: Vec<Arc<Fake>> = [0x100, 0x200, 0x300]
            .into_iter()
            .map(|base| Arc::new(Fake::new("worker", base, 3, 4).paused_by(&barrier)))
            .collect();
        let running: Vec<_> = handlers
            .iter()
            .map(|h| host.spawn(SessionConfig::default(), h.clone()))
            .collect();

        barrier.wait(); // every handler has reported step 1 of its first item
        host.cancel_all(CancelReason::User);
        host.cancel_all(CancelReason::Timeout); // the first reason sticks
        barrier.wait(); // let them go on

        for (hosted, handler) in running.into_iter().zip(&handlers) {
            let session = hosted.session().clone();
            assert!(completed_ok(&hosted.join()));
            let answers = handler.answers();
            // Steps 0 and 1 of the first item were answered before the
            // cancel; every later report was answered CancelAll.
            assert_eq!(answers.len(), 4, "{answers:?}");
            assert!(answers[..2].iter().all(|a| a.2 == CancelDecision::Continue));
            assert!(
                answers[2..]
                    .iter()
                    .all(|a| a.2 == CancelDecision::CancelAll)
            );
            assert_eq!(answers[3].1, SyncMgrStatus::Stopped);
            let snapshot = session.snapshot();
            assert_eq!(snapshot.cancel_all, Some(CancelReason::User));
            assert!(snapshot.items().all(|i| i.phase() == ItemPhase::Stopped));
            assert!(session.conformance_report().is_clean());
        }

        // Born cancelled: a session spawned after cancel_all.
        let late = Arc::new(Fake::new("late", 0x400, 2, 4));
        let hosted = host.spawn(SessionConfig::default(), late.clone());
        let session = hosted.session().clone();
        assert!(completed_ok(&hosted.join()));
        let answers = late.answers();
        assert!(!answers.is_empty());
        assert!(
            answers.iter().all(|a| a.2 == CancelDecision::CancelAll),
            "{answers:?}"
        );
        let snapshot = session.snapshot();
        assert_eq!(snapshot.cancel_all, Some(CancelReason::User));
        assert_eq!(snapshot.len(), 2);
        assert!(snapshot.items().all(|i| i.phase() == ItemPhase::Stopped));
        assert_eq!(host.snapshot().finished(), (12, 12));
        let before = done_session.snapshot();
        assert_eq!(before.cancel_all, None);
        assert!(
            before
                .items()
                .all(|i| i.phase() == ItemPhase::Succeeded && i.cancel().is_none())
        );
    });
}

type Log = Sender<(&'static str, Result<ModelessAnswer, CallbackError>)>;

fn signal() -> (Sender<()>, Mutex<Receiver<()>>) {
    let (tx, rx) = mpsc::channel();
    (tx, Mutex::new(rx))
}

fn wait(rx: &Mutex<Receiver<()>>) {
    // A dropped sender (the other handler failed) ends the wait; the
    // assertions below then fail instead of the test hanging.
    let _ = rx.lock().unwrap().recv();
}

#[test]
fn the_modeless_grant_is_exclusive_across_sessions() {
    within(20, "modeless arbitration", || {
        let config = SessionConfig::default().with_flags(SyncMgrFlags::new(
            SyncEvent::Manual,
            SyncModifiers::MAY_BOTHER_USER,
        ));
        let (log, answers): (Log, _) = mpsc::channel();
        let (a_holds, a_holds_rx) = signal();
        let (b_refused, b_refused_rx) = signal();
        let (a_released, a_released_rx) = signal();

        let log_a = log.clone();
        let a = Fake::new("A", 0x100, 1, 2).before_sync(move |slot| {
            let _ = log_a.send(("A: TRUE", slot.enable_modeless(true)));
            let _ = a_holds.send(());
            wait(&b_refused_rx);
            let _ = log_a.send(("A: FALSE", slot.enable_modeless(false)));
            let _ = a_released.send(());
        });
        let log_b = log;
        let b = Fake::new("B", 0x200, 1, 2).before_sync(move |slot| {
            wait(&a_holds_rx);
            let _ = log_b.send(("B: TRUE while A holds", slot.enable_modeless(true)));
            let _ = b_refused.send(());
            wait(&a_released_rx);
            let _ = log_b.send(("B: TRUE after A", slot.enable_modeless(true)));
            let _ = log_b.send(("B: FALSE", slot.enable_modeless(false)));
        });

        let host = Host::new();
        let a = host.spawn(config.clone(), Arc::new(a));
        let b = host.spawn(config, Arc::new(b));
        let (session_a, session_b) = (a.session().clone(), b.session().clone());
        assert!(completed_ok(&a.join()));
        assert!(completed_ok(&b.join()));

        let answers: Vec<_> = answers.iter().collect();
        assert_eq!(
            answers,
            [
                ("A: TRUE", Ok(ModelessAnswer::Granted)),
                ("B: TRUE while A holds", Ok(ModelessAnswer::Refused)),
                ("A: FALSE", Ok(ModelessAnswer::Granted)),
                ("B: TRUE after A", Ok(ModelessAnswer::Granted)),
                ("B: FALSE", Ok(ModelessAnswer::Granted)),
            ]
        );
        assert!(session_a.conformance_report().is_clean());
        assert!(session_b.conformance_report().is_clean());
    });
}

#[test]
fn a_panicking_handler_fails_alone() {
    within(20, "panic isolation", || {
        let host = Host::new();
        let good = Arc::new(Fake::new("good", 0x100, 2, 3));
        let broken = Fake::new("broken", 0x200, 3, 3).after_first_step(|_| panic!("disk on fire"));
        let also_good = Arc::new(Fake::new("also good", 0x300, 1, 3));

        let good_run = host.spawn(SessionConfig::default(), good);
        let broken_run = host.spawn(SessionConfig::default(), Arc::new(broken));
        let also_good_run = host.spawn(SessionConfig::default(), also_good);
        let broken_session = broken_run.session().clone();

        assert_eq!(
            broken_run.join(),
            SessionOutcome::HandlerFailed {
                call: "Synchronize",
                error: HandlerError::failed("handler panicked in Synchronize: disk on fire"),
            }
        );
        assert!(completed_ok(&good_run.join()));
        assert!(completed_ok(&also_good_run.join()));

        // The session ended the cycle: the items the handler left open were
        // finished by the host, and the handler was released.
        let snapshot = broken_session.snapshot();
        assert_eq!(snapshot.phase, SessionPhase::Released);
        assert!(
            snapshot
                .items()
                .all(|i| i.phase() == ItemPhase::Failed && i.finished_by_host())
        );
        assert_eq!(host.snapshot().finished(), (6, 6));

        // A panic in the very first call names that call; the host goes on.
        let mut early = Fake::new("early", 0x400, 1, 1);
        early.panic_in_initialize = true;
        let outcome = host.spawn(SessionConfig::default(), Arc::new(early)).join();
        assert_eq!(
            outcome,
            SessionOutcome::HandlerFailed {
                call: "Initialize",
                error: HandlerError::failed("handler panicked in Initialize: early cannot start"),
            }
        );
        let after = host.spawn(
            SessionConfig::default(),
            Arc::new(Fake::new("after", 0x500, 1, 1)),
        );
        assert!(completed_ok(&after.join()));
    });
}

#[test]
fn the_snapshot_aggregates_every_session() {
    within(20, "aggregated snapshot", || {
        let host = Host::new();
        assert_eq!(host.snapshot().finished(), (0, 0));
        assert_eq!(host.snapshot().overall(), 0.0);

        // 2 + 3 + 5 items of 4 steps; each handler pauses at step 1 of its
        // first item, so exactly three items stand at 1/4.
        let barrier = Arc::new(Barrier::new(4));
        let running: Vec<_> = [("two", 0x100, 2), ("three", 0x200, 3), ("five", 0x300, 5)]
            .into_iter()
            .map(|(name, base, items)| {
                let handler = Fake::new(name, base, items, 4).paused_by(&barrier);
                host.spawn(SessionConfig::default(), Arc::new(handler))
            })
            .collect();

        barrier.wait();
        let paused = host.snapshot();
        let names: Vec<_> = paused
            .sessions
            .iter()
            .map(|s| s.handler_name.as_deref())
            .collect();
        assert_eq!(names, [Some("two"), Some("three"), Some("five")]);
        assert_eq!(paused.finished(), (0, 10));
        // Weighted by item count: 3 × 0.25 over 10 items, not the mean of
        // the three sessions' own means (0.086…).
        assert!(
            (paused.overall() - 0.075).abs() < 1e-9,
            "{}",
            paused.overall()
        );
        barrier.wait();

        for hosted in running {
            assert!(completed_ok(&hosted.join()));
        }
        let done = host.snapshot();
        assert_eq!(done.finished(), (10, 10));
        assert_eq!(done.overall(), 1.0);
        assert!(done.sessions.iter().all(|s| s.violations == 0));
    });
}
