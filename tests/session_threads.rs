//! Eight handler threads report on distinct items while a user thread
//! cancels items and then everything, and a UI thread pulls snapshots.
//!
//! Checked, in strict and lenient mode, several times over:
//!
//! - nothing deadlocks ([`common::within`]);
//! - no cancel is lost: every `Progress` call that began after
//!   `cancel_item(x)` (or `cancel_all`) returned is answered with a cancel
//!   for `x`, and every item cancelled before its thread began it ends
//!   `Stopped` (§G.3 #21; the session's "a cancel requested before a
//!   progress call begins is always seen by that call");
//! - every item ends in exactly one terminal state, with exactly one
//!   `ItemFinished` event that agrees with the final snapshot, and has at
//!   most one `ItemStarted` event;
//! - no call is refused, and the only violation is §G.3 #23, the race of a
//!   multi-threaded handler after CANCELALL went to one of its threads:
//!   another thread opens a new item before it sees that CANCELALL. A
//!   strict host answers it CANCELALL (and leaves the item new, so it
//!   stops the item itself); a lenient one records it and applies the
//!   report. §G.3 #22 never happens: it needs a cancel answered to an
//!   earlier call naming the same item, and this handler answers every
//!   cancel for an item with STOPPED;
//! - snapshots only move forward: a finished item stays finished, a cancel
//!   stays set, a progress value never decreases.
//!
//! The happens-before between the user thread and a handler thread is an
//! `AtomicBool` per item, set after `cancel_item` returned and read by the
//! handler thread before it calls `Progress`.

mod common;
mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::within;
use support::{Fake, config};
use syncmgr::{
    CallbackSlot, CancelDecision, CancelReason, HResult, ItemId, ItemPhase, Mode, Session,
    SessionError, SessionEvent, SessionOutcome, SessionSnapshot, SyncCallback, SyncMgrProgress,
    SyncMgrStatus,
};

/// `ItemFinished` events per item: the status and whether the host finished it.
type FinishedEvents = Arc<Mutex<HashMap<ItemId, Vec<(SyncMgrStatus, bool)>>>>;

/// `ItemStarted` events per item.
type StartedEvents = Arc<Mutex<HashMap<ItemId, usize>>>;

/// What one `Progress` call was answered: a decision, or a refusal code.
type ProgressAnswer = Result<CancelDecision, HResult>;

const THREADS: usize = 8;
const PER_THREAD: usize = 12;
const ITEMS: usize = THREADS * PER_THREAD;
/// Each item reports UPDATING with values `0..=STEPS` before it succeeds.
const STEPS: i32 = 8;
const ITERATIONS: u64 = 5;

/// The fake enumerates `support::item(1)..=item(ITEMS)`.
fn item_id(index: usize) -> ItemId {
    support::item(index as u128 + 1)
}

/// A small xorshift generator: the test needs no cryptographic randomness,
/// only a different interleaving each run, and the seed to reproduce it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the user thread has finished doing; written after the session
/// call returned, read by the handler threads before they call `Progress`.
struct UserDone {
    cancelled: Vec<AtomicBool>,
    cancel_all: AtomicBool,
}

/// How an item went, as its handler thread saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// The thread never began the item.
    NotBegun,
    /// Answered a cancel; the thread reported STOPPED.
    Stopped,
    /// Every UPDATING answered Continue; the thread reported SUCCEEDED
    /// (and that report was answered with `answer`).
    Succeeded(CancelDecision),
    /// The host refused a call with this code (it never should); the
    /// thread gave up the item and stopped beginning new ones.
    Refused(HResult),
}

struct ItemTrace {
    /// A cancel for the item (or cancel-all) had returned before the thread
    /// began the item.
    cancelled_before_begin: bool,
    seen: Seen,
    /// Every `Progress` call's answer, in order.
    answers: Vec<ProgressAnswer>,
}

