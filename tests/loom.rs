//! Loom models of the crate's shared state: the callback slot, the
//! session's lock-free report path against every user request and the end
//! of the cycle, and the reporter's item table.
//!
//! Built only with `RUSTFLAGS="--cfg loom"`, which switches `crate::sync`
//! to loom; run them with `scripts/loom.sh` (bounded preemptions). Each
//! model prints how many interleavings it explored.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::{Arc, Weak};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, CancelReason, Cancelled, HResult, HandlerAnswer,
    HandlerError, HandlerInfo, ItemEnumeration, ItemId, Mode, ProgressReporter, ReportError,
    Session, SessionConfig, SlotTransition, SyncCallback, SyncHandler, SyncItem, SyncMgrFlags,
    SyncMgrProgress, SyncMgrStatus, WindowHandle,
};

/// Run `model` under loom and print how many interleavings it explored.
fn explore(name: &str, model: impl Fn() + Sync + Send + 'static) {
    let runs = Arc::new(StdAtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    loom::model(move || {
        counted.fetch_add(1, StdOrdering::Relaxed);
        model();
    });
    println!(
        "loom model {name}: {} interleavings explored",
        runs.load(StdOrdering::Relaxed)
    );
}

/// A callback that counts its calls and fails the model when entered
/// after it was retired (its replacing `set` returned).
struct Probe {
    answer: CancelDecision,
    calls: AtomicUsize,
    retired: AtomicBool,
}

impl Probe {
    fn new(answer: CancelDecision) -> Arc<Self> {
        Arc::new(Self {
            answer,
            calls: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
        })
    }
}

impl SyncCallback for Probe {
    fn progress(
        &self,
        _: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        assert!(
            !self.retired.load(Ordering::SeqCst),
            "entered after the set that replaced it returned"
        );
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.answer)
    }
}

fn item(n: u128) -> ItemId {
    ItemId::from_u128(n)
}

/// Two callers and a replacer: never entered after `set` returns, released
/// exactly once (the slot and no caller holds it then), and every call
/// reaches one of the two callbacks.
#[test]
fn slot_two_callers_and_a_replacer() {
    explore("slot: two callers and a replacer", || {
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        let (first, second) = (
            Probe::new(CancelDecision::Continue),
            Probe::new(CancelDecision::CancelItem),
        );
        slot.set(Some(first.clone() as Arc<dyn SyncCallback>));
        let callers: Vec<_> = (0..2)
            .map(|_| {
                let slot = Arc::clone(&slot);
                thread::spawn(move || slot.progress(item(1), None))
            })
            .collect();
        assert_eq!(
            slot.set(Some(second.clone() as Arc<dyn SyncCallback>)),
            SlotTransition::Replaced
        );
        first.retired.store(true, Ordering::SeqCst);
        assert_eq!(
            Arc::strong_count(&first),
            1,
            "released, and held by no call"
        );
        for caller in callers {
            let answer = caller.join().unwrap();
            assert!(matches!(
                answer,
                Ok(CancelDecision::Continue | CancelDecision::CancelItem)
            ));
        }
        let calls = first.calls.load(Ordering::SeqCst) + second.calls.load(Ordering::SeqCst);
        assert_eq!(calls, 2);
        assert_eq!(slot.release(), SlotTransition::Released);
        assert_eq!(Arc::strong_count(&second), 1);
    });
}

/// Replaces the slot from inside its own call, once.
struct Replacer {
    slot: Weak<CallbackSlot>,
    next: Arc<dyn SyncCallback>,
    done: AtomicBool,
}

impl SyncCallback for Replacer {
    fn progress(
        &self,
        _: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        if !self.done.swap(true, Ordering::SeqCst)
            && let Some(slot) = self.slot.upgrade()
        {
            assert_eq!(slot.set(Some(self.next.clone())), SlotTransition::Replaced);
        }
        Ok(CancelDecision::Continue)
    }
}

