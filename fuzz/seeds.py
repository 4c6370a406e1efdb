#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target from the committed vectors
(tests/vectors/), so the seeds always match the keys the targets load.

Usage: fuzz/seeds.py OUT_DIR   (writes OUT_DIR/<target>/seed-*)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"


def load(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def ejson_of(payload):
    """The payload object inside any push container."""
    if isinstance(payload, str):
        return None
    if isinstance(payload.get("message"), dict):
        ejson = payload["message"].get("data", {}).get("ejson")
    elif "ejson" in payload:
        ejson = payload["ejson"]
    else:
        return payload
    try:
        return json.loads(ejson) if isinstance(ejson, str) else ejson
    except ValueError:
        return None


def main(out):
    v = load("rocketchat.json")
    seeds = {"push": {}, "keys_file": {}, "fetched": {}, "store": {}}
    dump = lambda value: json.dumps(value, ensure_ascii=False).encode()

    for p in v["pushes"]:
        payload = p["payload"]
        seeds["push"][p["id"]] = payload.encode() if isinstance(payload, str) else dump(payload)

    # Keys files in each private-key form the device user has; PBKDF2
    # rounds above the targets' bound are parsed but not unlocked.
    keys = load("keys.json")
    seeds["keys_file"]["keys"] = dump(keys)
    seeds["keys_file"]["keys-jwk"] = dump(load("keys-jwk.json"))
    v1_form = None
    for pk in v["private_keys"]:
        seeds["keys_file"]["stored-" + pk["id"]] = pk["fetch_my_keys"]["private_key"].encode()
        if pk["id"] == "pk-v1-ascii-web":
            v1_form = {"fetch_my_keys": pk["fetch_my_keys"], "password": pk["password"]}
        if pk["user_id"] == v["device_user"]["user_id"]:
            form = dict(keys, private_key={"fetch_my_keys": pk["fetch_my_keys"], "password": pk["password"]})
            seeds["keys_file"]["keys-" + pk["id"]] = dump(form)
    # One room per file too: the targets unwrap at most 3 room keys per
    # input (RSA is slow under the sanitizer).
    for r in v["rooms"]:
        for name, form in [("jwk", load("keys-jwk.json")["private_key"]), ("v1", v1_form)]:
            one = dict(keys, private_key=form, subscriptions=[r["subscription"]])
            seeds["keys_file"][f"room-{name}-{r['rid']}"] = dump(one)
    for f in load("upstream-keychain.json")["fixtures"]:
        seeds["keys_file"]["upstream-" + f["name"][:40].replace(" ", "-").replace("/", "-")] = f["private_key"].encode()

    # Server answers: byte 0 picks the endpoint (see fuzz_targets/fetched.rs).
    for m in v["messages"]:
        pushed = [p for p in v["pushes"] if p.get("message_id") == m["id"] and p["mode"] == "message"]
        payload = ejson_of(pushed[0]["payload"]) if pushed else None
        if payload is None:
            payload = {"host": v["server"] + "/", "messageId": m["id"], "notificationType": "message",
                       "rid": m["rid"], "messageType": "e2e", "msg": ""}
        answer = {"data": {"message": m["message"], "notification": {
            "title": "alice", "text": "", "payload": payload, "notId": 1}}, "success": True}
        seeds["fetched"]["push-get-" + m["id"]] = b"\x00" + dump(answer)
    for r in v["rooms"]:
        seeds["fetched"]["get-one-" + r["rid"]] = b"\x01" + dump({"subscription": r["subscription"], "success": True})
    seeds["fetched"]["get-one-none"] = b"\x01" + dump({"subscription": None, "success": True})
    everything = {"update": [r["subscription"] for r in v["rooms"]], "remove": [{"_id": "x"}], "success": True}
    seeds["fetched"]["get-all"] = b"\x02" + dump(everything)
    for r in v["rooms"]:
        one = {"update": [r["subscription"]], "remove": [], "success": True}
        seeds["fetched"]["get-" + r["rid"]] = b"\x02" + dump(one)

    # Store damage (see fuzz_targets/store.rs): the good store unchanged,
    # header bytes set, cut in half, and whole files that are no store.
    seeds["store"]["good"] = b"\x00"
    for at, value in [(16, 0), (20, 0), (20, 80), (21, 0), (28, 0xFF), (100, 0), (5000, 1)]:
        seeds["store"][f"set-{at}-{value}"] = b"\x00" + at.to_bytes(3, "little") + bytes([value])
    seeds["store"]["half"] = b"\x02\x80"
    seeds["store"]["empty-file"] = b"\x01"
    seeds["store"]["plain-sqlite-header"] = b"\x01" + b"SQLite format 3\x00" + bytes(84)

    for target, files in seeds.items():
        d = Path(out) / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (d / ("seed-" + name)).write_bytes(data)
        print(f"{target}: {len(files)} seeds in {d}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "fuzz" / "seeds")
