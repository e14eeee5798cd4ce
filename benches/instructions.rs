//! The hot-path operations, one at a time, for instruction counts under
//! valgrind's callgrind (`scripts/instructions.sh`): timings on a shared VM
//! swing 2× between runs, instruction counts do not.
//!
//! ```text
//! instructions <operation> <count>
//! ```
//!
//! runs `<operation>` `<count>` times inside `measured_loop`, the one
//! function callgrind collects (`--toggle-collect`); the script runs two
//! counts and divides the difference, so setup and one-off costs (the
//! first report of an item, a stripe's first fill) cancel out.
//!
//! | operation | one iteration |
//! |---|---|
//! | `empty` | nothing: the loop's own cost, subtracted from the others by the script |
//! | `atomic_load` | `AtomicBool::load(Acquire)`: the floor of a cancel check |
//! | `cancel_check` | `ItemReporter::is_cancelled` |
//! | `dyn_slot` | read a `RwLock<Option<Arc<dyn Fn>>>`, clone, call (baseline) |
//! | `naive_mutex_hashmap` | a `Mutex<HashMap<Uuid, _>>` host's progress (baseline) |
//! | `slot_dispatch` | `CallbackSlot::progress` on a trivial callback |
//! | `round_trip` | `ItemReporter::value`: reporter → slot → session → decision |

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use syncmgr::{CallbackSlot, SyncCallback, SyncMgrProgress, SyncMgrStatus};

use common::{NaiveCallback, NaiveHost, Running, Trivial, item, naive_item};

const OPERATIONS: [&str; 7] = [
    "empty",
    "atomic_load",
    "cancel_check",
    "dyn_slot",
    "naive_mutex_hashmap",
    "slot_dispatch",
    "round_trip",
];

/// The one function callgrind counts: `count` runs of `step`.
#[inline(never)]
fn measured_loop(count: u64, step: &mut dyn FnMut(u64)) {
    for n in 0..count {
        step(n);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; criterion-style flags are ignored.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (Some(operation), Some(count)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: instructions <operation> <count>; operations: {}",
            OPERATIONS.join(", ")
        );
        // Built and started by `cargo bench` without arguments: nothing to do.
        return;
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("count must be a whole number, not {count:?}");
        std::process::exit(2);
    };
    match operation.as_str() {
        "empty" => measured_loop(count, &mut |n| {
            black_box(n);
        }),
        "atomic_load" => {
            let flag = AtomicBool::new(false);
            measured_loop(count, &mut |_| {
                black_box(black_box(&flag).load(Ordering::Acquire));
            });
        }
        "cancel_check" => {
            let running = Running::start(1);
            {
                let open = running.handler.reporter.begin(item(0)).expect("opens");
                measured_loop(count, &mut |_| {
                    black_box(black_box(&open).is_cancelled());
                });
                open.finish(SyncMgrStatus::Succeeded).expect("finishes");
            }
            running.finish();
        }
        "dyn_slot" => {
            let slot = common::dyn_slot();
            measured_loop(count, &mut |n| {
                black_box(common::dyn_slot_call(
                    black_box(&slot),
                    black_box(item(0)),
                    n as i32,
                ));
            });
        }
        "naive_mutex_hashmap" => {
            let host: Arc<dyn NaiveCallback> = Arc::new(NaiveHost::new(1_000));
            let id = naive_item(0);
            measured_loop(count, &mut |n| {
                black_box(black_box(&host).progress(black_box(id), n as i32));
            });
        }
        "slot_dispatch" => {
            let slot: CallbackSlot = CallbackSlot::new();
            let callback: Arc<dyn SyncCallback> = Arc::new(Trivial);
            slot.set(Some(callback));
            let report = SyncMgrProgress::builder()
                .value(1)
                .build()
                .expect("a valid report");
            measured_loop(count, &mut |_| {
                let _ = black_box(black_box(&slot).progress(black_box(item(0)), Some(&report)));
            });
            slot.release();
        }
        "round_trip" => {
            let running = Running::start(1);
            {
                let open = running
                    .handler
                    .reporter
                    .begin_with_max(item(0), i32::MAX as u64)
                    .expect("opens");
                measured_loop(count, &mut |n| {
                    assert!(open.value(black_box(n + 1)).is_ok(), "a plain report");
                });
                open.finish(SyncMgrStatus::Succeeded).expect("finishes");
            }
            running.finish();
        }
        other => {
            eprintln!(
                "unknown operation {other:?}; operations: {}",
                OPERATIONS.join(", ")
            );
            std::process::exit(2);
        }
    }
}
