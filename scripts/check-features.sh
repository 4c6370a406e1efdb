#!/usr/bin/env bash
# Builds and tests the core with each protocol alone and both offline, and
# builds a Matrix-only FFI library: an app ships only what it uses, and the
# neutral modules must not need a protocol (docs/architecture.md).
#
# Usage: scripts/check-features.sh
# Doc tests are left to the default build (they show the full API).
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
    echo "== $*"
    local start=$SECONDS
    "$@"
    echo "   ($((SECONDS - start)) s)"
}

for features in matrix rocketchat rocketchat,matrix; do
    step cargo test -p pushseal --no-default-features --features "$features" --lib --tests
    step cargo clippy -p pushseal --no-default-features --features "$features" --lib --tests -- -D warnings
done
step cargo build -p pushseal-ffi --no-default-features --features matrix
step cargo test -p pushseal-ffi --no-default-features --features matrix --lib
step cargo clippy -p pushseal-ffi --no-default-features --features matrix --lib --tests -- -D warnings
step cargo test -p pushseal --test architecture
echo "feature combinations: ok"
