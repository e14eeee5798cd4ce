#!/usr/bin/env bash
# Run the criterion benches and print the performance targets of BENCHMARKS.md
# as ratios of medians from this one run, each with PASS or MISS.
#
#   scripts/bench-report.sh            full run (criterion's default times)
#   scripts/bench-report.sh --quick    short warm-up and measurement, for CI
#   scripts/bench-report.sh --report   only print the table from the last run
#
# Reads target/criterion/<group>/<function>/new/estimates.json (median
# point estimate, in ns), and session/1m_items/new/memory.json, which the
# session bench writes. Honours CARGO_TARGET_DIR and CRITERION_HOME.
# Needs only bash, sed and awk besides cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
    --quick) mode=quick ;;
    --report) mode=report ;;
    "") ;;
    *) echo "usage: $0 [--quick|--report]" >&2; exit 2 ;;
esac

if [[ $mode != report ]]; then
    if [[ $mode == quick ]]; then
        hot=(--warm-up-time 0.5 --measurement-time 1)
        session=(--warm-up-time 0.5 --measurement-time 2)
    else
        hot=(--warm-up-time 2 --measurement-time 5)
        session=(--warm-up-time 2 --measurement-time 10)
    fi
    cargo bench --bench hot_path -- "${hot[@]}"
    cargo bench --bench session -- "${session[@]}"
    # Prints its own median and p99 (no criterion): reported, not judged.
    if [[ $mode == quick ]]; then
        cargo bench --bench cancel_latency -- --quick
    else
        cargo bench --bench cancel_latency
    fi
fi

target_dir=${CARGO_TARGET_DIR:-target}
criterion=${CRITERION_HOME:-$target_dir/criterion}

# The median point estimate of <group>/<function>, in ns; empty if the
# bench has not run (for example a function an older build lacks).
median() {
    local file="$criterion/$1/new/estimates.json"
    [[ -f $file ]] || return 0
    sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([-0-9.eE+]+).*/\1/' "$file"
}

# A field of a JSON file the benches write (flat, numbers only); empty if
# missing.
field() {
    [[ -f $1 ]] || return 0
    sed -E "s/.*\"$2\": ([-0-9.eE+]+).*/\1/" "$1"
}
# A field of the session bench's memory.json.
memory() { field "$criterion/session/1m_items/new/memory.json" "$1"; }
# A field of replace_under_load/<threads>'s latency.json (ms).
latency() { field "$criterion/lifecycle/replace_under_load/$1/new/latency.json" "$2"; }

# <a> / <b>, or empty when either is missing.
ratio() {
    [[ -n $1 && -n $2 ]] || return 0
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'
}
# ns -> ms, or empty.
ms() {
    [[ -n $1 ]] || return 0
    awk -v v="$1" 'BEGIN { printf "%.4f", v / 1e6 }'
}
number() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }

if [[ -z $(median progress/syncmgr) ]]; then
    echo "no results under $criterion: run the benches first" >&2
    exit 1
fi

misses=0
format='%-54s %12s %10s  %s\n'
printf "$format" "target (ratios of medians from one run)" "measured" "limit" "result"
printf "$format" "---------------------------------------" "--------" "-----" "------"
# row <label> <value> <op> <limit> <unit>
row() {
    if [[ -z $2 ]]; then
        printf "$format" "$1" "n/a" "$3 $4$5" "not run"
        return
    fi
    local verdict
    verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
        ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "PASS" : "MISS" }')
    [[ $verdict == PASS ]] || misses=$((misses + 1))
    printf "$format" "$1" "$(number "$2")$5" "$3 $4$5" "$verdict"
}
info() {
    if [[ -z $2 ]]; then
        printf "$format" "$1" "n/a" "" ""
    else
        printf "$format" "$1" "$(number "$2")$3" "" ""
    fi
}

