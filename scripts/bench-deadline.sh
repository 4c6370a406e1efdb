#!/usr/bin/env bash
# Prints the network figures of docs/network.md: how far past its deadline a
# fetch against a stalled server returns, the loopback round trip of an
# id-only push (http and TLS), and the threads and peak memory involved.
# Needs python3 (the fake Rocket.Chat server). Release build; takes ~1 min.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --quiet -p pushseal --bench net_deadline "$@"
