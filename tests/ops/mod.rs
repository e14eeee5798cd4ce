//! The standing property of issue 18: **a correct handler is never blamed.**
//!
//! A [`Scenario`] is read from bytes (so that proptest, the fuzz target
//! `fuzz_targets/operations.rs` and the stress test share one generator and
//! one oracle). It describes a handler that uses only [`ProgressReporter`],
//! correctly, on one to three worker threads, with every user request
//! (cancel one item, cancel all, skip, snapshot) at any moment — on the
//! workers themselves, inside `PrepareForSync`, and on a user thread that
//! runs concurrently — completions early (inside the call) and late (from a
//! thread after it returned), and callbacks replaced and released (and
//! registered again) while other threads report.
//!
//! [`run`] drives it through a [`Session`] and [`Verdict::check`] asserts:
//!
//! 1. the conformance report is clean, and the session completed;
//! 2. every item of the set ends in exactly one terminal state (one
//!    `ItemFinished` event), which the handler or the host can justify: the
//!    terminal status the handler reported and the host accepted, or, for an
//!    item the handler gave up, the host's `Stopped` (cancelled or skipped)
//!    or `Failed`;
//! 3. nothing the user asked for is lost: once a cancel, a skip or a
//!    cancel-all has been accepted, every non-terminal `Progress` call for
//!    that item (any item, for cancel-all) that *begins afterwards* is
//!    answered with a cancel;
//! 4. no panic, no deadlock (the caller runs it under a watchdog), and the
//!    handler never gets an error a correct handler could not expect (only
//!    cancels, and `NoCallback` while its own callback is released).
//!
//! The module depends on nothing but `syncmgr` and `std`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, CancelReason, Cancelled, HResult, HandlerAnswer,
    HandlerError, HandlerInfo, ItemEnumeration, ItemId, ItemPhase, ItemReporter, Mode,
    ProgressReporter, ReportError, Rule, Session, SessionConfig, SessionEvent, SessionOutcome,
    SyncCallback, SyncHandler, SyncItem, SyncMgrFlags, SyncMgrProgress, SyncMgrStatus,
    WindowHandle,
};

/// At most this many items.
pub const MAX_ITEMS: usize = 4;
/// At most this many worker threads.
pub const MAX_WORKERS: usize = 3;

/// Reads a scenario's choices; past the end every byte reads 0.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let byte = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }

    fn left(&self) -> bool {
        self.at < self.data.len()
    }
}

/// A user request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum User {
    /// `Session::cancel_item`.
    CancelItem(usize),
    /// `Session::cancel_all`.
    CancelAll,
    /// `Session::skip_item`.
    Skip(usize),
    /// `Session::snapshot`.
    Snapshot,
}

/// One step a worker takes on its current item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Report the value, this much higher (never above the maximum).
    Value(u64),
    /// Report a status text.
    Text,
    /// `Progress(item, NULL)`.
    Poll,
    /// Drop the item's reporter unfinished and begin the item again.
    Drop,
    /// Replace the callback with a new one (the same host behind it).
    Replace,
    /// Release the callback and register it again; reports in between fail
    /// with `NoCallback`.
    Release,
    /// A user request, made on this thread.
    User(User),
    /// Let another thread run.
    Yield,
}

/// How a worker ends an item it was not told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// `finish(SUCCEEDED)`.
    Succeeded,
    /// `finish(FAILED)`.
    Failed,
    /// `finish(DELETED)` (refused after a skip: then the item is begun
    /// again, which sends the `SKIPPED` it owes).
    Deleted,
    /// Leave it unfinished: the host finishes it.
    Abandon,
}

/// When a `*Completed` call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Inside the call, before it returns.
    Inside,
    /// From another thread, after the call returned.
    After,
}

/// What one worker does with one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The item (an index).
    pub item: usize,
    /// Its maximum.
    pub max: u64,
    /// Its steps.
    pub ops: Vec<Op>,
    /// How it ends.
    pub finish: Finish,
}

