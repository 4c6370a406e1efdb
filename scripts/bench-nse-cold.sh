#!/usr/bin/env bash
# The notification extension's cold path, measured in fresh processes:
# open the store read-only with the raw key, find the room key, decrypt one
# push (core/examples/nse_cold_path.rs). Prints the median of N runs.
#   scripts/bench-nse-cold.sh [N]      (default 31)
# Targets on the 2-core dev machine: open + decrypt <= 1 ms, peak RSS <= 8 MiB
# (measured: ~0.7 ms and ~3.2 MiB; docs/performance.md, "Cold path").
# It builds with the `mobile` profile (size-optimised, as shipped on phones);
# PUSHSEAL_BENCH_PROFILE=release measures the plain release build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-31}"
profile="${PUSHSEAL_BENCH_PROFILE:-mobile}"
out="${CARGO_TARGET_DIR:-target}/$profile"

cargo build --profile "$profile" --quiet -p pushseal --example nse_cold_path
cargo build --profile "$profile" --quiet -p pushseal-cli
bench="$out/examples/nse_cold_path"
cli="$out/pushseal"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
PUSHSEAL_STORE_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export PUSHSEAL_STORE_KEY

# A store made from the vectors, as the app would leave it: imported, then
# closed (WAL checkpointed).
# (One vector room is wrapped for another user; its skip notice is expected.)
"$cli" --store "$work/store.db" import --keys tests/vectors/keys-jwk.json >/dev/null 2>"$work/import.log" ||
  { cat "$work/import.log" >&2; exit 1; }
# One rc.v2 push, the common case on current servers.
python3 - "$work/push.json" <<'PY'
import json, sys
v = json.load(open("tests/vectors/rocketchat.json"))
push = next(p for p in v["pushes"]
            if p["expected"]["status"] == "decrypted"
            and p["expected"]["algorithm"].startswith("rc.v2"))
json.dump(push["payload"], open(sys.argv[1], "w"))
PY

for _ in $(seq "$runs"); do
  "$bench" "$work/store.db" "$work/push.json"
done >"$work/runs.txt"

median() { # field name -> median over the runs
  sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$work/runs.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
max() {
  sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$work/runs.txt" | sort -n | tail -1
}
grep -qv 'status=decrypted' "$work/runs.txt" && { echo "a run did not decrypt:"; grep -v 'status=decrypted' "$work/runs.txt"; exit 1; }
echo "nse cold path, $runs fresh processes (process start excluded), $(du -k "$bench" | cut -f1) KiB binary, medians:"
echo "  open store (read-only, raw key):  $(median open_us) us"
echo "  find room key + decrypt push:     $(median lookup_decrypt_us) us"
echo "  close:                            $(median close_us) us"
echo "  total:                            $(median total_us) us   (max $(max total_us) us)"
echo "  peak RSS (VmHWM):                 $(median peak_rss_kib) KiB   (max $(max peak_rss_kib) KiB)"

# One live extension process handling many pushes: memory must stay flat.
"$bench" "$work/store.db" "$work/push.json" 999 | tail -1 >"$work/repeat.txt"
field() { sed -n "s/.*\b$1=\([0-9?]*\).*/\1/p" "$work/repeat.txt"; }
echo "one process, $(field pushes) pushes (open, decrypt, close each):"
echo "  RSS after 1 / 20 / all:           $(field rss_after_1_kib) / $(field rss_after_20_kib) / $(field rss_after_all_kib) KiB"