/// What the handler's threads share, and what they found. The handler is a
/// [`Fake`] whose `Synchronize` runs [`Threads::work`] on `THREADS` threads
/// against its callback slot.
struct Threads {
    user: Arc<UserDone>,
    running: AtomicBool,
    /// A handler thread received CANCELALL (on any call): no thread begins
    /// a new item (§G.3 #23).
    stop_all: AtomicBool,
    traces: Mutex<Vec<ItemTrace>>,
    /// Calls that began after the user's cancel returned and were not
    /// answered with a cancel.
    lost: Mutex<Vec<String>>,
    /// Calls the host refused (none expected: even §G.3 #23 is answered
    /// CANCELALL).
    refused: Mutex<Vec<(usize, HResult)>>,
    calls: AtomicUsize,
}

impl Threads {
    fn new(user: Arc<UserDone>) -> Self {
        Self {
            user,
            running: AtomicBool::new(false),
            stop_all: AtomicBool::new(false),
            traces: Mutex::new(
                (0..ITEMS)
                    .map(|_| ItemTrace {
                        cancelled_before_begin: false,
                        seen: Seen::NotBegun,
                        answers: Vec::new(),
                    })
                    .collect(),
            ),
            lost: Mutex::default(),
            refused: Mutex::default(),
            calls: AtomicUsize::new(0),
        }
    }

    /// `Progress(index, report)` through `callback`, checking the answer
    /// against what the user thread had finished before the call began, and
    /// noting it in `answers`. A CANCELALL answer stops every thread from
    /// beginning a new item.
    fn progress(
        &self,
        callback: &CallbackSlot,
        index: usize,
        report: &SyncMgrProgress,
        answers: &mut Vec<ProgressAnswer>,
    ) -> ProgressAnswer {
        let cancelled = self.user.cancelled[index].load(Ordering::SeqCst);
        let cancel_all = self.user.cancel_all.load(Ordering::SeqCst);
        let answer = callback
            .progress(item_id(index), Some(report))
            .map_err(|e| e.hresult());
        self.calls.fetch_add(1, Ordering::Relaxed);
        answers.push(answer);
        if answer == Ok(CancelDecision::CancelAll) {
            self.stop_all.store(true, Ordering::SeqCst);
        }
        let expected = if cancel_all {
            Some("CancelAll")
        } else if cancelled {
            Some("CancelItem or CancelAll")
        } else {
            None
        };
        let ok = match answer {
            Ok(CancelDecision::CancelAll) => true,
            Ok(CancelDecision::CancelItem) => !cancel_all,
            Ok(CancelDecision::Continue) => expected.is_none(),
            Err(code) => {
                self.refused.lock().unwrap().push((index, code));
                true
            }
        };
        if !ok {
            self.lost.lock().unwrap().push(format!(
                "item {index}: {report:?} began after the user's cancel returned \
                 (cancel_item: {cancelled}, cancel_all: {cancel_all}) and was answered \
                 {answer:?}, expected {}",
                expected.unwrap_or("-")
            ));
        }
        answer
    }

    /// One handler thread: its items in order, UPDATING with increasing
    /// values; STOPPED on a cancel; no new item after CANCELALL.
    fn work(&self, callback: &CallbackSlot, thread: usize) {
        for index in thread * PER_THREAD..(thread + 1) * PER_THREAD {
            if self.stop_all.load(Ordering::SeqCst) {
                return;
            }
            let cancelled_before_begin = self.user.cancelled[index].load(Ordering::SeqCst)
                || self.user.cancel_all.load(Ordering::SeqCst);
            let mut seen = None;
            let mut answers = Vec::new();
            for value in 0..=STEPS {
                let report = SyncMgrProgress::builder()
                    .status(SyncMgrStatus::Updating)
                    .value(value)
                    .max(STEPS)
                    .build()
                    .expect("a valid report");
                match self.progress(callback, index, &report, &mut answers) {
                    Ok(CancelDecision::Continue) => thread::yield_now(),
                    Ok(_) => {
                        let stopped = SyncMgrProgress::with_status(SyncMgrStatus::Stopped);
                        seen = Some(
                            match self.progress(callback, index, &stopped, &mut answers) {
                                Ok(_) => Seen::Stopped,
                                Err(code) => Seen::Refused(code),
                            },
                        );
                        break;
                    }
                    Err(code) => {
                        // No host should refuse (checked by the caller):
                        // stop beginning items.
                        self.stop_all.store(true, Ordering::SeqCst);
                        seen = Some(Seen::Refused(code));
                        break;
                    }
                }
            }
            let seen = seen.unwrap_or_else(|| {
                let done = SyncMgrProgress::with_status(SyncMgrStatus::Succeeded);
                match self.progress(callback, index, &done, &mut answers) {
                    Ok(answer) => Seen::Succeeded(answer),
                    Err(code) => Seen::Refused(code),
                }
            });
            self.traces.lock().unwrap()[index] = ItemTrace {
                cancelled_before_begin,
                seen,
                answers,
            };
            if matches!(seen, Seen::Refused(_)) {
                return;
            }
        }
    }
}