/// One run: the handler's behaviour and the user's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Strict or lenient host.
    pub mode: Mode,
    /// How many items the handler enumerates.
    pub items: usize,
    /// Each worker's items, in order.
    pub workers: Vec<Vec<Plan>>,
    /// When `PrepareForSyncCompleted` comes.
    pub prepare: When,
    /// When `SynchronizeCompleted` comes (the workers run inside
    /// `Synchronize`, or on threads after it returned).
    pub synchronize: When,
    /// User requests made inside `PrepareForSync`.
    pub during_prepare: Vec<User>,
    /// User requests made by a user thread while the session runs.
    pub user_thread: Vec<User>,
    /// A thread that replaces the handler's callback over and over (and now
    /// and then releases and registers it again) while the workers run.
    pub replacer: bool,
    /// A thread that polls snapshots while the session runs and checks that
    /// a finished item stays finished, with the same phase.
    pub poller: bool,
}

impl Scenario {
    /// Read a scenario from `data` (any bytes make one).
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut b = Bytes { data, at: 0 };
        let mode = if b.below(4) == 0 {
            Mode::Lenient
        } else {
            Mode::Strict
        };
        let items = 1 + b.below(MAX_ITEMS);
        let workers = 1 + b.below(MAX_WORKERS);
        let when = |b: &mut Bytes<'_>| {
            if b.below(2) == 0 {
                When::Inside
            } else {
                When::After
            }
        };
        let prepare = when(&mut b);
        let synchronize = when(&mut b);
        let user = |b: &mut Bytes<'_>| match b.below(8) {
            0 | 1 => User::CancelItem(b.below(items)),
            2 => User::CancelAll,
            3..=5 => User::Skip(b.below(items)),
            _ => User::Snapshot,
        };
        let requests = |b: &mut Bytes<'_>, most: usize| {
            let count = b.below(most + 1);
            (0..count).map(|_| user(b)).collect::<Vec<_>>()
        };
        let during_prepare = requests(&mut b, 2);
        let user_thread = requests(&mut b, 4);
        let mut plans: Vec<Vec<Plan>> = vec![Vec::new(); workers];
        for item in 0..items {
            let max = 1 + b.below(20) as u64;
            let count = b.below(7);
            let ops = (0..count)
                .map(|_| match b.below(16) {
                    0..=4 => Op::Value(b.below(8) as u64),
                    5 => Op::Text,
                    6 => Op::Poll,
                    7 => Op::Drop,
                    8 => Op::Replace,
                    9 => Op::Release,
                    10..=12 => Op::User(user(&mut b)),
                    _ => Op::Yield,
                })
                .collect();
            let finish = match b.below(8) {
                0 => Finish::Failed,
                1 => Finish::Deleted,
                2 => Finish::Abandon,
                _ => Finish::Succeeded,
            };
            let worker = b.below(workers);
            plans[worker].push(Plan {
                item,
                max,
                ops,
                finish,
            });
        }
        let _ = b.left();
        Self {
            mode,
            items,
            workers: plans,
            prepare,
            synchronize,
            during_prepare,
            user_thread,
            replacer: false,
            poller: false,
        }
    }

    /// The stress scenario: `workers` reporting threads with `per_worker`
    /// items each, reporting every value up to 10; a user thread that cancels
    /// items one by one (and everything in one round of four); a replacer
    /// and a snapshot poller. `round` varies which items are cancelled and
    /// when.
    pub fn stress(round: u64, workers: usize, per_worker: usize) -> Self {
        let items = workers * per_worker;
        // A small linear congruential generator: reproducible per round.
        let mut state = round
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let plans = (0..workers)
            .map(|w| {
                (0..per_worker)
                    .map(|k| Plan {
                        item: w * per_worker + k,
                        max: 10,
                        ops: (0..10)
                            .map(|_| match next(20) {
                                0 => Op::Poll,
                                1 => Op::Yield,
                                _ => Op::Value(1),
                            })
                            .collect(),
                        finish: Finish::Succeeded,
                    })
                    .collect()
            })
            .collect();
        let mut user_thread: Vec<User> = (0..items / 4)
            .map(|_| match next(4) {
                0 => User::Snapshot,
                _ => User::CancelItem(next(items)),
            })
            .collect();
        if round % 4 == 3 {
            let at = next(user_thread.len() + 1);
            user_thread.insert(at, User::CancelAll);
        }
        Self {
            mode: Mode::Strict,
            items,
            workers: plans,
            prepare: When::Inside,
            synchronize: if round.is_multiple_of(2) {
                When::Inside
            } else {
                When::After
            },
            during_prepare: Vec::new(),
            user_thread,
            replacer: true,
            poller: true,
        }
    }

    fn ids(&self) -> Vec<ItemId> {
        (0..self.items).map(id).collect()
    }
}