/// A re-entrant replace from inside a callback while another thread calls:
/// no deadlock, the nested `set` returns, the replaced callback is released
/// once both calls have returned, and later calls reach the new one.
#[test]
fn slot_reentrant_replace_from_inside_a_callback() {
    explore("slot: re-entrant replace from inside a callback", || {
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        let next = Probe::new(CancelDecision::CancelAll);
        let replacer = Arc::new(Replacer {
            slot: Arc::downgrade(&slot),
            next: next.clone(),
            done: AtomicBool::new(false),
        });
        slot.set(Some(replacer.clone() as Arc<dyn SyncCallback>));
        let other = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.progress(item(1), None))
        };
        let own = slot.progress(item(2), None);
        let other = other.join().unwrap();
        assert!(matches!(
            own,
            Ok(CancelDecision::Continue | CancelDecision::CancelAll)
        ));
        assert!(matches!(
            other,
            Ok(CancelDecision::Continue | CancelDecision::CancelAll)
        ));
        assert!(replacer.done.load(Ordering::SeqCst));
        assert_eq!(Arc::strong_count(&replacer), 1, "the replaced one released");
        assert_eq!(slot.progress(item(3), None), Ok(CancelDecision::CancelAll));
        slot.release();
    });
}

/// What a model's handler does inside `Synchronize`.
type Work = Box<dyn Fn(&Arc<CallbackSlot>) + Send + Sync>;

/// A handler whose `Synchronize` runs `work` (threads it spawns and joins),
/// then completes.
struct Handler {
    slot: Arc<CallbackSlot>,
    work: Work,
}

impl SyncHandler for Handler {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("loom").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        let items = [SyncItem::new(item(1), "one").expect("valid")];
        Ok(ItemEnumeration::complete(items))
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
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        let _ = self.slot.prepare_for_sync_completed(HResult::S_OK);
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        (self.work)(&self.slot);
        let _ = self.slot.synchronize_completed(HResult::S_OK);
        Ok(())
    }

    fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn value(v: i32) -> SyncMgrProgress {
    SyncMgrProgress::builder().value(v).build().expect("valid")
}

fn updating() -> SyncMgrProgress {
    SyncMgrProgress::with_status(SyncMgrStatus::Updating)
}

/// The user's request the session model races with a report.
#[derive(Clone, Copy, Debug)]
enum Request {
    CancelItem,
    CancelAll,
    Skip,
}

/// One lock-free report on an opened item against one user request: a
/// request that has returned before the report begins is seen by it.
fn session_report_against(request: Request) {
    let session = Session::new(SessionConfig::new(Mode::Strict));
    let user = session.clone();
    let handler = Arc::new(Handler {
        slot: Arc::new(CallbackSlot::new()),
        work: Box::new(move |slot| {
            // Opened first, so the next report may take the lock-free path.
            assert_eq!(
                slot.progress(item(1), Some(&updating())),
                Ok(CancelDecision::Continue)
            );
            let requested = Arc::new(AtomicBool::new(false));
            let requester = {
                let (user, requested) = (user.clone(), Arc::clone(&requested));
                thread::spawn(move || {
                    match request {
                        Request::CancelItem => {
                            user.cancel_item(item(1), CancelReason::User).unwrap();
                        }
                        Request::CancelAll => user.cancel_all(CancelReason::User),
                        Request::Skip => {
                            user.skip_item(item(1)).unwrap();
                        }
                    }
                    requested.store(true, Ordering::SeqCst);
                })
            };
            let seen_before = requested.load(Ordering::SeqCst);
            let answer = slot.progress(item(1), Some(&value(1)));
            if seen_before {
                let expected = match request {
                    Request::CancelAll => CancelDecision::CancelAll,
                    Request::CancelItem | Request::Skip => CancelDecision::CancelItem,
                };
                assert_eq!(
                    answer,
                    Ok(expected),
                    "{request:?} recorded before the report"
                );
            }
            requester.join().unwrap();
            let _ = slot.progress(
                item(1),
                Some(&SyncMgrProgress::with_status(SyncMgrStatus::Stopped)),
            );
        }),
    });
    assert!(session.run(handler).is_success());
    assert!(
        session.conformance_report().is_clean(),
        "{:?}",
        session.violations()
    );
}

