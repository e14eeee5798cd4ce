//! The cost of a progress call through a `CallbackSlot`, next to a direct
//! call on the same `Arc<dyn SyncCallback>`.
//!
//! `cargo bench --bench slot` prints nanoseconds per call. The criterion
//! suite of the performance work will supersede this quick measurement.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use syncmgr::{CallbackError, CallbackSlot, CancelDecision, ItemId, SyncCallback, SyncMgrProgress};

struct Host;

impl SyncCallback for Host {
    fn progress(
        &self,
        item: ItemId,
        _report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        Ok(if item.is_null() {
            CancelDecision::CancelAll
        } else {
            CancelDecision::Continue
        })
    }
}

fn nanos_per_call(calls: u32, mut call: impl FnMut()) -> f64 {
    for _ in 0..calls / 10 {
        call();
    }
    let start = Instant::now();
    for _ in 0..calls {
        call();
    }
    start.elapsed().as_nanos() as f64 / f64::from(calls)
}

fn main() {
    const CALLS: u32 = 5_000_000;
    let host: Arc<dyn SyncCallback> = Arc::new(Host);
    let slot: CallbackSlot = CallbackSlot::new();
    slot.set(Some(host.clone()));
    let item = ItemId::from_u128(7);

    let direct = nanos_per_call(CALLS, || {
        black_box(host.progress(black_box(item), None)).ok();
    });
    let through_slot = nanos_per_call(CALLS, || {
        black_box(slot.progress(black_box(item), None)).ok();
    });
    let replace = nanos_per_call(CALLS / 10, || {
        slot.set(Some(black_box(host.clone())));
    });
    println!("progress, direct dyn call     {direct:>8.1} ns/call");
    println!("progress, through CallbackSlot {through_slot:>7.1} ns/call");
    println!("replace the registered callback {replace:>6.1} ns/call");
}
