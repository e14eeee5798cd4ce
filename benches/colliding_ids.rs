//! 20,000 item ids chosen to collide: a handler controls its ids, so a
//! host must not be slowed down by them (issue 18).
//!
//! | group / function | what one iteration is |
//! |---|---|
//! | `colliding_ids/20k_crafted` | a session of 20,000 items whose ids all hash to one slot under the id index's former unkeyed hash (for each high half, the low half that makes it 0), each begun and finished once through a `ProgressReporter` |
//! | `colliding_ids/20k_sequential` | the same with ordinary sequential ids, for comparison |
//!
//! Before the index was keyed, the crafted set took about 1.2 s (every
//! lookup walked the whole table); with the keyed hash both take the same
//! few milliseconds.

mod common;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use syncmgr::{ItemId, SyncMgrStatus};

use common::{Running, item};

const COUNT: u64 = 20_000;

/// Ids that the former unkeyed hash `low * C1 ^ rotl(high, 31) * C2` sends
/// to one home slot.
fn crafted() -> Vec<ItemId> {
    const C1: u64 = 0x9E37_79B9_7F4A_7C15;
    const C2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    let mut inverse: u64 = C1;
    for _ in 0..6 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(C1.wrapping_mul(inverse)));
    }
    (1..=COUNT)
        .map(|high| {
            let low = high.rotate_left(31).wrapping_mul(C2).wrapping_mul(inverse);
            ItemId::from_u128((u128::from(high) << 64) | u128::from(low))
        })
        .collect()
}

fn run(ids: &[ItemId]) {
    let running = Running::start_with(ids.to_vec());
    let reporter = &running.handler.reporter;
    for &id in ids {
        let work = reporter.begin(id).expect("begun");
        work.finish(SyncMgrStatus::Succeeded).expect("finished");
    }
    running.finish();
}

fn colliding_ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("colliding_ids");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    let crafted = crafted();
    let sequential: Vec<ItemId> = (0..COUNT as usize).map(item).collect();
    group.bench_function("20k_crafted", |b| b.iter(|| run(&crafted)));
    group.bench_function("20k_sequential", |b| b.iter(|| run(&sequential)));
    group.finish();
}

criterion_group!(benches, colliding_ids);
criterion_main!(benches);
