#!/usr/bin/env bash
# Instructions per hot-path operation, counted by valgrind's callgrind:
# stable whatever else the machine is doing, unlike timings.
#
#   scripts/instructions.sh            10,000 and 110,000 iterations
#   scripts/instructions.sh --quick    1,000 and 11,000 (CI)
#
# Each operation of benches/instructions.rs runs twice under callgrind,
# collecting only inside its `measured_loop`; instructions per operation =
# (count at N2 - count at N1) / (N2 - N1), so setup and one-off costs cancel,
# minus the same figure for an empty iteration (the loop and its indirect
# call), which is printed on its own.
# Installs valgrind when missing (Debian). Honours CARGO_TARGET_DIR.
# Exits non-zero only when a count cannot be taken; targets are reported.
set -euo pipefail
cd "$(dirname "$0")/.."

small=10000
large=110000
case "${1:-}" in
    --quick) small=1000; large=11000 ;;
    "") ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

if ! command -v valgrind >/dev/null; then
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
fi

binary=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[[ -x $binary ]] || { echo "could not build benches/instructions.rs" >&2; exit 1; }

# Instructions collected inside measured_loop for <operation> <count>.
collected() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='*measured_loop*' "$binary" "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}

# Instructions per iteration of <operation>, loop included.
gross() {
    local a b
    a=$(collected "$1" "$small")
    b=$(collected "$1" "$large")
    [[ -n $a && -n $b ]] || { echo "callgrind gave no count for $1" >&2; exit 1; }
    awk -v a="$a" -v b="$b" -v n=$((large - small)) 'BEGIN { printf "%.1f", (b - a) / n }'
}
loop_cost=$(gross empty)
per_op() {
    awk -v g="$(gross "$1")" -v l="$loop_cost" 'BEGIN { printf "%.1f", g - l }'
}

format='%-58s %10s %8s  %s\n'
printf "$format" "instructions per operation (callgrind)" "measured" "limit" "result"
printf "$format" "--------------------------------------" "--------" "-----" "------"
# row <label> <operation> [<limit>]
row() {
    local value verdict=""
    value=$(per_op "$2")
    if [[ -n ${3:-} ]]; then
        verdict=$(awk -v v="$value" -v l="$3" 'BEGIN { print (v <= l) ? "PASS" : "MISS" }')
    fi
    printf "$format" "$1" "$value" "${3:+<= $3}" "$verdict"
}
row "atomic_load (floor of a cancel check)" atomic_load
row "cancel_check: ItemReporter::is_cancelled" cancel_check
row "dyn_slot: RwLock<Option<Arc<dyn Fn>>> (baseline)" dyn_slot
row "naive_mutex_hashmap: Mutex<HashMap> host (baseline)" naive_mutex_hashmap
row "slot_dispatch: CallbackSlot::progress" slot_dispatch 100
row "round_trip: ItemReporter::value -> decision" round_trip 300
echo "(the loop itself, subtracted above: $loop_cost instructions per iteration)"
echo "(N = $small and $large; valgrind $(valgrind --version | sed 's/valgrind-//'))"