/// The id of item `index` (never the null id).
pub fn id(index: usize) -> ItemId {
    ItemId::from_u128(0x5EED_0000 + index as u128 + 1)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// One `Progress` call as the handler made it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// When it began.
    pub seq: u64,
    /// The item.
    pub item: ItemId,
    /// The status it reported, if any.
    pub status: Option<SyncMgrStatus>,
    /// The answer.
    pub answer: Result<CancelDecision, CallbackError>,
}

/// One user request the session accepted.
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    /// When it had returned.
    pub seq: u64,
    /// What it was (`None` item: cancel-all).
    pub item: Option<ItemId>,
}

/// What the run recorded, in one clock.
#[derive(Default)]
pub struct Log {
    clock: AtomicU64,
    /// Every `Progress` call.
    pub calls: Mutex<Vec<CallRecord>>,
    /// Every accepted cancel, skip and cancel-all.
    pub accepted: Mutex<Vec<Accepted>>,
    /// Errors a correct handler should never see.
    pub unexpected: Mutex<Vec<String>>,
    /// `ItemFinished` events per item.
    pub finished: Mutex<HashMap<ItemId, usize>>,
    /// Callback replacements (the replacer thread's and the workers').
    pub replaced: AtomicU64,
    /// Snapshots the poller took.
    pub snapshots: AtomicU64,
    /// When the handler began its `SynchronizeCompleted` (the host finishes
    /// the items it left only after that).
    pub completing: AtomicU64,
}

impl Log {
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    fn unexpected(&self, what: String) {
        lock(&self.unexpected).push(what);
    }
}

/// The callback the reporter is given: the host's, recording every
/// `Progress` call with the moment it began.
struct Spy {
    host: Arc<dyn SyncCallback>,
    log: Arc<Log>,
}

impl SyncCallback for Spy {
    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.host.prepare_for_sync_completed(outcome)
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.host.synchronize_completed(outcome)
    }

    fn progress(
        &self,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        let seq = self.log.tick();
        let answer = self.host.progress(item, report);
        lock(&self.log.calls).push(CallRecord {
            seq,
            item,
            status: report.and_then(SyncMgrProgress::status),
            answer: answer.clone(),
        });
        answer
    }
}

