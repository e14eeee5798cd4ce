//! Cancel latency in process: from `Session::cancel_item` returning to the
//! task awaiting the item's `CancelToken` observing it, on a tokio
//! multi-threaded runtime (2 workers). Prints the median and the 99th
//! percentile over `SAMPLES` cancels (a plain harness: criterion reports
//! no percentiles).
//!
//!   cargo bench --bench cancel_latency            2000 samples
//!   cargo bench --bench cancel_latency -- --quick 200 samples, for CI
//!
//! A sample whose task observed the cancel before `cancel_item` returned
//! (the wake-up raced ahead of the return) counts as zero.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Running, item};
use syncmgr::CancelReason;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `cargo bench` passes `--bench`; any other filter selects nothing else.
    let samples: usize = if quick { 200 } else { 2000 };
    let running = Running::start(samples);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let origin = Instant::now();
    let mut latencies = Vec::with_capacity(samples);
    for n in 0..samples {
        let token = running
            .session
            .item_cancel_token(item(n))
            .expect("a known item");
        let seen = Arc::new(AtomicU64::new(0));
        let task = runtime.spawn({
            let seen = Arc::clone(&seen);
            async move {
                token.cancelled().await;
                let at = origin.elapsed().as_nanos() as u64;
                seen.store(at, Ordering::Release);
            }
        });
        // Let the task reach its await before cancelling.
        std::thread::sleep(Duration::from_micros(200));
        running
            .session
            .cancel_item(item(n), CancelReason::User)
            .expect("a known item");
        let returned = origin.elapsed().as_nanos() as u64;
        runtime.block_on(task).expect("the task");
        let observed = seen.load(Ordering::Acquire);
        latencies.push(observed.saturating_sub(returned));
    }
    running.finish();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "cancel_latency/session_item_token: median {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} samples)",
        at(0.5) as f64 / 1000.0,
        at(0.99) as f64 / 1000.0,
        at(1.0) as f64 / 1000.0,
        latencies.len()
    );
}
