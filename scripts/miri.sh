#!/usr/bin/env bash
# Run the library's tests and the integration tests that fit in a few
# minutes under miri, with its leak check on (a reference cycle left by a
# test fails the run) and isolation on (the crate reads no wall clock under
# miri; the monotonic clock is miri's own).
#
#   scripts/miri.sh              the CI set (about four minutes here): the
#                                library, and the integration tests below;
#                                left out for time are windows_sync (over
#                                four minutes) and the proptest files
#                                (lifecycle, reporter, vocabulary,
#                                session_model, handler_property), whose
#                                failure persistence also needs
#                                MIRIFLAGS=-Zmiri-disable-isolation
#   scripts/miri.sh --test NAME  one integration test file (any other args
#                                go to `cargo miri test`)
#
# Tests whose watchdogs would fire on miri's clock wait without a deadline
# under `cfg(miri)` instead (miri reports a real deadlock itself); proptest
# and stress-sized loops shrink under `cfg(miri)`. Installs the nightly
# toolchain's miri and rust-src components when missing (idempotent).
# Honours CARGO_TARGET_DIR (miri gets its own subdirectory).
#
# The toolchain is pinned (MIRI_TOOLCHAIN, default nightly-2026-09-05):
# later nightlies type-check the variadic arguments of miri's `syscall`
# shim (rust-lang/rust#161734), and parking_lot_core 0.9.12 passes its
# futex word as `&AtomicI32`, so every test in which a parking_lot lock
# parks a thread fails there as undefined behaviour in the dependency.
# (nightly-2026-09-05 is the last before it whose miri, rust-src and cargo all
# ship.) Unpin once a parking_lot_core release passes `*mut u32`.
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain=${MIRI_TOOLCHAIN:-nightly-2026-09-05}
if ! cargo "+$toolchain" miri --version >/dev/null 2>&1; then
    # The toolchain may already be there without components: install it
    # if needed, then add the components.
    rustup toolchain install "$toolchain" --profile minimal
    rustup component add --toolchain "$toolchain" miri rust-src
fi
cargo "+$toolchain" miri setup >/dev/null
export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/miri}"

if [[ $# -gt 0 ]]; then
    exec cargo "+$toolchain" miri test "$@"
fi

# The library's own tests, then the integration tests that fit.
cargo "+$toolchain" miri test --lib
cargo "+$toolchain" miri test --test regressions --test item_machine --test host --test constants \
    --test session --test sync_center --test adapters --test mapping
