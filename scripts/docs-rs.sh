#!/usr/bin/env bash
# Build the docs as docs.rs does (Cargo.toml's [package.metadata.docs.rs]):
# nightly rustdoc with `--cfg docsrs` (feature labels), every feature, for
# Linux and for a Windows target (where the `com` module exists), warnings
# as errors. Installs the nightly toolchain and the Windows target's std
# when missing; prints "DOCS.RS BUILD NOT RUN: …" and exits 0 when they
# cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOWS=x86_64-pc-windows-msvc
not_run() {
    echo "DOCS.RS BUILD NOT RUN: $*"
    exit 0
}

command -v rustup >/dev/null 2>&1 || not_run "rustup is not installed"
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal || not_run "rustup could not install nightly"
fi
if ! rustup target list --toolchain nightly --installed | grep -qx "$WINDOWS"; then
    rustup target add --toolchain nightly "$WINDOWS" || not_run "rustup could not add $WINDOWS"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/docs-rs"
export RUSTDOCFLAGS="--cfg docsrs -Dwarnings"
for target in x86_64-unknown-linux-gnu "$WINDOWS"; do
    echo "==> cargo +nightly doc --all-features --target $target"
    cargo +nightly doc --no-deps --all-features --target "$target"
    # The specification and the feature labels are rendered.
    doc="$CARGO_TARGET_DIR/$target/doc/syncmgr"
    grep -q 'id="rule-23"' "$doc/protocol/index.html"
    if [ "$target" = "$WINDOWS" ]; then
        grep -q 'Available on' "$doc/com/index.html"
    fi
done
echo "docs.rs build: ok for Linux and $WINDOWS"
