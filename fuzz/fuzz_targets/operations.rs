//! The standing property of issue 18 as a fuzz target: the bytes are a
//! scenario (a correct handler on `ProgressReporter`, every user request at
//! any moment, early, late and re-entrant completions, callbacks replaced
//! and released, several threads), and the oracle of
//! `tests/ops/mod.rs` checks that the handler is never blamed.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/ops/mod.rs"]
mod ops;

fuzz_target!(|data: &[u8]| {
    let scenario = ops::Scenario::from_bytes(data);
    ops::run(&scenario).check();
});
