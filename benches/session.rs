//! A session of 1,000,000 items: time and peak heap.
//!
//! | group / function | what one iteration is |
//! |---|---|
//! | `session/1m_items` | initialize and prepare 1,000,000 items, one progress report per item (`ProgressReporter::begin`), one snapshot |
//! | `session/1m_items_snapshot` | `Session::snapshot` of that session, once every item has reported |
//! | `session/1m_items_snapshot_into` | `Session::snapshot_into` a snapshot kept from the last poll (a UI's steady state) |
//!
//! This binary counts every heap allocation (a global allocator that wraps
//! the system one), so `session/1m_items` also records the peak of live heap
//! bytes above what was live before the iteration, per item, in
//! `<criterion dir>/session/1m_items/new/memory.json` (read by
//! `scripts/bench-report.sh`), with the heap a fresh snapshot takes, per
//! item. The items have empty names and the reports
//! carry no status text, so every byte counted is the library's own.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

use common::{Running, item};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments and
// only adds bookkeeping on atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ITEMS: usize = 1_000_000;

/// Initialize, prepare and report once on every item; the session is left
/// synchronizing.
fn prepare_and_report() -> Running {
    let running = Running::start(ITEMS);
    let reporter = &running.handler.reporter;
    for n in 0..ITEMS {
        let open = reporter
            .begin_with_max(item(n), 100)
            .expect("the item opens");
        drop(open);
    }
    running
}

fn write_memory(peak_per_item: f64, snapshot_ms: f64, snapshot_per_item: f64) {
    let dir = common::criterion_dir().join("session/1m_items/new");
    let json = format!(
        "{{\"items\": {ITEMS}, \"peak_bytes_per_item\": {peak_per_item:.1}, \"snapshot_ms\": {snapshot_ms:.2}, \"snapshot_bytes_per_item\": {snapshot_per_item:.1}}}\n"
    );
    if std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("memory.json"), json))
        .is_err()
    {
        eprintln!("could not write {}", dir.display());
    }
}

fn session(c: &mut Criterion) {
    let mut group = c.benchmark_group("session");
    group.sample_size(10);
    let mut worst_peak = 0.0f64;
    let mut slowest_snapshot = Duration::ZERO;
    let mut snapshot_size = 0.0f64;
    group.bench_function("1m_items", |b| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let base = LIVE.load(Ordering::Relaxed);
                PEAK.store(base, Ordering::Relaxed);
                let began = Instant::now();
                let running = prepare_and_report();
                let before_snapshot = LIVE.load(Ordering::Relaxed);
                let snapped = Instant::now();
                let snapshot = running.session.snapshot();
                let ended = Instant::now();
                let size = LIVE.load(Ordering::Relaxed).saturating_sub(before_snapshot);
                snapshot_size = snapshot_size.max(size as f64 / ITEMS as f64);
                timed += ended - began;
                slowest_snapshot = slowest_snapshot.max(ended - snapped);
                assert_eq!(snapshot.len(), ITEMS);
                let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
                worst_peak = worst_peak.max(peak as f64 / ITEMS as f64);
                drop(snapshot);
                drop(running.finish());
            }
            timed
        });
    });
    println!(
        "session/1m_items: peak heap {worst_peak:.1} bytes/item, slowest snapshot {:.2} ms, snapshot {snapshot_size:.1} bytes/item",
        slowest_snapshot.as_secs_f64() * 1e3
    );
    write_memory(
        worst_peak,
        slowest_snapshot.as_secs_f64() * 1e3,
        snapshot_size,
    );

    let running = prepare_and_report();
    group.bench_function("1m_items_snapshot", |b| {
        b.iter_with_large_drop(|| running.session.snapshot());
    });
    let mut view = running.session.snapshot();
    group.bench_function("1m_items_snapshot_into", |b| {
        b.iter(|| running.session.snapshot_into(&mut view));
    });
    group.finish();
    drop(running.finish());
}

criterion_group!(benches, session);
criterion_main!(benches);
