#!/usr/bin/env bash
# The CLI against the huge answers of issue 9 item 8, served by the fake
# server on 127.0.0.1: `decrypt` with one subscription carrying 2,000
# oldRoomKeys, `sync` with 2,000 subscriptions, `unlock` with 20,000 keys
# waiting for the private key, each with --deadline-ms 2000. Prints the wall
# time, exit code and what the CLI said, and fails when one takes 2.5 s or
# more. Release build; needs python3.
#   scripts/bench-deadline-cli.sh
set -euo pipefail
cd "$(dirname "$0")/.."
limit_ms=2500
out="${CARGO_TARGET_DIR:-target}/release"
cargo build --release --quiet -p pushseal-cli
cli="$out/pushseal"

work="$(mktemp -d)"
server_pid=
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=; fi; }
trap 'stop_server; rm -rf "$work"' EXIT
export PUSHSEAL_STORE_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export PUSHSEAL_AUTH_TOKEN=fake-auth-token
export PUSHSEAL_E2E_PASSWORD="$(python3 -c 'import json; print(json.load(open("tests/vectors/rocketchat.json"))["device_user"]["password"])')"

# fixtures.py NAME: writes $work/NAME.json for the fake server, and the keys
# files and push the scenarios need.
python3 - "$work" <<'PY'
import copy, json, sys
work = sys.argv[1]
v = json.load(open("tests/vectors/rocketchat.json"))
keys = json.load(open("tests/vectors/keys.json"))
room = next(r for r in v["rooms"] if r["rid"] == "GrpProjectX0000a1")

def fixtures(name, rooms):
    f = copy.deepcopy(v); f["rooms"] = rooms
    json.dump(f, open(f"{work}/{name}.json", "w"))

old = copy.deepcopy(room)
real = old["subscription"]["oldRoomKeys"]
old["subscription"]["oldRoomKeys"] = [
    {"e2eKeyId": f"filler-{i:05}", "E2EKey": real[0]["E2EKey"], "ts": {"$date": 0}} for i in range(1998)
] + real
fixtures("old-keys", [old])

def many(n):
    out = []
    for i in range(n):
        r = copy.deepcopy(room); rid = f"BulkRoom{i:06}"
        r["rid"] = rid; r["subscription"]["rid"] = rid; r["subscription"]["oldRoomKeys"] = []
        out.append(r)
    return out
fixtures("many-subs", many(2000))
fixtures("plain", v["rooms"])
json.dump({"server": "SERVER", "user_id": keys["user_id"], "private_key": keys["private_key"],
           "subscriptions": []}, open(f"{work}/keys-private.json", "w"))
json.dump({"server": "SERVER", "user_id": keys["user_id"],
           "subscriptions": [r["subscription"] for r in many(20000)]}, open(f"{work}/keys-pending.json", "w"))
push = next(p for p in v["pushes"] if p["id"] == "p01-apns-rc.v2-gcm-m01")
json.dump(push["payload"], open(f"{work}/push.json", "w"))
PY

start_server() {
  stop_server
  coproc SERVER { exec python3 tests/fake-server/fake_rocketchat.py --port 0 --max-seconds 600 --fixtures "$work/$1.json"; }
  server_pid=$SERVER_PID
  read -r ready port <&"${SERVER[0]}"
  [ "$ready" = READY ] || { echo "fake server did not start" >&2; exit 1; }
  url="http://127.0.0.1:$port"
}

# store KEYSFILE: a fresh store logged in to the server, from a keys file.
store() {
  rm -f "$work"/store.db*
  sed "s#\"SERVER\"#\"$url\"#" "$work/$1" > "$work/keys.json"
  "$cli" --store "$work/store.db" import --keys "$work/keys.json" >/dev/null 2>&1
  echo "$PUSHSEAL_AUTH_TOKEN" | "$cli" --store "$work/store.db" login --server "$url" --user-id "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["user_id"])' "$work/keys.json")" >/dev/null
}

failed=0
# timed LABEL CMD...: runs the CLI, prints the time, exit code and last line.
timed() {
  local label="$1"; shift
  local t0 t1 rc=0
  t0=$(date +%s%N)
  "$@" >"$work/out.txt" 2>&1 || rc=$?
  t1=$(date +%s%N)
  local ms=$(( (t1 - t0) / 1000000 ))
  printf '%-44s %6d ms  exit %d  %s\n' "$label" "$ms" "$rc" "$(tr '\n' ' ' < "$work/out.txt" | cut -c1-150)"
  [ "$ms" -lt "$limit_ms" ] || failed=1
}

start_server old-keys
store keys-private.json
python3 - "$work/push.json" "$url" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); inner = json.loads(p["ejson"]); inner["host"] = sys.argv[2] + "/"
p["ejson"] = json.dumps(inner); json.dump(p, open(sys.argv[1], "w"))
PY
timed "decrypt, 1 subscription with 2,000 old keys" \
  "$cli" --store "$work/store.db" decrypt --deadline-ms 2000 "$work/push.json"

start_server many-subs
store keys-private.json
timed "sync, 2,000 subscriptions" "$cli" --store "$work/store.db" sync --server "$url" --deadline-ms 2000
timed "sync again (carries on)" "$cli" --store "$work/store.db" sync --server "$url" --deadline-ms 2000

start_server plain
store keys-pending.json
timed "unlock, 20,000 pending keys" "$cli" --store "$work/store.db" unlock --server "$url" --deadline-ms 2000
"$cli" --store "$work/store.db" store info --json | python3 -c '
import json, sys
a = json.load(sys.stdin)
a = a[0] if isinstance(a, list) else a.get("accounts", [a])[0]
print("  after unlock: private key stored:", a.get("has_private_key"), "| pending keys:", a.get("pending_keys"), "| rooms with keys:", len(a.get("rooms", [])))' || true

if [ "$failed" -ne 0 ]; then echo "FAIL: a command took ${limit_ms} ms or more" >&2; exit 1; fi
echo "all within ${limit_ms} ms"
