#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: Rust (with lints), Kotlin and Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --all

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test"
cargo test --workspace
if [[ -x scripts/test-bindings.sh ]]; then
  scripts/test-bindings.sh
fi
step "all tests passed"
