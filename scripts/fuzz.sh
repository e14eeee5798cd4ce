#!/usr/bin/env bash
# In-tree fuzzing (fuzz/): every raw decoder, GUID parsing, and operation
# sequences with the oracle of the standing property (tests/ops/mod.rs).
#
#   scripts/fuzz.sh --smoke [SECONDS]   each target for SECONDS (default 15): CI
#   scripts/fuzz.sh --run SECONDS [TARGET...]  a longer run; prints each
#                                       target's executions and coverage
#
# Installs what it needs when missing (idempotent): a nightly toolchain and
# cargo-fuzz. Each target starts from its committed seeds in
# fuzz/seeds/<target> and keeps what it finds in fuzz/corpus/<target>
# (ignored by git); a crash is written to fuzz/artifacts/<target> and fails
# the script. Honours CARGO_TARGET_DIR (the fuzz build gets its own
# subdirectory).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:---smoke}"
case "$mode" in
    --smoke) seconds="${2:-15}"; shift $(( $# > 1 ? 2 : 1 )) ;;
    --run) seconds="${2:?seconds}"; shift 2 ;;
    *) echo "usage: $0 --smoke [SECONDS] | --run SECONDS [TARGET...]" >&2; exit 2 ;;
esac

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(progress_item sync_item handler_info log_error_info flags sync_center windows_sync guid operations)
fi

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/fuzz}"
cd fuzz
cargo +nightly fuzz build
failed=0
printf '%-16s %12s %8s %8s %s\n' target executions cov ft result
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log="$(mktemp)"
    # -rss_limit_mb: the operations target runs whole sessions.
    if cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1; then
        result=ok
    else
        result=CRASH
        failed=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    printf '%-16s %12s %8s %8s %s\n' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$result"
    if [[ $result != ok ]]; then
        grep -E 'panicked|ERROR|SUMMARY|artifact' "$log" | head -20 >&2
    fi
    rm -f "$log"
done
exit "$failed"
