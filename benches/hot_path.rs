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
//! | `floor/{fetch_add,compare_exchange,mutex}` | one `lock xadd`, one `lock cmpxchg`, an uncontended `parking_lot::Mutex` lock + unlock: what the round trip's locked operations cost on this machine |
//! | `lifecycle/replace` | `CallbackSlot::set(Some(..))` over a held callback |
//! | `lifecycle/report` | `CallbackSlot::progress` on a trivial callback (the slot's own cost) |
//! | `lifecycle/report_during_replace` | the same while another thread replaces the callback without pause |
//! | `lifecycle/replace_under_load/{8,40}` | one `CallbackSlot::set` while 8 or 40 threads report through the slot in a loop; prints the p50 / p99 / max of the `set` latency too |

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use syncmgr::{CallbackSlot, SyncCallback, SyncMgrProgress, SyncMgrStatus};
use tokio_util::sync::CancellationToken;

use common::{
    NaiveCallback, NaiveHost, Reporting, Running, Trivial, dyn_slot, dyn_slot_call, item,
    naive_item,
};

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

fn progress(c: &mut Criterion) {
    let mut group = c.benchmark_group("progress");

    let slot = dyn_slot();
    group.bench_function("dyn_slot", |b| {
        let mut value = 0;
        b.iter(|| {
            value += 1;
            dyn_slot_call(black_box(&slot), black_box(item(0)), value)
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

/// Record a `replace_under_load` run in
/// `<criterion dir>/lifecycle/replace_under_load/<threads>/new/latency.json`
/// (in ms), for `scripts/bench-report.sh`: the p50 / p99 / max of the
/// `set` latency, and the p50 / p99 of a scheduler round under the same
/// load (see [`replace_under_load`]).
fn write_latency(threads: usize, sets: &[Duration], rounds: &[Duration]) {
    let dir = common::criterion_dir().join(format!("lifecycle/replace_under_load/{threads}/new"));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let json = format!(
        "{{\"sets\": {}, \"p50_ms\": {:.4}, \"p99_ms\": {:.4}, \"max_ms\": {:.4}, \"round_p50_ms\": {:.4}, \"round_p99_ms\": {:.4}}}\n",
        sets.len(),
        ms(percentile(sets, 0.5)),
        ms(percentile(sets, 0.99)),
        ms(sets.last().copied().unwrap_or_default()),
        ms(percentile(rounds, 0.5)),
        ms(percentile(rounds, 0.99)),
    );
    if std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("latency.json"), json))
        .is_err()
    {
        eprintln!("could not write {}", dir.display());
    }
}

/// Sorted `set` latencies of one `replace_under_load` run, for the p99
/// criterion's median does not show.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Indices of a few thousand samples: exact in f64.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

/// How long until every reporter has finished a call it began after now:
/// the least a `set` that waits for the calls under way can take, when
/// reporters are preempted in the middle of calls (`calls[i]` counts
/// reporter `i`'s calls).
fn scheduler_round(calls: &[CachePaddedCount]) -> Duration {
    let began = Instant::now();
    let start: Vec<u64> = calls.iter().map(|c| c.0.load(Ordering::Relaxed)).collect();
    while calls
        .iter()
        .zip(&start)
        .any(|(c, &s)| c.0.load(Ordering::Relaxed) < s + 2)
    {
        thread::sleep(Duration::from_micros(50));
    }
    began.elapsed()
}

/// A reporter's call count, on a cache line of its own.
#[repr(align(128))]
#[derive(Default)]
struct CachePaddedCount(AtomicU64);

/// `CallbackSlot::set` latency while `threads` threads report through the
/// slot without pause: a replace waits only for the calls that began before
/// it, never for the report rate.
///
/// On 2 cores most reporters are preempted in the middle of a call (a call
/// is nearly all of a reporter's loop), and a `set` must wait until each of
/// those has had a core again. So the run also measures that bound under
/// the same load, [`scheduler_round`], and reports both.
fn replace_under_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("lifecycle/replace_under_load");
    group.sample_size(20);
    let report = SyncMgrProgress::builder()
        .value(1)
        .build()
        .expect("a valid report");
    for threads in [8_usize, 40] {
        let callback: Arc<dyn SyncCallback> = Arc::new(Trivial);
        let slot: CallbackSlot = CallbackSlot::new();
        slot.set(Some(callback.clone()));
        let stop = AtomicBool::new(false);
        let calls: Vec<CachePaddedCount> =
            (0..threads).map(|_| CachePaddedCount::default()).collect();
        let mut latencies = Vec::new();
        let mut rounds = Vec::new();
        let started = Barrier::new(threads + 1);
        thread::scope(|scope| {
            for count in &calls {
                let (slot, stop, started, report) = (&slot, &stop, &started, &report);
                scope.spawn(move || {
                    started.wait();
                    while !stop.load(Ordering::Relaxed) {
                        let _ = black_box(slot.progress(item(0), Some(report)));
                        count.0.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            started.wait();
            group.bench_function(threads.to_string(), |b| {
                b.iter_custom(|n| {
                    let mut total = Duration::ZERO;
                    for _ in 0..n {
                        let began = Instant::now();
                        slot.set(Some(callback.clone()));
                        let took = began.elapsed();
                        latencies.push(took);
                        total += took;
                    }
                    total
                });
            });
            for _ in 0..40 {
                rounds.push(scheduler_round(&calls));
            }
            stop.store(true, Ordering::Relaxed);
        });
        latencies.sort_unstable();
        rounds.sort_unstable();
        write_latency(threads, &latencies, &rounds);
        println!(
            "lifecycle/replace_under_load/{threads}: {} sets, p50 {:?}, p99 {:?}, max {:?}; scheduler round p50 {:?}, p99 {:?}",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or_default(),
            percentile(&rounds, 0.5),
            percentile(&rounds, 0.99),
        );
        slot.release();
    }
    group.finish();
}

/// The cost of the hot path's building blocks on this machine.
fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    let counter = AtomicU64::new(0);
    group.bench_function("fetch_add", |b| {
        b.iter(|| black_box(&counter).fetch_add(1, Ordering::AcqRel));
    });
    group.bench_function("compare_exchange", |b| {
        b.iter(|| {
            let c = black_box(&counter);
            let old = c.load(Ordering::Relaxed);
            c.compare_exchange(old, old + 1, Ordering::AcqRel, Ordering::Relaxed)
        });
    });
    let mutex = parking_lot::Mutex::new(0u64);
    group.bench_function("mutex", |b| {
        b.iter(|| *black_box(&mutex).lock() += 1);
    });
    group.finish();
}

criterion_group!(
    benches,
    floor,
    cancel_check,
    progress,
    progress_2threads,
    lifecycle,
    replace_under_load
);
criterion_main!(benches);