/// The handler: [`Fake`]'s defaults, with a `Synchronize` that runs
/// `threads` and then completes.
fn threaded_fake(threads: &Arc<Threads>) -> Arc<Fake> {
    let threads = Arc::clone(threads);
    Fake::builder(ITEMS as u128)
        .on_synchronize(move |h| {
            threads.running.store(true, Ordering::SeqCst);
            let threads: &Threads = &threads;
            thread::scope(|scope| {
                for thread in 0..THREADS {
                    scope.spawn(move || threads.work(h.cb(), thread));
                }
            });
            h.cb()
                .synchronize_completed(HResult::S_OK)
                .map_err(support::refused)
        })
        .build()
}

/// The user: cancels random items with short pauses while the handler
/// runs, then cancels everything.
fn user(session: &Session, threads: &Threads, rng: &mut Rng) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !threads.running.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "synchronize never started");
        thread::yield_now();
    }
    let cancels = rng.below(ITEMS as u64 / 2);
    for _ in 0..cancels {
        let index = rng.below(ITEMS as u64) as usize;
        match session.cancel_item(item_id(index), CancelReason::User) {
            Ok(()) => threads.user.cancelled[index].store(true, Ordering::SeqCst),
            // Finished items are not cancelled after the fact (#16 (c)).
            Err(SessionError::ItemFinished(id)) if id == item_id(index) => {}
            Err(other) => panic!("cancel_item({index}): {other}"),
        }
        pause(rng);
    }
    session.cancel_all(CancelReason::User);
    threads.user.cancel_all.store(true, Ordering::SeqCst);
}

fn pause(rng: &mut Rng) {
    let until = Instant::now() + Duration::from_micros(rng.below(150));
    while Instant::now() < until {
        thread::yield_now();
    }
}

/// The UI: snapshots in a loop; each must be a forward move from the last.
fn ui(session: &Session, done: &AtomicBool) -> usize {
    let mut last: Option<SessionSnapshot> = None;
    let mut taken = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let snapshot = session.snapshot();
        taken += 1;
        if let Some(last) = &last {
            assert!(
                last.cancel_all.is_none() || snapshot.cancel_all.is_some(),
                "cancel-all cleared"
            );
            for (before, now) in last.items().zip(snapshot.items()) {
                assert_eq!(before.id(), now.id());
                if before.phase().is_terminal() {
                    assert_eq!(
                        before.phase(),
                        now.phase(),
                        "{} left its final phase",
                        now.id()
                    );
                }
                assert!(
                    before.cancel().is_none() || now.cancel().is_some(),
                    "{} lost its cancel",
                    now.id()
                );
                assert!(
                    before.value() <= now.value(),
                    "{} went back from {:?} to {:?}",
                    now.id(),
                    before.value(),
                    now.value()
                );
            }
        }
        last = Some(snapshot);
        if finished {
            return taken;
        }
    }
}