/// The handler: a [`ProgressReporter`] and the scenario.
struct Handler {
    scenario: Scenario,
    reporter: ProgressReporter,
    /// The host's callback while registered (to replace and register again).
    host: Mutex<Option<Arc<dyn SyncCallback>>>,
    /// Serializes the handler's own callback changes (replace, release and
    /// register again) so that it always holds exactly one callback.
    changing: Mutex<()>,
    log: Arc<Log>,
    /// The user's side, for requests made on handler threads.
    user: Mutex<Option<Session>>,
    /// Threads the handler started (late completions).
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl Handler {
    fn spy(&self) -> Option<Arc<dyn SyncCallback>> {
        lock(&self.host).clone().map(|host| {
            Arc::new(Spy {
                host,
                log: self.log.clone(),
            }) as Arc<dyn SyncCallback>
        })
    }

    fn request(&self, request: User) {
        let session = lock(&self.user).clone();
        if let Some(session) = session {
            make_request(&session, &self.log, request);
        }
    }

    fn complete(&self, prepare: bool) {
        if !prepare {
            let seq = self.log.tick();
            self.log.completing.store(seq, Ordering::SeqCst);
        }
        // Not while another thread of the handler changes the callback.
        let _changing = lock(&self.changing);
        let slot: &CallbackSlot = self.reporter.slot();
        let result = if prepare {
            slot.prepare_for_sync_completed(HResult::S_OK)
        } else {
            slot.synchronize_completed(HResult::S_OK)
        };
        if let Err(error) = result {
            self.log
                .unexpected(format!("a completion was refused: {error}"));
        }
    }

    /// Replace the callback with a new one (the same host behind it); with
    /// `release`, release it first and register it again after a moment.
    fn replace(&self, release: bool) {
        let _changing = lock(&self.changing);
        if let Some(spy) = self.spy() {
            if release {
                self.reporter.set_callback(None);
                thread::yield_now();
            }
            self.reporter.set_callback(Some(spy));
            self.log.replaced.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Work through one worker's plans.
    fn work(&self, plans: &[Plan]) {
        for plan in plans {
            if !self.work_item(plan) {
                return; // cancel-all: no new item
            }
        }
    }

    /// False after cancel-all.
    fn work_item(&self, plan: &Plan) -> bool {
        let item = id(plan.item);
        let mut value = 0;
        let mut next = 0;
        // Each attempt begins the item (again); a refused host call or a
        // `Drop` step leaves it unfinished, and the next attempt picks it up.
        for _attempt in 0..4 {
            let reporter = match self.reporter.begin_with_max(item, plan.max) {
                Ok(reporter) => reporter,
                Err(error) => match self.stopped(item, &error) {
                    Some(go_on) => return go_on,
                    None => continue,
                },
            };
            match self.steps(plan, &reporter, &mut value, &mut next) {
                Step::Done(go_on) => return go_on,
                Step::Again => continue,
                Step::Finish => {}
            }
            let status = match plan.finish {
                Finish::Succeeded => SyncMgrStatus::Succeeded,
                Finish::Failed => SyncMgrStatus::Failed,
                Finish::Deleted => SyncMgrStatus::Deleted,
                Finish::Abandon => return true,
            };
            match reporter.finish(status) {
                Ok(()) => return true,
                // DELETED after a skip: begin again to acknowledge the skip.
                Err(ReportError::Phase(v)) if v.rule == Rule::SKIP_WINDOW => continue,
                Err(error) => match self.stopped(item, &error) {
                    Some(go_on) => return go_on,
                    None => continue,
                },
            }
        }
        true // given up: the host finishes it
    }

    fn steps(
        &self,
        plan: &Plan,
        reporter: &ItemReporter<'_>,
        value: &mut u64,
        next: &mut usize,
    ) -> Step {
        let item = id(plan.item);
        while let Some(&op) = plan.ops.get(*next) {
            *next += 1;
            let result = match op {
                Op::Value(step) => {
                    *value = (*value + step).min(plan.max);
                    reporter.value(*value)
                }
                Op::Text => reporter.text("working"),
                Op::Poll => reporter.poll(),
                Op::Drop => return Step::Again,
                Op::Replace => {
                    self.replace(false);
                    Ok(())
                }
                Op::Release => {
                    self.replace(true);
                    Ok(())
                }
                Op::User(request) => {
                    self.request(request);
                    Ok(())
                }
                Op::Yield => {
                    thread::yield_now();
                    Ok(())
                }
            };
            if let Err(error) = result {
                return match self.stopped(item, &error) {
                    Some(go_on) => Step::Done(go_on),
                    None => Step::Again,
                };
            }
        }
        Step::Finish
    }

    /// What an error means for a correct handler: `Some(go on with other
    /// items)` when the item is over, `None` to try the item again.
    fn stopped(&self, item: ItemId, error: &ReportError) -> Option<bool> {
        match error {
            ReportError::Cancelled(Cancelled::Item(_)) => Some(true),
            ReportError::Cancelled(Cancelled::All) => Some(false),
            // The handler released its own callback for a moment.
            ReportError::Host(CallbackError::NoCallback) => None,
            other => {
                self.log
                    .unexpected(format!("item {item}: a correct handler got {other:?}"));
                Some(true)
            }
        }
    }

    fn run_workers(self: &Arc<Self>) {
        let workers: Vec<_> = self
            .scenario
            .workers
            .iter()
            .filter(|plans| !plans.is_empty())
            .cloned()
            .map(|plans| {
                let me = Arc::clone(self);
                thread::spawn(move || me.work(&plans))
            })
            .collect();
        for worker in workers {
            if worker.join().is_err() {
                self.log.unexpected("a worker panicked".into());
            }
        }
    }
}

enum Step {
    /// The item is over; `false` after cancel-all.
    Done(bool),
    /// Begin the item again.
    Again,
    /// Steps done: finish the item.
    Finish,
}

/// The `SyncHandler` around [`Handler`] (which threads share).
struct Facade(Arc<Handler>);

impl SyncHandler for Facade {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("correct").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        let items = self
            .0
            .scenario
            .ids()
            .into_iter()
            .enumerate()
            .map(|(n, id)| SyncItem::new(id, format!("item {n}")).expect("a valid item"));
        Ok(ItemEnumeration::complete(items.collect::<Vec<_>>()))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        let _changing = lock(&self.0.changing);
        *lock(&self.0.host) = callback;
        let spy = self.0.spy();
        self.0.reporter.set_callback(spy);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        let me = &self.0;
        for &request in &me.scenario.during_prepare {
            me.request(request);
        }
        match me.scenario.prepare {
            When::Inside => me.complete(true),
            When::After => {
                let late = Arc::clone(me);
                lock(&me.threads).push(thread::spawn(move || late.complete(true)));
            }
        }
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        let me = &self.0;
        match me.scenario.synchronize {
            When::Inside => {
                me.run_workers();
                me.complete(false);
            }
            When::After => {
                let late = Arc::clone(me);
                lock(&me.threads).push(thread::spawn(move || {
                    late.run_workers();
                    late.complete(false);
                }));
            }
        }
        Ok(())
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status == SyncMgrStatus::Skipped {
            self.0.reporter.skip(item);
        }
        Ok(())
    }
}

/// Make a user request; record it if the session accepted it.
fn make_request(session: &Session, log: &Log, request: User) {
    let item = match request {
        User::CancelItem(index) => session
            .cancel_item(id(index), CancelReason::User)
            .ok()
            .map(|()| Some(id(index))),
        User::Skip(index) => session.skip_item(id(index)).ok().map(|_| Some(id(index))),
        User::CancelAll => {
            session.cancel_all(CancelReason::User);
            Some(None)
        }
        User::Snapshot => {
            let snapshot = session.snapshot();
            assert!(
                snapshot
                    .items()
                    .all(|i| i.in_sync_set() || !i.phase().is_terminal())
            );
            None
        }
    };
    if let Some(item) = item {
        let seq = log.tick();
        lock(&log.accepted).push(Accepted { seq, item });
    }
}

/// What a run produced, for [`Verdict::check`].
pub struct Verdict {
    /// The scenario.
    pub scenario: Scenario,
    /// The session's outcome.
    pub outcome: SessionOutcome,
    /// The session, after release.
    pub session: Session,
    /// What the handler and the user recorded.
    pub log: Arc<Log>,
}

/// Drive `scenario` through a session.
pub fn run(scenario: &Scenario) -> Verdict {
    let session = Session::new(
        SessionConfig::new(scenario.mode)
            .with_completion_timeout(Duration::from_secs(if cfg!(miri) { 600 } else { 60 })),
    );
    let log = Arc::new(Log::default());
    let finished = Arc::clone(&log);
    session.subscribe(move |event| {
        if let SessionEvent::ItemFinished { item, .. } = event {
            *lock(&finished.finished).entry(*item).or_default() += 1;
        }
    });
    let handler = Arc::new(Handler {
        scenario: scenario.clone(),
        reporter: ProgressReporter::new(),
        host: Mutex::new(None),
        changing: Mutex::new(()),
        log: Arc::clone(&log),
        user: Mutex::new(Some(session.clone())),
        threads: Mutex::default(),
    });
    let user = {
        let (session, log, requests) = (
            session.clone(),
            Arc::clone(&log),
            scenario.user_thread.clone(),
        );
        thread::spawn(move || {
            for request in requests {
                thread::yield_now();
                make_request(&session, &log, request);
            }
        })
    };
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let replacer = scenario.replacer.then(|| {
        let (handler, done) = (Arc::clone(&handler), Arc::clone(&done));
        thread::spawn(move || {
            let mut turn = 0u32;
            while !done.load(Ordering::SeqCst) {
                turn += 1;
                handler.replace(turn.is_multiple_of(16));
                thread::yield_now();
            }
        })
    });
    let poller = scenario.poller.then(|| {
        let (session, done, log) = (session.clone(), Arc::clone(&done), Arc::clone(&log));
        thread::spawn(move || {
            let mut finished: HashMap<ItemId, ItemPhase> = HashMap::new();
            let mut view = session.snapshot();
            while !done.load(Ordering::SeqCst) {
                session.snapshot_into(&mut view);
                log.snapshots.fetch_add(1, Ordering::Relaxed);
                for item in view.items().filter(|i| i.phase().is_terminal()) {
                    let first = *finished.entry(item.id()).or_insert(item.phase());
                    assert_eq!(first, item.phase(), "a finished item changed: {item:?}");
                }
                thread::yield_now();
            }
        })
    });
    let outcome = session.run(Arc::new(Facade(Arc::clone(&handler))));
    user.join().expect("the user thread");
    for late in std::mem::take(&mut *lock(&handler.threads)) {
        late.join().expect("a handler thread");
    }
    done.store(true, Ordering::SeqCst);
    for helper in [replacer, poller].into_iter().flatten() {
        helper.join().expect("the replacer or the poller panicked");
    }
    // The handler's hold on the session (user requests) ends with the run.
    lock(&handler.user).take();
    Verdict {
        scenario: scenario.clone(),
        outcome,
        session,
        log,
    }
}

impl Verdict {
    /// Assert the property; the message names what broke.
    pub fn check(&self) {
        let scenario = &self.scenario;
        let log = &self.log;
        let unexpected = lock(&log.unexpected).clone();
        assert!(unexpected.is_empty(), "{unexpected:?}\n{scenario:#?}");
        let violations: Vec<_> = self.session.violations().into_iter().collect();
        assert!(
            violations.is_empty(),
            "a correct handler was blamed: {violations:#?}\n{scenario:#?}"
        );
        assert_eq!(
            self.outcome,
            SessionOutcome::Completed {
                code: HResult::S_OK
            },
            "{scenario:#?}"
        );

        let calls = lock(&log.calls).clone();
        let accepted = lock(&log.accepted).clone();
        let finished = lock(&log.finished).clone();
        let snapshot = self.session.snapshot();
        for item in snapshot.sync_set() {
            // Exactly one terminal state.
            assert!(item.phase().is_terminal(), "{item:?}\n{scenario:#?}");
            assert_eq!(
                finished.get(&item.id()),
                Some(&1),
                "one ItemFinished for {item:?}\n{scenario:#?}"
            );
            // Justified by the handler or the host.
            let accepted_terminal: Vec<(SyncMgrStatus, CancelDecision)> = calls
                .iter()
                .filter(|c| c.item == item.id())
                .filter_map(|c| {
                    let status = c.status.filter(|s| s.is_terminal())?;
                    Some((status, c.answer.clone().ok()?))
                })
                .collect();
            match accepted_terminal.as_slice() {
                [] => {
                    assert!(item.finished_by_host(), "{item:?}\n{scenario:#?}");
                    // The host finishes the items the handler left after the
                    // completion; a request accepted before the handler began
                    // it was seen then. A later one may or may not have been
                    // (a request for an item already finished is refused).
                    let completing = log.completing.load(Ordering::SeqCst);
                    let requests = accepted
                        .iter()
                        .filter(|r| r.item.is_none_or(|i| i == item.id()));
                    let (early, late) = requests.fold((false, false), |(e, l), r| {
                        (e || r.seq < completing, l || r.seq > completing)
                    });
                    let expected: &[ItemPhase] = match (early, late) {
                        // Skipped before it was opened: Skipped; cancelled:
                        // Stopped.
                        (true, _) => &[ItemPhase::Stopped, ItemPhase::Skipped],
                        (false, true) => {
                            &[ItemPhase::Stopped, ItemPhase::Skipped, ItemPhase::Failed]
                        }
                        (false, false) => &[ItemPhase::Failed],
                    };
                    assert!(
                        expected.contains(&item.phase()),
                        "{item:?} ended {:?}\n{scenario:#?}",
                        item.phase()
                    );
                }
                [(status, _)] => {
                    assert!(
                        !item.finished_by_host(),
                        "{item:?} {accepted_terminal:?}\n{scenario:#?}"
                    );
                    assert_eq!(
                        item.phase(),
                        ItemPhase::of(*status),
                        "{item:?}\n{scenario:#?}"
                    );
                }
                more => panic!(
                    "{} terminal reports accepted: {more:?}\n{scenario:#?}",
                    more.len()
                ),
            }
        }
        // Nothing the user asked for is lost.
        for request in &accepted {
            for call in calls.iter().filter(|c| c.seq > request.seq) {
                let concerned = request.item.is_none_or(|item| item == call.item);
                let terminal = call.status.is_some_and(SyncMgrStatus::is_terminal);
                if concerned && !terminal {
                    assert!(
                        matches!(
                            call.answer,
                            Ok(CancelDecision::CancelItem | CancelDecision::CancelAll)
                        ),
                        "{request:?} was not seen by {call:?}\n{scenario:#?}"
                    );
                }
            }
        }
    }
}
