#!/usr/bin/env bash
# The notification extension's cold path, measured in fresh processes:
# open the store read-only with the raw key, find the room key, decrypt one
# push (core/examples/nse_cold_path.rs), for a Rocket.Chat push and for a
# Matrix one (load and unpickle the Megolm session). Prints the median of N
# runs.
#   scripts/bench-nse-cold.sh [N]      (default 31)
# Targets on the 2-core dev machine: open + decrypt <= 1 ms for Rocket.Chat,
# <= 5 ms for Matrix, peak RSS <= 8 MiB offline and <= 12 MB with fetch on
# receipt (a Matrix event_id_only push answered by the fake homeserver on
# 127.0.0.1); docs/performance.md, "Cold path" and "Matrix".
# It builds with the `mobile` profile (size-optimised, as shipped on phones);
# PUSHSEAL_BENCH_PROFILE=release measures the plain release build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-31}"
profile="${PUSHSEAL_BENCH_PROFILE:-mobile}"
out="${CARGO_TARGET_DIR:-target}/$profile"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Two builds of the example: the offline one as an app without fetch ships
# it, and one with fetch on receipt (its HTTP stack makes the binary, and
# so the resident memory, larger).
cargo build --profile "$profile" --quiet -p pushseal --example nse_cold_path \
  --no-default-features --features rocketchat,matrix
cp "$out/examples/nse_cold_path" "$work/nse_offline"
cargo build --profile "$profile" --quiet -p pushseal --example nse_cold_path --features matrix,fetch
cp "$out/examples/nse_cold_path" "$work/nse_fetch"
cargo build --profile "$profile" --quiet -p pushseal-cli
bench="$work/nse_offline"
cli="$out/pushseal"
PUSHSEAL_STORE_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export PUSHSEAL_STORE_KEY

# Rocket.Chat: a store made from the vectors, as the app would leave it:
# imported, then closed (WAL checkpointed).
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
# Matrix: the demo's key export imported (its one v2 session is skipped with
# a notice), and a 1 KiB FCM push of one of its sessions.
"$cli" --store "$work/matrix.db" import --keys cli/demo/matrix-keys.json >/dev/null 2>"$work/import-matrix.log" ||
  { cat "$work/import-matrix.log" >&2; exit 1; }

median() { # file, field name -> median over the runs
  sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "$1" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
max() {
  sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "$1" | sort -n | tail -1
}

measure() { # name, store, push
  local runs_file="$work/runs-$1.txt" repeat="$work/repeat-$1.txt"
  for _ in $(seq "$runs"); do
    "$bench" "$2" "$3"
  done >"$runs_file"
  if grep -qv 'status=decrypted' "$runs_file"; then
    echo "a $1 run did not decrypt:"
    grep -v 'status=decrypted' "$runs_file"
    exit 1
  fi
  echo "$1: nse cold path, $runs fresh processes (process start excluded), $(du -k "$bench" | cut -f1) KiB binary, medians:"
  echo "  open store (read-only, raw key):  $(median "$runs_file" open_us) us"
  echo "  find key + decrypt push:          $(median "$runs_file" lookup_decrypt_us) us"
  echo "  close:                            $(median "$runs_file" close_us) us"
  echo "  total:                            $(median "$runs_file" total_us) us   (max $(max "$runs_file" total_us) us)"
  echo "  peak RSS (VmHWM):                 $(median "$runs_file" peak_rss_kib) KiB   (max $(max "$runs_file" peak_rss_kib) KiB)"
  # One live extension process handling many pushes: memory must stay flat.
  "$bench" "$2" "$3" 999 | tail -1 >"$repeat"
  field() { sed -n "s/.*\b$1=\([0-9?]*\).*/\1/p" "$repeat"; }
  echo "$1: one process, $(field pushes) pushes (open, decrypt, close each):"
  echo "  RSS after 1 / 20 / all:           $(field rss_after_1_kib) / $(field rss_after_20_kib) / $(field rss_after_all_kib) KiB"
}

measure rocketchat "$work/store.db" "$work/push.json"
measure matrix "$work/matrix.db" cli/demo/m01-fcm-data-matrix.json

# Matrix with fetch on receipt: an event_id_only push whose event comes
# from the fake homeserver on 127.0.0.1 (tests/fake-server/), so the HTTP
# client, its runtime and the answer's parse are in the process too.
token="bench-token-$RANDOM"
coproc HS { exec python3 tests/fake-server/fake_homeserver.py --port 0 --token "$token" \
  --fixtures tests/vectors/matrix/matrix.json --max-seconds 600; }
read -r ready port <&"${HS[0]}"
[[ "$ready" == READY ]] || { echo "the fake homeserver did not start"; exit 1; }
hs="http://127.0.0.1:$port"
python3 - "$hs" "$work" <<'PY'
import json, sys
hs, work = sys.argv[1], sys.argv[2]
keys = json.load(open("tests/vectors/matrix/keys-sessions.json"))
keys["homeserver"] = hs
keys.pop("backup", None)
json.dump(keys, open(f"{work}/keys-fetch.json", "w"))
v = json.load(open("tests/vectors/matrix/matrix.json"))
push = next(p for p in v["pushes"] if p["id"] == "apns-id-only-text")
json.dump(push["payload"], open(f"{work}/id-only.json", "w"))
print(v["account"]["user_id"], v["account"]["device_id"], file=open(f"{work}/account.txt", "w"))
PY
read -r user device <"$work/account.txt"
"$cli" --store "$work/fetch.db" import --keys "$work/keys-fetch.json" >/dev/null 2>"$work/import-fetch.log" ||
  { cat "$work/import-fetch.log" >&2; exit 1; }
PUSHSEAL_AUTH_TOKEN="$token" "$cli" --store "$work/fetch.db" login --server "$hs" \
  --user-id "$user" --device-id "$device" >/dev/null
bench="$work/nse_fetch"
PUSHSEAL_FETCH=1 measure matrix-fetch "$work/fetch.db" "$work/id-only.json"
exec {HS[1]}>&-
