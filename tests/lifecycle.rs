//! The register / replace / release-on-null lifecycle of `CallbackSlot`.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use proptest::prelude::*;
use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, ItemId, SlotEvent, SlotState, SlotTransition,
    SyncCallback, SyncMgrProgress,
};

/// A host callback that counts the calls it receives and checks that each
/// arrives while it is registered.
#[derive(Default)]
struct Recorder {
    answer: Mutex<CancelDecision>,
    calls: AtomicUsize,
    registered: AtomicBool,
    released: AtomicBool,
    calls_outside_registration: AtomicUsize,
}

impl Recorder {
    fn answering(answer: CancelDecision) -> Arc<Self> {
        let recorder = Self::default();
        *recorder.answer.lock().unwrap() = answer;
        Arc::new(recorder)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl SyncCallback for Recorder {
    fn progress(
        &self,
        _item: ItemId,
        _progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        if !self.registered.load(Ordering::SeqCst) || self.released.load(Ordering::SeqCst) {
            self.calls_outside_registration
                .fetch_add(1, Ordering::SeqCst);
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(*self.answer.lock().unwrap())
    }
}

fn as_callback(recorder: &Arc<Recorder>) -> Arc<dyn SyncCallback> {
    recorder.clone()
}

const ITEM: ItemId = ItemId::from_u128(0x1234);

#[test]
fn every_state_event_pair_of_the_table() {
    use SlotEvent::*;
    use SlotState::*;
    use SlotTransition::*;
    let table = [
        (Empty, SetSome, Ok((Holding, Registered))),
        (Empty, SetNone, Ok((Empty, Unchanged))),
        (Empty, Call, Err(CallbackError::NoCallback)),
        (Holding, SetSome, Ok((Holding, Replaced))),
        (Holding, SetNone, Ok((Empty, Released))),
        (Holding, Call, Ok((Holding, Dispatched))),
    ];
    assert_eq!(table.len(), SlotState::ALL.len() * 3);
    for (state, event, expected) in table {
        assert_eq!(state.on(event), expected, "{state:?} on {event:?}");
    }
}

#[test]
fn every_state_event_pair_on_a_real_slot_with_reference_counts() {
    let first = Recorder::answering(CancelDecision::Continue);
    let second = Recorder::answering(CancelDecision::CancelItem);
    let (a, b) = (as_callback(&first), as_callback(&second));
    // The test's own handles: `first` + `a`, `second` + `b`.
    let baseline = Arc::strong_count(&first);
    assert_eq!(baseline, 2);
    assert_eq!(Arc::strong_count(&second), baseline);

    let slot: CallbackSlot = CallbackSlot::new();
    // Empty, Call
    assert_eq!(slot.progress(ITEM, None), Err(CallbackError::NoCallback));
    assert_eq!(slot.state(), SlotState::Empty);
    // Empty, SetNone
    assert_eq!(slot.set(None), SlotTransition::Unchanged);
    assert_eq!(Arc::strong_count(&first), baseline);
    // Empty, SetSome
    assert_eq!(slot.set(Some(a.clone())), SlotTransition::Registered);
    assert_eq!(Arc::strong_count(&first), baseline + 1);
    assert!(slot.holds(&a));
    // Holding, Call
    assert_eq!(slot.progress(ITEM, None), Ok(CancelDecision::Continue));
    assert_eq!((first.calls(), second.calls()), (1, 0));
    // Holding, SetSome: the old one released exactly once, the new one held once.
    assert_eq!(slot.set(Some(b.clone())), SlotTransition::Replaced);
    assert_eq!(Arc::strong_count(&first), baseline);
    assert_eq!(Arc::strong_count(&second), baseline + 1);
    assert_eq!(slot.progress(ITEM, None), Ok(CancelDecision::CancelItem));
    assert_eq!((first.calls(), second.calls()), (1, 1));
    // Holding, SetSome with the same callback: still held exactly once.
    assert_eq!(slot.set(Some(b.clone())), SlotTransition::Replaced);
    assert_eq!(Arc::strong_count(&second), baseline + 1);
    // Holding, SetNone: nothing held.
    assert_eq!(slot.release(), SlotTransition::Released);
    assert_eq!(Arc::strong_count(&second), baseline);
    assert_eq!(Arc::strong_count(&first), baseline);
    assert_eq!(slot.state(), SlotState::Empty);
    assert_eq!(slot.progress(ITEM, None), Err(CallbackError::NoCallback));
    // A slot dropped while holding releases its callback.
    slot.set(Some(a.clone()));
    drop(slot);
    assert_eq!(Arc::strong_count(&first), baseline);
}

#[test]
fn every_callback_method_fails_with_no_callback_on_an_empty_slot() {
    use syncmgr::{ErrorId, HResult, LogLevel};
    let slot: CallbackSlot = CallbackSlot::new();
    let results = [
        slot.show_properties_completed(HResult::S_OK),
        slot.prepare_for_sync_completed(HResult::S_OK),
        slot.synchronize_completed(HResult::S_OK),
        slot.show_error_completed(HResult::S_OK, &[]),
        slot.enable_modeless(true).map(|_| ()),
        slot.progress(ITEM, None).map(|_| ()),
        slot.log_error(LogLevel::Error, "x", None),
        slot.delete_log_error(ErrorId::ALL),
        slot.establish_connection(None),
    ];
    for result in results {
        assert_eq!(result, Err(CallbackError::NoCallback));
    }
    assert_eq!(CallbackError::NoCallback.hresult(), HResult::E_UNEXPECTED);
}

#[derive(Debug, Clone)]
enum Op {
    Set(Option<usize>),
    SetNonblocking(Option<usize>),
    Progress,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => proptest::option::of(0..3usize).prop_map(Op::Set),
        1 => proptest::option::of(0..3usize).prop_map(Op::SetNonblocking),
        4 => Just(Op::Progress),
    ]
}

proptest! {
    /// Random register / replace / release / progress sequences against a
    /// reference model: which callback is current, what each transition is,
    /// where each call goes, and every reference count after every step.
    #[test]
    fn random_sequences_match_the_reference_model(ops in proptest::collection::vec(op(), 0..40)) {
        let recorders: Vec<Arc<Recorder>> = CancelDecision::ALL
            .iter()
            .map(|&d| Recorder::answering(d))
            .collect();
        let callbacks: Vec<Arc<dyn SyncCallback>> = recorders.iter().map(as_callback).collect();
        let slot: CallbackSlot = CallbackSlot::new();
        let mut model: Option<usize> = None;
        let mut expected_calls = [0usize; 3];

        for op in ops {
            match op {
                Op::Set(next) | Op::SetNonblocking(next) => {
                    let expected = match (model, next) {
                        (None, Some(_)) => SlotTransition::Registered,
                        (None, None) => SlotTransition::Unchanged,
                        (Some(_), Some(_)) => SlotTransition::Replaced,
                        (Some(_), None) => SlotTransition::Released,
                    };
                    let arg = next.map(|i| callbacks[i].clone());
                    let got = if matches!(op, Op::Set(_)) { slot.set(arg) } else { slot.set_nonblocking(arg) };
                    prop_assert_eq!(got, expected);
                    model = next;
                }
                Op::Progress => {
                    let got = slot.progress(ITEM, None);
                    match model {
                        None => prop_assert_eq!(got, Err(CallbackError::NoCallback)),
                        Some(i) => {
                            prop_assert_eq!(got, Ok(CancelDecision::ALL[i]));
                            expected_calls[i] += 1;
                        }
                    }
                }
            }
            prop_assert_eq!(slot.state(), if model.is_some() { SlotState::Holding } else { SlotState::Empty });
            for (i, recorder) in recorders.iter().enumerate() {
                // `recorders[i]` and `callbacks[i]`, plus one if the slot holds it.
                let held = usize::from(model == Some(i));
                prop_assert_eq!(Arc::strong_count(recorder), 2 + held, "callback {}", i);
                prop_assert_eq!(recorder.calls(), expected_calls[i]);
            }
        }
    }
}

/// A callback that, from inside its own `progress`, does something to the
/// slot that is calling it.
struct Reentrant {
    slot: Arc<CallbackSlot>,
    action: fn(&Reentrant),
    other: Arc<dyn SyncCallback>,
    depth: AtomicUsize,
}

impl SyncCallback for Reentrant {
    fn progress(
        &self,
        _item: ItemId,
        _progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.depth.fetch_add(1, Ordering::SeqCst);
        (self.action)(self);
        Ok(CancelDecision::Continue)
    }
}

fn run_reentrant(action: fn(&Reentrant)) -> (Arc<CallbackSlot>, Arc<Recorder>, usize) {
    common::within(10, "re-entrant slot call", move || {
        let slot = Arc::new(CallbackSlot::new());
        let other = Recorder::answering(CancelDecision::CancelAll);
        let reentrant = Arc::new(Reentrant {
            slot: slot.clone(),
            action,
            other: other.clone(),
            depth: AtomicUsize::new(0),
        });
        let as_dyn: Arc<dyn SyncCallback> = reentrant.clone();
        slot.set(Some(as_dyn));
        let result = slot.progress(ITEM, None);
        assert_eq!(result, Ok(CancelDecision::Continue));
        let depth = reentrant.depth.load(Ordering::SeqCst);
        (slot, other, depth)
    })
}

#[test]
fn reentrant_release_from_inside_progress_does_not_deadlock() {
    let (slot, _, _) = run_reentrant(|me| {
        assert_eq!(me.slot.release(), SlotTransition::Released);
    });
    assert_eq!(slot.state(), SlotState::Empty);
}

#[test]
fn reentrant_replace_from_inside_progress_does_not_deadlock() {
    let (slot, other, _) = run_reentrant(|me| {
        assert_eq!(
            me.slot.set(Some(me.other.clone())),
            SlotTransition::Replaced
        );
        // The next call already goes to the new callback.
        assert_eq!(me.slot.progress(ITEM, None), Ok(CancelDecision::CancelAll));
    });
    assert_eq!(other.calls(), 1);
    assert_eq!(slot.progress(ITEM, None), Ok(CancelDecision::CancelAll));
}

#[test]
fn reentrant_register_after_release_from_inside_progress_does_not_deadlock() {
    let (slot, other, _) = run_reentrant(|me| {
        me.slot.release();
        assert_eq!(
            me.slot.set(Some(me.other.clone())),
            SlotTransition::Registered
        );
    });
    assert_eq!(slot.progress(ITEM, None), Ok(CancelDecision::CancelAll));
    assert_eq!(other.calls(), 1);
}

#[test]
fn reentrant_progress_from_inside_progress_does_not_deadlock() {
    let (slot, _, depth) = run_reentrant(|me| {
        if me.depth.load(Ordering::SeqCst) < 5 {
            assert_eq!(me.slot.progress(ITEM, None), Ok(CancelDecision::Continue));
        }
    });
    assert_eq!(depth, 5);
    // The callback holds the slot that holds it: released, so the cycle
    // ends (miri's leak check).
    assert_eq!(slot.release(), SlotTransition::Released);
}

#[test]
fn nested_frames_replace_and_release_without_deadlock() {
    // Two frames of the same callback on this thread; the inner one replaces
    // and releases it, which must not wait for the outer frame.
    let (slot, _, depth) = run_reentrant(|me| {
        if me.depth.load(Ordering::SeqCst) == 1 {
            me.slot.progress(ITEM, None).unwrap();
        } else {
            let current: Arc<dyn SyncCallback> = me.other.clone();
            me.slot.set(Some(current));
            me.slot.release();
        }
    });
    assert_eq!(depth, 2);
    assert_eq!(slot.state(), SlotState::Empty);
}

/// A callback whose `Drop` uses the slot that released it: the drop must
/// happen after the slot's lock is released.
struct UsesSlotOnDrop {
    slot: Arc<CallbackSlot>,
    dropped: Arc<AtomicBool>,
}

impl SyncCallback for UsesSlotOnDrop {
    fn progress(
        &self,
        _: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        Ok(CancelDecision::Continue)
    }
}

impl Drop for UsesSlotOnDrop {
    fn drop(&mut self) {
        let _ = self.slot.state();
        self.slot.set(None);
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_released_callback_is_dropped_after_the_lock_is_released() {
    let dropped = common::within(10, "drop re-entering the slot", || {
        let slot = Arc::new(CallbackSlot::new());
        let dropped = Arc::new(AtomicBool::new(false));
        let callback: Arc<dyn SyncCallback> = Arc::new(UsesSlotOnDrop {
            slot: slot.clone(),
            dropped: dropped.clone(),
        });
        slot.set(Some(callback));
        slot.release();
        dropped.load(Ordering::SeqCst)
    });
    assert!(dropped);
}

#[test]
fn a_panicking_callback_leaves_the_slot_usable() {
    struct Panics;
    impl SyncCallback for Panics {
        fn progress(
            &self,
            _: ItemId,
            _: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            panic!("host bug");
        }
    }
    let slot: CallbackSlot = CallbackSlot::new();
    let panics: Arc<dyn SyncCallback> = Arc::new(Panics);
    slot.set(Some(panics.clone()));
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| slot.progress(ITEM, None)));
    assert!(caught.is_err());
    // The release does not wait for the call that unwound.
    common::within(10, "release after a panic", move || {
        assert_eq!(slot.release(), SlotTransition::Released);
    });
    assert_eq!(Arc::strong_count(&panics), 1);
}

/// Several threads call `progress` while another replaces and releases the
/// callback. Every call reaches exactly one callback, one that was registered
/// at the time, and no call reaches a callback after its release returned.
#[test]
fn progress_from_many_threads_while_replacing_and_releasing() {
    const CALLERS: usize = 4;
    const CALLS_PER_THREAD: usize = 20_000;
    const GENERATIONS: usize = 200;

    common::within(120, "threaded replace/release", || {
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        let recorders: Vec<Arc<Recorder>> = (0..GENERATIONS)
            .map(|_| Recorder::answering(CancelDecision::Continue))
            .collect();
        let start = Arc::new(Barrier::new(CALLERS + 1));
        let done = Arc::new(AtomicBool::new(false));

        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let (slot, start, done) = (slot.clone(), start.clone(), done.clone());
                thread::spawn(move || {
                    start.wait();
                    let (mut reached, mut empty) = (0usize, 0usize);
                    for _ in 0..CALLS_PER_THREAD {
                        match slot.progress(ITEM, None) {
                            Ok(CancelDecision::Continue) => reached += 1,
                            Err(CallbackError::NoCallback) => empty += 1,
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                    while !done.load(Ordering::SeqCst) {
                        thread::yield_now();
                    }
                    (reached, empty)
                })
            })
            .collect();

        start.wait();
        for (generation, recorder) in recorders.iter().enumerate() {
            recorder.registered.store(true, Ordering::SeqCst);
            let previous = generation.checked_sub(1).map(|g| &recorders[g]);
            slot.set(Some(as_callback(recorder)));
            if let Some(previous) = previous {
                // `set` returned: the replaced callback is never entered again.
                previous.released.store(true, Ordering::SeqCst);
            }
            if generation % 10 == 9 {
                slot.release();
                recorder.released.store(true, Ordering::SeqCst);
                thread::yield_now();
            }
        }
        slot.release();
        recorders
            .last()
            .unwrap()
            .released
            .store(true, Ordering::SeqCst);
        done.store(true, Ordering::SeqCst);

        let (mut reached, mut empty) = (0, 0);
        for caller in callers {
            let (r, e) = caller.join().unwrap();
            reached += r;
            empty += e;
        }
        assert_eq!(reached + empty, CALLERS * CALLS_PER_THREAD);
        let delivered: usize = recorders.iter().map(|r| r.calls()).sum();
        assert_eq!(
            delivered, reached,
            "every successful call reached exactly one callback"
        );
        for (generation, recorder) in recorders.iter().enumerate() {
            assert_eq!(
                recorder.calls_outside_registration.load(Ordering::SeqCst),
                0,
                "generation {generation} was called outside its registration"
            );
            assert_eq!(
                Arc::strong_count(recorder),
                1,
                "generation {generation} still held"
            );
        }
    });
}

#[test]
fn set_nonblocking_returns_while_a_call_is_running() {
    use std::sync::mpsc;
    struct Blocks {
        entered: Mutex<Option<mpsc::Sender<()>>>,
        proceed: Mutex<mpsc::Receiver<()>>,
    }
    impl SyncCallback for Blocks {
        fn progress(
            &self,
            _: ItemId,
            _: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            if let Some(entered) = self.entered.lock().unwrap().take() {
                entered.send(()).unwrap();
            }
            self.proceed.lock().unwrap().recv().unwrap();
            Ok(CancelDecision::Continue)
        }
    }
    common::within(20, "nonblocking release", || {
        let (entered_tx, entered_rx) = mpsc::channel();
        let (proceed_tx, proceed_rx) = mpsc::channel();
        let blocks = Arc::new(Blocks {
            entered: Mutex::new(Some(entered_tx)),
            proceed: Mutex::new(proceed_rx),
        });
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        slot.set(Some(blocks.clone() as Arc<dyn SyncCallback>));
        let caller = {
            let slot = slot.clone();
            thread::spawn(move || slot.progress(ITEM, None))
        };
        entered_rx.recv().unwrap();
        assert_eq!(slot.set_nonblocking(None), SlotTransition::Released);
        // The running call still holds the callback alive.
        assert_eq!(Arc::strong_count(&blocks), 2);
        proceed_tx.send(()).unwrap();
        assert_eq!(caller.join().unwrap(), Ok(CancelDecision::Continue));
        assert_eq!(Arc::strong_count(&blocks), 1);
    });
}

#[test]
fn blocking_release_waits_for_a_running_call() {
    use std::sync::mpsc;
    use std::time::Duration;
    struct Gate {
        entered: mpsc::SyncSender<()>,
        proceed: Mutex<mpsc::Receiver<()>>,
        finished: AtomicBool,
    }
    impl SyncCallback for Gate {
        fn progress(
            &self,
            _: ItemId,
            _: Option<&SyncMgrProgress>,
        ) -> Result<CancelDecision, CallbackError> {
            self.entered.send(()).unwrap();
            self.proceed.lock().unwrap().recv().unwrap();
            self.finished.store(true, Ordering::SeqCst);
            Ok(CancelDecision::Continue)
        }
    }
    common::within(20, "blocking release", || {
        let (entered_tx, entered_rx) = mpsc::sync_channel(1);
        let (proceed_tx, proceed_rx) = mpsc::channel();
        let gate = Arc::new(Gate {
            entered: entered_tx,
            proceed: Mutex::new(proceed_rx),
            finished: AtomicBool::new(false),
        });
        let slot: Arc<CallbackSlot> = Arc::new(CallbackSlot::new());
        slot.set(Some(gate.clone() as Arc<dyn SyncCallback>));
        let caller = {
            let slot = slot.clone();
            thread::spawn(move || slot.progress(ITEM, None))
        };
        entered_rx.recv().unwrap();
        let releaser = {
            let slot = slot.clone();
            thread::spawn(move || slot.release())
        };
        // Give the releaser time to reach its wait; then let the call finish.
        thread::sleep(Duration::from_millis(50));
        assert!(
            !releaser.is_finished(),
            "release returned while a call was running"
        );
        proceed_tx.send(()).unwrap();
        assert_eq!(releaser.join().unwrap(), SlotTransition::Released);
        assert!(gate.finished.load(Ordering::SeqCst));
        assert_eq!(caller.join().unwrap(), Ok(CancelDecision::Continue));
        assert_eq!(Arc::strong_count(&gate), 1);
    });
}