#[test]
fn session_report_against_cancel_item() {
    explore("session: lock-free report against cancel_item", || {
        session_report_against(Request::CancelItem);
    });
}

#[test]
fn session_report_against_cancel_all() {
    explore("session: lock-free report against cancel_all", || {
        session_report_against(Request::CancelAll);
    });
}

#[test]
fn session_report_against_skip() {
    explore("session: lock-free report against skip", || {
        session_report_against(Request::Skip);
    });
}

/// A lock-free report against the end of the cycle (a completion on
/// another thread): a report is either applied and accepted, or refused
/// and recorded (§G.2 #17); never applied after the host finalized the
/// item without a record.
#[test]
fn session_report_against_end_of_cycle() {
    explore(
        "session: lock-free report against the end of the cycle",
        || {
            let session = Session::new(SessionConfig::default());
            let answer = Arc::new(std::sync::Mutex::new(None));
            let got = Arc::clone(&answer);
            let handler = Arc::new(Handler {
                slot: Arc::new(CallbackSlot::new()),
                work: Box::new(move |slot| {
                    assert_eq!(
                        slot.progress(item(1), Some(&updating())),
                        Ok(CancelDecision::Continue)
                    );
                    let completer = {
                        let slot = Arc::clone(slot);
                        thread::spawn(move || {
                            let _ = slot.synchronize_completed(HResult::S_OK);
                        })
                    };
                    *got.lock().unwrap() = Some(slot.progress(item(1), Some(&value(1))));
                    completer.join().unwrap();
                }),
            });
            // The handler completes once more after the completer: recorded as
            // a second completion (§G.2 #16), which this model ignores.
            session.run(handler);
            let answer = answer.lock().unwrap().take().expect("reported");
            let late = session
                .violations()
                .iter()
                .any(|v| v.rule == syncmgr::Rule::PROGRESS_WINDOW);
            let snapshot = session.snapshot();
            let applied = snapshot.item(0).unwrap().value() == Some(1);
            assert!(snapshot.item(0).unwrap().phase().is_terminal());
            match answer {
                Ok(CancelDecision::Continue) => assert!(applied && !late, "{snapshot:?}"),
                Err(_) => assert!(!applied && late, "{snapshot:?}"),
                other => panic!("unexpected answer {other:?}"),
            }
        },
    );
}

/// Answers `CancelAll` for item 1 and `Continue` otherwise.
struct CancelAllFor1;

impl SyncCallback for CancelAllFor1 {
    fn progress(
        &self,
        id: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        Ok(if id == item(1) {
            CancelDecision::CancelAll
        } else {
            CancelDecision::Continue
        })
    }
}

/// The reporter's item table: a cancel-all reaches an item whose entry is
/// created concurrently (its word says cancelled once the cancel-all has
/// been recorded).
#[test]
fn reporter_cancel_all_reaches_items_created_concurrently() {
    explore(
        "reporter: cancel-all reaches items created concurrently",
        || {
            let reporter = Arc::new(ProgressReporter::new());
            reporter.set_callback(Some(Arc::new(CancelAllFor1)));
            let cancelled = Arc::new(AtomicBool::new(false));
            let canceller = {
                let (reporter, cancelled) = (Arc::clone(&reporter), Arc::clone(&cancelled));
                thread::spawn(move || {
                    let answer = reporter.begin(item(1)).err();
                    assert_eq!(answer, Some(ReportError::Cancelled(Cancelled::All)));
                    cancelled.store(true, Ordering::SeqCst);
                })
            };
            if let Ok(second) = reporter.begin(item(2)) {
                while !cancelled.load(Ordering::SeqCst) {
                    thread::yield_now();
                }
                assert!(
                    second.is_cancelled(),
                    "the item's own word missed the cancel-all"
                );
                assert_eq!(second.poll(), Err(ReportError::Cancelled(Cancelled::All)));
            }
            canceller.join().unwrap();
            assert!(reporter.is_cancelled(item(2)));
            reporter.set_callback(None);
        },
    );
}
