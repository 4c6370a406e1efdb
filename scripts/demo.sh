#!/usr/bin/env bash
# Sets up a fresh machine and runs `pushseal demo` on the sample data in
# cli/demo/. Every long step says so first; cargo shows its own progress.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[demo] %s\n' "$*" >&2; }

say "checking build prerequisites (scripts/setup.sh)"
scripts/setup.sh
say "building pushseal: the first build compiles a few hundred crates and takes several minutes; later runs take seconds"
cargo build --package pushseal-cli
say "running pushseal demo"
# cargo run starts the binary by its path, so the demo's last line is a
# command that works as pasted from here, the repository root.
cargo run --quiet --package pushseal-cli -- demo
