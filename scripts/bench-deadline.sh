#!/usr/bin/env bash
# Prints the network figures of docs/network.md: how far past its deadline a
# fetch against a stalled server returns, the loopback round trip of an
# id-only push (http and TLS), the threads and peak memory involved, the
# RSA unwraps per push and key-fetch time with 1, 10 and 100 old keys, and
# then the CLI against the huge answers of issue 9 (bench-deadline-cli.sh).
# Needs python3 (the fake Rocket.Chat server). Release build; takes ~2 min.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet -p pushseal --bench net_deadline "$@"
scripts/bench-deadline-cli.sh
