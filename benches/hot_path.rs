//! The hot path, measured against the physical floor and against what a user
//! would otherwise write, in one run (see BENCHMARKS.md for the targets and
//! `scripts/bench-report.sh` for the table of ratios).
//!
//! | group / function | what one iteration is |
//! |---|---|
//! | `cancel_check/atomic_load` | a bare `AtomicBool::load(Acquire)`: the floor |
//! | `cancel_check/tokio_util` | `CancellationToken::is_cancelled` on a child token |
//! | `cancel_check/syncmgr` | `ItemReporter::is_cancelled`: the handler's per-item check |
//! | `progress/dyn_slot` | read a `parking_lot::RwLock<Option<Arc<dyn Fn>>>`, clone, call |
//! | `progress/naive_mutex_hashmap` | a host with `Mutex<HashMap<Uuid, ItemState>>`: update the item, answer a decision |
//! | `progress/syncmgr` | `ItemReporter::value`: reporter → slot → session → item update → `CancelDecision` back |
//! | `progress_2threads/*` | the same report from two threads on distinct items; one iteration is one report |
//! | `lifecycle/replace` | `CallbackSlot::set(Some(..))` over a held callback |
//! | `lifecycle/report` | `CallbackSlot::progress` on a trivial callback (the slot's own cost) |
//! | `lifecycle/report_during_replace` | the same while another thread replaces the callback without pause |

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, ItemId, ItemReporter, ProgressReporter,
    SyncCallback, SyncMgrProgress, SyncMgrStatus,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use common::{Running, item};

/// Items in the sessions and maps of the progress benches.
const ITEMS: usize = 1_000;

fn cancel_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("cancel_check");
    let flag = AtomicBool::new(false);
    group.bench_function("atomic_load", |b| {
        b.iter(|| black_box(&flag).load(Ordering::Acquire));
    });
    let parent = CancellationToken::new();
    let child = parent.child_token();
    group.bench_function("tokio_util", |b| {
        b.iter(|| black_box(&child).is_cancelled());
    });
    let running = Running::start(ITEMS);
    {
        let reporter = &running.handler.reporter;
        let open = reporter.begin(item(0)).expect("the item opens");
        group.bench_function("syncmgr", |b| {
            b.iter(|| black_box(&open).is_cancelled());
        });
        assert!(!open.is_cancelled());
        open.finish(SyncMgrStatus::Succeeded)
            .expect("the item finishes");
    }
    group.finish();
    running.finish();
    drop(parent);
}

/// Reports increasing values on one item; moves to the next item before the
/// value could overflow.
struct Reporting<'a> {
    reporter: &'a ProgressReporter,
    next: usize,
    open: Option<ItemReporter<'a>>,
    value: u64,
}

impl<'a> Reporting<'a> {
    fn new(reporter: &'a ProgressReporter, first: usize) -> Self {
        Self {
            reporter,
            next: first,
            open: None,
            value: 0,
        }
    }

    #[inline]
    fn step(&mut self) {
        self.value += 1;
        if self.value == i32::MAX as u64 || self.open.is_none() {
            self.turn();
        }
        let decision = self.open.as_ref().map(|open| open.value(self.value));
        assert!(matches!(decision, Some(Ok(()))), "{decision:?}");
    }

    #[cold]
    fn turn(&mut self) {
        if let Some(open) = self.open.take() {
            open.finish(SyncMgrStatus::Succeeded)
                .expect("the item finishes");
        }
        self.open = Some(
            self.reporter
                .begin_with_max(item(self.next), i32::MAX as u64)
                .expect("the item opens"),
        );
        self.next += 1;
        self.value = 1;
    }

    fn finish(mut self) {
        if let Some(open) = self.open.take() {
            open.finish(SyncMgrStatus::Succeeded)
                .expect("the item finishes");
        }
    }
}

/// What a user would otherwise write: one mutex around a map of items.
#[derive(Default)]
struct NaiveItem {
    value: i32,
    max: i32,
    status: u8,
    cancel: bool,
}

trait NaiveCallback: Send + Sync {
    fn progress(&self, item: Uuid, value: i32) -> CancelDecision;
}

struct NaiveHost {
    cancel_all: bool,
    items: Mutex<HashMap<Uuid, NaiveItem>>,
}

impl NaiveHost {
    fn new(count: usize) -> Self {
        let items = (0..count)
            .map(|n| {
                let state = NaiveItem {
                    max: i32::MAX,
                    ..NaiveItem::default()
                };
                (naive_item(n), state)
            })
            .collect();
        Self {
            cancel_all: false,
            items: Mutex::new(items),
        }
    }
}

impl NaiveCallback for NaiveHost {
    fn progress(&self, item: Uuid, value: i32) -> CancelDecision {
        let mut items = self.items.lock().expect("not poisoned");
        let Some(state) = items.get_mut(&item) else {
            return CancelDecision::Continue;
        };
        if value >= state.value && value <= state.max {
            state.value = value;
            state.status = 1;
        }
        if self.cancel_all {
            CancelDecision::CancelAll
        } else if state.cancel {
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        }
    }
}

