#!/usr/bin/env bash
# Sets up a fresh machine and runs `pushseal demo` on the bundled sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --quiet --package pushseal-cli -- demo