atomic=$(median cancel_check/atomic_load)
tokio=$(median cancel_check/tokio_util)
check=$(median cancel_check/syncmgr)
slot=$(median progress/dyn_slot)
naive=$(median progress/naive_mutex_hashmap)
ours=$(median progress/syncmgr)
ours2=$(median progress_2threads/syncmgr)
naive2=$(median progress_2threads/naive_mutex_hashmap)
report=$(median lifecycle/report)
during=$(median lifecycle/report_during_replace)
replace=$(median lifecycle/replace)
snapshot=$(median session/1m_items_snapshot)
snapshot_into=$(median session/1m_items_snapshot_into)
whole=$(median session/1m_items)

row "cancel_check/syncmgr / atomic_load" "$(ratio "$check" "$atomic")" "<=" 1.5 "x"
row "lifecycle/report / progress/dyn_slot" "$(ratio "$report" "$slot")" "<=" 1.3 "x"
row "progress/syncmgr / dyn_slot" "$(ratio "$ours" "$slot")" "<=" 2.0 "x"
row "progress/syncmgr / naive_mutex_hashmap" "$(ratio "$ours" "$naive")" "<=" 1.0 "x"
row "2-thread / 1-thread report throughput (syncmgr)" "$(ratio "$ours" "$ours2")" ">=" 1.6 "x"
row "lifecycle/replace_under_load/8: set p99" "$(latency 8 p99_ms)" "<=" 1 "ms"
row "lifecycle/replace_under_load/40: set p99" "$(latency 40 p99_ms)" "<=" 10 "ms"
row "session/1m_items_snapshot: snapshot()" "$(ms "$snapshot")" "<=" 10 "ms"
row "session/1m_items: snapshot heap per item" "$(memory snapshot_bytes_per_item)" "<=" 16 "B"
row "session/1m_items_snapshot_into: snapshot_into()" "$(ms "$snapshot_into")" "<=" 5 "ms"
row "session/1m_items: peak heap per item" "$(memory peak_bytes_per_item)" "<=" 100 "B"
row "lifecycle/report_during_replace / lifecycle/report" "$(ratio "$during" "$report")" "<=" 1.5 "x"
echo
printf "$format" "median of" "" "" ""
info "floor/fetch_add (lock xadd)" "$(median floor/fetch_add)" "ns"
info "floor/compare_exchange (lock cmpxchg)" "$(median floor/compare_exchange)" "ns"
info "floor/mutex (parking_lot lock + unlock)" "$(median floor/mutex)" "ns"
info "cancel_check/atomic_load" "$atomic" "ns"
info "cancel_check/tokio_util" "$tokio" "ns"
info "cancel_check/syncmgr" "$check" "ns"
info "progress/dyn_slot" "$slot" "ns"
info "progress/naive_mutex_hashmap" "$naive" "ns"
info "progress/syncmgr" "$ours" "ns"
info "progress_2threads/syncmgr (per report)" "$ours2" "ns"
info "progress_2threads/naive_mutex_hashmap (per report)" "$naive2" "ns"
info "2-thread / 1-thread throughput (naive)" "$(ratio "$naive" "$naive2")" "x"
info "lifecycle/replace" "$replace" "ns"
info "lifecycle/report" "$report" "ns"
info "lifecycle/report_during_replace" "$during" "ns"
info "lifecycle/replace_under_load/8: set p50" "$(latency 8 p50_ms)" "ms"
info "  a scheduler round under that load, p50 / p99" "$(latency 8 round_p50_ms)" "ms"
info "" "$(latency 8 round_p99_ms)" "ms"
info "lifecycle/replace_under_load/40: set p50" "$(latency 40 p50_ms)" "ms"
info "  a scheduler round under that load, p50 / p99" "$(latency 40 round_p50_ms)" "ms"
info "" "$(latency 40 round_p99_ms)" "ms"
info "session/1m_items (prepare, report, snapshot)" "$(ms "$whole")" "ms"
info "slowest snapshot() inside session/1m_items" "$(memory snapshot_ms)" "ms"
echo
echo "$misses target(s) missed; machine load: $(cut -d' ' -f1-3 /proc/loadavg)"