fn naive_item(n: usize) -> Uuid {
    *item(n).as_uuid()
}

type DynCallback = Arc<dyn Fn(ItemId, i32) -> CancelDecision + Send + Sync>;

fn progress(c: &mut Criterion) {
    let mut group = c.benchmark_group("progress");

    let slot: parking_lot::RwLock<Option<DynCallback>> =
        parking_lot::RwLock::new(Some(Arc::new(|item: ItemId, value: i32| {
            if item.is_null() && value < 0 {
                CancelDecision::CancelAll
            } else {
                CancelDecision::Continue
            }
        })));
    group.bench_function("dyn_slot", |b| {
        let mut value = 0;
        b.iter(|| {
            value += 1;
            let callback = black_box(&slot).read().clone();
            callback.map(|f| f(black_box(item(0)), value))
        });
    });

    let host: Arc<dyn NaiveCallback> = Arc::new(NaiveHost::new(ITEMS));
    group.bench_function("naive_mutex_hashmap", |b| {
        let id = naive_item(0);
        let mut value = 0;
        b.iter(|| {
            value += 1;
            black_box(&host).progress(black_box(id), value)
        });
    });

    let running = Running::start(ITEMS);
    // One reporting state for every call of the closure (warm-up and
    // samples), so an item is never begun twice.
    let mut reporting = Reporting::new(&running.handler.reporter, 0);
    group.bench_function("syncmgr", |b| {
        b.iter(|| reporting.step());
    });
    group.finish();
    reporting.finish();
    running.finish();
}

/// Two worker threads that each run `work(worker, iterations)` when told,
/// timed together from the start signal until both are done.
fn two_threads<W>(c: &mut Criterion, name: &str, work: W)
where
    W: Fn(usize, &dyn Fn(&mut dyn FnMut())) + Sync,
{
    let start = Barrier::new(3);
    let done = Barrier::new(3);
    let iterations = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        for worker in 0..2 {
            let (start, done, iterations, stop, work) = (&start, &done, &iterations, &stop, &work);
            scope.spawn(move || {
                work(worker, &|step: &mut dyn FnMut()| {
                    loop {
                        start.wait();
                        if stop.load(Ordering::Acquire) {
                            return;
                        }
                        let n = iterations.load(Ordering::Acquire);
                        // Half of the reports each: one iteration is one report.
                        for _ in 0..n.div_ceil(2) {
                            step();
                        }
                        done.wait();
                    }
                });
            });
        }
        let mut group = c.benchmark_group("progress_2threads");
        group.bench_function(name, |b| {
            b.iter_custom(|n| {
                iterations.store(n, Ordering::Release);
                let began = Instant::now();
                start.wait();
                done.wait();
                began.elapsed()
            });
        });
        group.finish();
        stop.store(true, Ordering::Release);
        start.wait();
    });
}

fn progress_2threads(c: &mut Criterion) {
    let host: Arc<dyn NaiveCallback> = Arc::new(NaiveHost::new(ITEMS));
    two_threads(c, "naive_mutex_hashmap", |worker, run| {
        let id = naive_item(worker * ITEMS / 2);
        let mut value = 0;
        run(&mut || {
            value += 1;
            black_box(black_box(&host).progress(black_box(id), value));
        });
    });

    let running = Running::start(ITEMS);
    two_threads(c, "syncmgr", |worker, run| {
        let mut reporting = Reporting::new(&running.handler.reporter, worker * ITEMS / 2);
        run(&mut || reporting.step());
        reporting.finish();
    });
    running.finish();
}

struct Trivial;

impl SyncCallback for Trivial {
    fn progress(
        &self,
        item: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        Ok(if item.is_null() {
            CancelDecision::CancelAll
        } else {
            CancelDecision::Continue
        })
    }
}

fn lifecycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("lifecycle");
    let callback: Arc<dyn SyncCallback> = Arc::new(Trivial);
    let slot: CallbackSlot = CallbackSlot::new();
    slot.set(Some(callback.clone()));
    group.bench_function("replace", |b| {
        b.iter(|| slot.set(Some(black_box(&callback).clone())));
    });
    let report = SyncMgrProgress::builder()
        .value(1)
        .build()
        .expect("a valid report");
    group.bench_function("report", |b| {
        b.iter(|| black_box(&slot).progress(black_box(item(0)), Some(&report)));
    });
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                slot.set(Some(callback.clone()));
                // Let the reporting thread have its core on a 2-core box.
                thread::sleep(Duration::from_micros(1));
            }
        });
        group.bench_function("report_during_replace", |b| {
            b.iter(|| black_box(&slot).progress(black_box(item(0)), Some(&report)));
        });
        stop.store(true, Ordering::Relaxed);
    });
    group.finish();
    slot.release();
}

criterion_group!(
    benches,
    cancel_check,
    progress,
    progress_2threads,
    lifecycle
);
criterion_main!(benches);
