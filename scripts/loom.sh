#!/usr/bin/env bash
# Run the loom models of tests/loom.rs: the callback slot, the session's
# lock-free report path against cancel_item, cancel_all, skip and the end
# of the cycle, and the reporter's item table. Each model prints how many
# interleavings it explored.
#
#   scripts/loom.sh                 bounded (LOOM_MAX_PREEMPTIONS=3): CI, seconds
#   LOOM_MAX_PREEMPTIONS=5 scripts/loom.sh    a deeper run
#
# `--cfg loom` switches `crate::sync` to loom (see src/sync.rs). A separate
# target directory keeps the normal build's artifacts. Needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="${RUSTFLAGS:-} --cfg loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/loom}"
echo "loom: LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS"
cargo test --test loom -- --nocapture --test-threads=1 "$@"