fn run_once(mode: Mode, seed: u64) {
    let session = Session::new(config(mode));
    let finished: FinishedEvents = Arc::default();
    let started: StartedEvents = Arc::default();
    let (sink, started_sink) = (finished.clone(), started.clone());
    session.subscribe(move |event| match event {
        SessionEvent::ItemFinished {
            item,
            status,
            by_host,
        } => sink
            .lock()
            .unwrap()
            .entry(*item)
            .or_default()
            .push((*status, *by_host)),
        SessionEvent::ItemStarted { item } => {
            *started_sink.lock().unwrap().entry(*item).or_default() += 1;
        }
        _ => {}
    });
    let user_done = Arc::new(UserDone {
        cancelled: (0..ITEMS).map(|_| AtomicBool::new(false)).collect(),
        cancel_all: AtomicBool::new(false),
    });
    let threads = Arc::new(Threads::new(user_done));
    let handler = threaded_fake(&threads);
    let done = Arc::new(AtomicBool::new(false));

    let user_thread = {
        let (session, threads) = (session.clone(), threads.clone());
        thread::spawn(move || user(&session, &threads, &mut Rng(seed)))
    };
    let ui_thread = {
        let (session, done) = (session.clone(), done.clone());
        thread::spawn(move || ui(&session, &done))
    };
    let outcome = session.run(handler);
    // The user thread may still be cancelling once the handler is done; its
    // cancels then change nothing.
    user_thread.join().expect("the user thread");
    done.store(true, Ordering::SeqCst);
    let snapshots = ui_thread.join().expect("the UI thread");
    assert!(snapshots > 0);
    assert!(threads.calls.load(Ordering::Relaxed) > 0);

    let context = format!("{mode:?}, seed {seed:#x}");
    assert_eq!(
        outcome,
        SessionOutcome::Completed {
            code: HResult::S_OK
        },
        "{context}"
    );
    let lost = threads.lost.lock().unwrap();
    assert!(
        lost.is_empty(),
        "{context}: lost cancels:\n{}",
        lost.join("\n")
    );

    let violations = session.violations();
    let refused = threads.refused.lock().unwrap();
    assert!(
        refused.is_empty(),
        "{context}: calls refused (item, code): {refused:?}; violations: {violations:?}"
    );
    // §G.3 #23 is the only violation, and a strict host answers it with
    // CANCELALL. There is no §G.3 #22: it needs a cancel answered to an
    // earlier call naming the same item, and this handler answers every
    // cancel with STOPPED.
    let strict = mode == Mode::Strict;
    let traces = threads.traces.lock().unwrap();
    let mut new_after_cancel_all = HashMap::<ItemId, usize>::new();
    for violation in &violations {
        if violation.rule.number() == 22
            && let Some(index) = (0..ITEMS).find(|&i| violation.item == Some(item_id(i).into()))
        {
            let trace = &traces[index];
            panic!(
                "{context}: {violation}, but the item's calls were answered {:?}: \
                 no call before the UPDATING got a cancel (§G.3 #22 needs this \
                 item's own earlier cancel answer)",
                trace.answers
            );
        }
        assert!(
            violation.rule.number() == 23
                && violation.answered == strict.then_some(HResult::S_SYNCMGR_CANCELALL),
            "{context}: unexpected violation {violation}"
        );
        let Some(syncmgr::ItemKey::Guid(item)) = violation.item else {
            panic!("§G.3 #23 names its item by GUID")
        };
        *new_after_cancel_all.entry(item).or_default() += 1;
    }

    let snapshot = session.snapshot();
    let mut finished = finished.lock().unwrap();
    let mut started = started.lock().unwrap();
    assert_eq!(snapshot.len(), ITEMS, "{context}");
    for (index, (item, trace)) in snapshot.items().zip(traces.iter()).enumerate() {
        assert_eq!(item.id(), item_id(index));
        let context = format!("{context}, item {index} ({:?})", trace.seen);
        assert!(
            matches!(item.phase(), ItemPhase::Succeeded | ItemPhase::Stopped),
            "{context}: ends {:?}",
            item.phase()
        );
        let events = finished.remove(&item.id()).unwrap_or_default();
        assert_eq!(
            events,
            [(item.phase().status(), item.finished_by_host())],
            "{context}: exactly one ItemFinished, agreeing with the snapshot"
        );
        if trace.cancelled_before_begin {
            assert_eq!(
                item.phase(),
                ItemPhase::Stopped,
                "{context}: cancelled before it began, yet not stopped"
            );
        }
        let starts = started.remove(&item.id()).unwrap_or_default();
        let new_item_calls = new_after_cancel_all.remove(&item.id()).unwrap_or_default();
        if new_item_calls > 0 {
            // §G.3 #23: the item's first call came after CANCELALL went to
            // another thread. It is answered CANCELALL and the thread
            // answers with STOPPED. A strict host applies neither call
            // (both break #23) and stops the never-started item itself; a
            // lenient host records the first call only and applies both.
            let cancel_all = Ok(CancelDecision::CancelAll);
            assert_eq!(trace.seen, Seen::Stopped, "{context}");
            assert_eq!(trace.answers, [cancel_all, cancel_all], "{context}");
            let (calls, by_host, starts_expected) =
                if strict { (2, true, 0) } else { (1, false, 1) };
            assert_eq!(new_item_calls, calls, "{context}: §G.3 #23 violations");
            assert_eq!(
                (item.phase(), item.finished_by_host()),
                (ItemPhase::Stopped, by_host),
                "{context}"
            );
            assert_eq!(starts, starts_expected, "{context}: ItemStarted events");
        } else {
            match trace.seen {
                Seen::Stopped => assert_eq!(
                    (item.phase(), item.finished_by_host()),
                    (ItemPhase::Stopped, false),
                    "{context}"
                ),
                // The SUCCEEDED follows only Continue answers, so it is
                // applied whatever it is answered (§G.3 #22 needs an
                // earlier cancel answer for this item).
                Seen::Succeeded(_) => assert_eq!(
                    (item.phase(), item.finished_by_host()),
                    (ItemPhase::Succeeded, false),
                    "{context}"
                ),
                Seen::NotBegun => assert_eq!(
                    (item.phase(), item.finished_by_host()),
                    (ItemPhase::Stopped, true),
                    "{context}"
                ),
                Seen::Refused(code) => panic!("{context}: refused with {code}"),
            }
            let starts_expected = usize::from(trace.seen != Seen::NotBegun);
            assert_eq!(starts, starts_expected, "{context}: ItemStarted events");
        }
        if item.finished_by_host() {
            assert!(
                item.cancel().is_some(),
                "{context}: finished by the host uncancelled"
            );
        }
    }
    assert!(
        new_after_cancel_all.is_empty(),
        "{context}: §G.3 #23 for unknown items {new_after_cancel_all:?}"
    );
    assert!(
        started.is_empty(),
        "{context}: ItemStarted for unknown items {started:?}"
    );
    assert!(
        finished.is_empty(),
        "{context}: events for unknown items {finished:?}"
    );
}

fn seed(iteration: u64) -> u64 {
    // Miri's isolation has no wall clock (and its runs are deterministic).
    let nanos = if cfg!(miri) {
        0
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos().into())
    };
    (nanos ^ (iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15))) | 1
}

#[test]
fn eight_threads_report_while_the_user_cancels_strict() {
    for iteration in 0..ITERATIONS {
        let seed = seed(iteration);
        within(
            60,
            &format!("strict run {iteration}, seed {seed:#x}"),
            move || {
                run_once(Mode::Strict, seed);
            },
        );
    }
}

#[test]
fn eight_threads_report_while_the_user_cancels_lenient() {
    for iteration in 0..ITERATIONS {
        let seed = seed(iteration);
        within(
            60,
            &format!("lenient run {iteration}, seed {seed:#x}"),
            move || {
                run_once(Mode::Lenient, seed);
            },
        );
    }
}
