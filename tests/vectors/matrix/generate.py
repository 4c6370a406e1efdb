#!/usr/bin/python3
"""Matrix (Megolm) test vectors for pushseal, made outside vodozemac.

Run from anywhere, with the Debian system Python that python3-olm installs into:

    /usr/bin/python3 tests/vectors/matrix/generate.py           # write, then check
    /usr/bin/python3 tests/vectors/matrix/generate.py --check   # only check

libolm (python3-olm) makes every Megolm session and message and the backup
ciphertexts it can make (PkEncryption); `spec_codecs.py` (Python
`cryptography`, written from the Matrix spec) reads all of them back and writes
the formats libolm does not have. Randomness is a labelled deterministic
generator fed to libolm through the bindings' URANDOM hook, so a rerun writes
the same bytes.

The check (both modes) reads the committed files, rebuilds every inbound
session from the committed session keys with both libolm and spec_codecs,
and recomputes every expected outcome with the reference rules in
`reference_push` / `reference_unlock`; the two implementations must agree
with each other and with the committed expectation, and each case's `want`
(the outcome the case was built for) must hold. Published upstream values in
published.json are verified with the same codecs.
"""

import argparse
import copy
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep __pycache__ out of the vectors directory

import olm  # noqa: E402  (python3-olm, libolm 3.2.x)
import olm.group_session  # noqa: E402
import olm.pk  # noqa: E402

import spec_codecs as sc  # noqa: E402
from spec_codecs import Fail, b64  # noqa: E402

MEGOLM = "m.megolm.v1.aes-sha2"
HOMESERVER = "https://matrix.example.org"
USER = "@bob:example.org"
DEVICE = "PUSHSEALBOB"
ALICE = "@alice:example.org"
CAROL = "@carol:example.org"
ALICE_DEVICE = "ALICEPHONE"
ROOM_A = "!projectx:example.org"
ROOM_B = "!ops:example.org"
ROOM_C = "!archive:example.org"
ROOM_D = "!dmcarol:example.org"
EXPORT_PASSPHRASE = "pässwörd 🔑 ключ"
EXPORT_ROUNDS = 100000
BACKUP_PASSPHRASE = "correct horse ✓ battery 🐎"
BACKUP_ITERATIONS = 10000
SSSS_PASSPHRASE = "Ünïcode security phrase 🛡️"
SSSS_ITERATIONS = 10000
SSSS_KEY_ID = "pUshSeaLsSsSkEy01"
BACKUP_VERSION = "7"
CLIENT_SECRET = "cs-7f3c2a1b-bob-example-org"
PICKLE_KEY = "pushseal pickle key 0123456789abc"
T0 = 1764160000000

OUT_JSON = os.path.join(HERE, "matrix.json")
OUT_EXPORT = os.path.join(HERE, "export.txt")
OUT_KEYS_EXPORT = os.path.join(HERE, "keys-export.json")
OUT_KEYS_SESSIONS = os.path.join(HERE, "keys-sessions.json")
PUBLISHED = os.path.join(HERE, "published.json")


# ------------------------------------------------------------------ randomness

class Drbg:
    """HMAC-SHA-256 in counter mode over a label: stable bytes per purpose."""

    def __init__(self, label):
        self.key = hashlib.sha256(b"pushseal matrix vectors/" + label.encode()).digest()
        self.n = 0

    def __call__(self, length):
        out = b""
        while len(out) < length:
            out += hmac.new(self.key, self.n.to_bytes(8, "big"), hashlib.sha256).digest()
            self.n += 1
        return out[:length]


def rand(label, length):
    return Drbg(label)(length)


def seed_libolm(label):
    """Point the bindings' randomness at a labelled generator; returns a copy
    of that generator so the caller can see which bytes libolm received."""
    olm.group_session.URANDOM = Drbg(label)
    olm.pk.URANDOM = Drbg(label)
    return Drbg(label)


def event_id(label):
    return "$" + b64(hashlib.sha256(label.encode()).digest()).replace("+", "-").replace("/", "_")


def cjson(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# ------------------------------------------------------------------ sessions

def ed25519_public(seed):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


ALICE_CURVE = b64(sc.x25519_public(rand("alice curve25519", 32)))
ALICE_ED = b64(ed25519_public(rand("alice ed25519", 32)))
CAROL_CURVE = b64(sc.x25519_public(rand("carol curve25519", 32)))
CAROL_ED = b64(ed25519_public(rand("carol ed25519", 32)))


class Outbound:
    """A libolm outbound session plus the secrets we fed it, so failure
    vectors can be forged as the session owner would."""

    def __init__(self, label, room_id, sender, sender_key, sender_ed):
        src = seed_libolm("session " + label)
        self.og = olm.OutboundGroupSession()
        fed = src(160)
        parsed = sc.parse_session_key(self.og.session_key)
        # libolm fills the ratchet first, then the Ed25519 seed.
        assert fed[:128] == parsed.ratchet, "libolm random layout changed"
        self.seed = fed[128:]
        assert ed25519_public(self.seed) == parsed.signing_key
        self.ratchet0 = parsed.ratchet
        self.session_key = self.og.session_key
        self.session_id = self.og.id
        assert self.session_id == parsed.session_id
        self.room_id, self.sender = room_id, sender
        self.sender_key, self.sender_ed = sender_key, sender_ed

    def encrypt(self, plaintext):
        index = self.og.message_index
        return self.og.encrypt(plaintext), index

    def exported(self, index, algorithm=MEGOLM):
        inbound = olm.InboundGroupSession(self.session_key)
        return {
            "algorithm": algorithm,
            "forwarding_curve25519_key_chain": [],
            "room_id": self.room_id,
            "sender_claimed_keys": {"ed25519": self.sender_ed},
            "sender_key": self.sender_key,
            "session_id": self.session_id,
            "session_key": inbound.export_session(index),
        }


def plaintext(room_id, content, typ="m.room.message"):
    return cjson({"content": content, "room_id": room_id, "type": typ})


def encrypted_event(ob, ciphertext, eid, ts, relates=None, room_id=None, algorithm=MEGOLM):
    content = {
        "algorithm": algorithm,
        "ciphertext": ciphertext,
        "device_id": ALICE_DEVICE,
        "sender_key": ob.sender_key,
        "session_id": ob.session_id,
    }
    if relates is not None:
        content["m.relates_to"] = relates
    return {
        "content": content,
        "event_id": eid,
        "origin_server_ts": ts,
        "room_id": room_id or ob.room_id,
        "sender": ob.sender,
        "type": "m.room.encrypted",
        "unsigned": {"age": 1200},
    }


# ------------------------------------------------------------------ push containers
# Written from Synapse synapse/push/httppusher.py (dispatch_push_event) and
# Sygnal sygnal/apnspushkin.py, sygnal/gcmpushkin.py at element-hq/sygnal
# 14591a71 (0.17.0).

MAX_BYTES_PER_FIELD = 1024


def sygnal_truncate(value):
    raw = value.encode("utf-8")
    if len(raw) <= MAX_BYTES_PER_FIELD:
        return value
    cut = raw[:MAX_BYTES_PER_FIELD - 3]
    while True:
        try:
            return cut.decode("utf-8") + "…"
        except UnicodeDecodeError as e:
            cut = cut[:e.start]


def notification(ev, room_name=None, sender_display_name=None, unread=2, id_only=False):
    """What Synapse posts to the gateway (the fields Sygnal reads)."""
    n = {"event_id": ev["event_id"], "room_id": ev["room_id"], "prio": "high",
         "counts": {"unread": unread}}
    if not id_only:
        n.update({"type": ev["type"], "sender": ev["sender"], "content": ev["content"]})
        if room_name is not None:
            n["room_name"] = room_name
        if sender_display_name is not None:
            n["sender_display_name"] = sender_display_name
    return n


ELEMENT_X_IOS_DEFAULT = {"aps": {"mutable-content": 1, "alert": {"loc-key": "Notification", "loc-args": []}},
                         "pusher_notification_client_identifier": hashlib.sha256(USER.encode()).hexdigest()}
ELEMENT_X_ANDROID_DEFAULT = {"cs": CLIENT_SECRET}


def apns_payload(n, default_payload):
    if "type" not in n:  # Sygnal _get_payload_event_id_only
        p = copy.deepcopy(default_payload)
        p["room_id"] = n["room_id"]
        p["event_id"] = n["event_id"]
        p["unread_count"] = n["counts"]["unread"]
        return p
    # _get_payload_full: encrypted content has no msgtype/body, so only names.
    sender = n.get("sender_display_name") or n.get("sender") or " "
    p = copy.deepcopy(default_payload)
    p.setdefault("aps", {})
    if n.get("room_name"):
        alert = {"loc-key": "MSG_FROM_USER_IN_ROOM", "loc-args": [sender, n["room_name"]]}
    else:
        alert = {"loc-key": "MSG_FROM_USER", "loc-args": [sender]}
    p["aps"].setdefault("alert", {}).update(alert)
    p["aps"]["badge"] = n["counts"]["unread"]
    p["room_id"] = n["room_id"]
    p["event_id"] = n["event_id"]
    return p


def fcm_data(n, default_payload, api):
    data = copy.deepcopy(default_payload)
    for attr in ["event_id", "type", "sender", "room_name", "room_alias", "membership",
                 "sender_display_name", "content", "room_id"]:
        if attr in n and n[attr] is not None:
            v = n[attr]
            data[attr] = sygnal_truncate(v) if isinstance(v, str) else v
    if api == "v1" and isinstance(data.get("content"), dict):
        for k, v in data.pop("content").items():
            if isinstance(v, str):
                data["content_" + k] = sygnal_truncate(v)
    data["prio"] = "high"
    if n["counts"].get("unread"):
        data["unread"] = n["counts"]["unread"] if api == "legacy" else str(n["counts"]["unread"])
    return data


def as_android_strings(data):
    """RemoteMessage.getData(): every value a string; objects as JSON text."""
    return {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            for k, v in data.items()}


# ------------------------------------------------------------------ reference rules

def libolm_reason(err):
    return {"BAD_SIGNATURE": "bad_auth_tag", "BAD_MESSAGE_MAC": "bad_auth_tag",
            "UNKNOWN_MESSAGE_INDEX": "unknown_message_index", "BAD_MESSAGE_VERSION": "bad_ciphertext",
            "BAD_MESSAGE_FORMAT": "bad_ciphertext", "INVALID_BASE64": "bad_ciphertext"}.get(err)


class Store:
    """Inbound sessions by (room_id, session_id), held twice: libolm and spec."""

    def __init__(self, sessions):
        self.sessions = {}
        self.seen = {}
        for s in sessions:
            if s.get("algorithm") != MEGOLM:
                continue
            spec = sc.parse_session_key(s["session_key"])
            assert spec.session_id == s["session_id"], "session id does not match its key"
            lib = olm.InboundGroupSession.import_session(s["session_key"])
            assert lib.id == s["session_id"] and lib.first_known_index == spec.first_index
            self.sessions[(s["room_id"], s["session_id"])] = (lib, spec)

    def decrypt(self, room_id, session_id, ciphertext):
        """Returns (plaintext bytes, index, libolm error) or raises Fail.
        Both implementations must agree on success and on failing."""
        lib, spec = self.sessions[(room_id, session_id)]
        try:
            lib_out = lib.decrypt(ciphertext, unicode_errors="strict")
            lib_err = None
        except olm.OlmGroupSessionError as e:
            lib_out, lib_err = None, str(e)
        except UnicodeDecodeError:
            lib_out, lib_err = None, "NOT_UTF8"
        try:
            pt, index = sc.megolm_decrypt(spec, ciphertext)
        except Fail as f:
            if lib_err is None and f.reason == "bad_padding":
                lib_err = "ACCEPTED (libolm does not check the PKCS#7 bytes)"
            elif lib_err is None:
                raise AssertionError(f"spec codec failed ({f}) where libolm decrypted") from None
            if f.reason != "bad_padding":  # libolm reports bad padding as a MAC error
                assert libolm_reason(lib_err) == f.reason, (lib_err, f.reason)
            f.libolm_error = lib_err
            raise
        if lib_err == "NOT_UTF8":
            return pt, index, lib_err
        assert lib_err is None, f"libolm failed ({lib_err}) where the spec codec decrypted"
        assert lib_out == (pt.decode("utf-8"), index), "libolm and spec codec disagree"
        return pt, index, None


def push_fields(payload):
    """Normalise every container to (event_id, room_id, cleartext content or
    None, names, sender, content source)."""
    if isinstance(payload, dict) and "event_id" in payload and "room_id" in payload:
        p = payload
    else:
        raise AssertionError("vector payload is not a Matrix push")
    content = p.get("content")
    source = None
    if isinstance(content, str):
        content, source = json.loads(content), "text"
    elif isinstance(content, dict):
        source = "object"
    else:
        flat = {k[len("content_"):]: v for k, v in p.items() if k.startswith("content_")}
        if flat:
            content, source = flat, "content_keys"
    return {
        "event_id": p["event_id"], "room_id": p["room_id"], "content": content, "source": source,
        "type": p.get("type"), "sender": p.get("sender"), "room_name": p.get("room_name"),
        "sender_display_name": p.get("sender_display_name"),
        "redacted": isinstance(p.get("unsigned"), dict) and "redacted_because" in p["unsigned"],
    }


MEDIA = {"m.image", "m.file", "m.video", "m.audio"}


def display_body(content, relates, sender_name):
    if isinstance(relates, dict) and relates.get("rel_type") == "m.replace" \
            and isinstance(content.get("m.new_content"), dict):
        content = content["m.new_content"]
    msgtype, body = content.get("msgtype"), content.get("body")
    if not isinstance(body, str):
        return None
    if msgtype == "m.emote":
        return f"* {sender_name} {body}"
    if msgtype in MEDIA:
        filename = content.get("filename")
        if isinstance(filename, str) and filename != body:
            return body
        return "📎 " + body
    return body


def reference_push(payload, store):
    """The expected outcome of one push, by the rules in README.md."""
    f = push_fields(payload)
    title = f["room_name"] or f["sender_display_name"] or "New message"
    out = {"status": None, "protocol": "matrix", "rid": f["room_id"], "message_id": f["event_id"],
           "sender_username": f["sender"]}
    content = f["content"]
    if f["redacted"] or (f["type"] == "m.room.encrypted" and content == {}):
        return dict(out, status="failed", reason="redacted", title=title, body=None)
    if content is None:
        return dict(out, status="needs_fetch", fetch_reason="id_only", title=None, body=None)
    if f["type"] is not None and f["type"] != "m.room.encrypted":
        return dict(out, status="not_encrypted", title=title,
                    body=display_body(content, content.get("m.relates_to"),
                                      f["sender_display_name"] or f["sender"]))
    relates = content.get("m.relates_to")
    thread_id = relates.get("event_id") if isinstance(relates, dict) \
        and relates.get("rel_type") == "m.thread" else None
    out["thread_id"] = thread_id
    if content.get("algorithm") != MEGOLM:
        return dict(out, status="failed", reason="unsupported_algorithm", title=title, body=None)
    ct, sid = content.get("ciphertext"), content.get("session_id")
    if not isinstance(ct, str) or ct.endswith("…") or not isinstance(sid, str):
        return dict(out, status="needs_fetch", fetch_reason="missing_ciphertext", title=None, body=None)
    out["key_id"] = sid
    if (f["room_id"], sid) not in store.sessions:
        return dict(out, status="failed", reason="no_room_key", title=title, body=None)
    try:
        pt, index, lib_err = store.decrypt(f["room_id"], sid, ct)
    except Fail as e:
        return dict(out, status="failed", reason=e.reason, title=title, body=None,
                    libolm_error=e.libolm_error)
    try:
        obj = json.loads(pt.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        obj = None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) \
            or not isinstance(obj.get("content"), dict):
        return dict(out, status="failed", reason="bad_plaintext", title=title, body=None)
    if obj.get("room_id") != f["room_id"]:
        return dict(out, status="failed", reason="room_mismatch", title=title, body=None)
    key = (sid, index)
    if store.seen.get(key, f["event_id"]) != f["event_id"]:
        return dict(out, status="failed", reason="replayed_message", title=title, body=None)
    store.seen[key] = f["event_id"]
    body = display_body(obj["content"], relates, f["sender_display_name"] or f["sender"])
    return dict(out, status="decrypted", title=title, body=body, algorithm=MEGOLM, message_index=index)


# ------------------------------------------------------------------ building the vectors

def build_sessions_and_events():
    s1 = Outbound("S1", ROOM_A, ALICE, ALICE_CURVE, ALICE_ED)
    s2 = Outbound("S2", ROOM_B, ALICE, ALICE_CURVE, ALICE_ED)
    s3 = Outbound("S3", ROOM_C, ALICE, ALICE_CURVE, ALICE_ED)
    s4 = Outbound("S4", ROOM_D, CAROL, CAROL_CURVE, CAROL_ED)
    events, notes = {}, {}
    ts = [T0]

    def add(name, ob, content, relates=None, raw_plaintext=None, room_in_plaintext=None,
            algorithm=MEGOLM, note=None):
        pt = raw_plaintext if raw_plaintext is not None else \
            plaintext(room_in_plaintext or ob.room_id, content)
        ct, index = ob.encrypt(pt)
        ts[0] += 60000
        ev = encrypted_event(ob, ct, event_id(name), ts[0], relates, algorithm=algorithm)
        events[name] = {"session": ob.session_id, "message_index": index, "plaintext": pt, "event": ev}
        if note:
            notes[name] = note
        return ev

    root = event_id("thread root")
    add("text", s1, {"msgtype": "m.text", "body": "Hi Bob, the build is green ✅"})
    add("notice", s1, {"msgtype": "m.notice", "body": "CI: deploy 42 finished"})
    add("emote", s1, {"msgtype": "m.emote", "body": "waves 👋"})
    add("image_caption", s1, {"msgtype": "m.image", "body": "Sunset over the bay", "filename": "sunset.jpg",
                              "url": "mxc://example.org/sunset", "info": {"mimetype": "image/jpeg"}})
    add("file_no_caption", s1, {"msgtype": "m.file", "body": "report.pdf", "filename": "report.pdf",
                                "url": "mxc://example.org/report"})
    add("image_no_filename", s1, {"msgtype": "m.image", "body": "IMG_0042.jpg", "url": "mxc://example.org/img"})
    add("edit", s1, {"msgtype": "m.text", "body": "* the build is red, sorry",
                     "m.new_content": {"msgtype": "m.text", "body": "the build is red, sorry"}},
        relates={"rel_type": "m.replace", "event_id": event_id("text")})
    add("thread_reply", s1, {"msgtype": "m.text", "body": "Replying in the thread 🧵"},
        relates={"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                 "m.in_reply_to": {"event_id": root}})
    add("formatted", s1, {"msgtype": "m.text", "body": "**bold** and plain",
                          "format": "org.matrix.custom.html", "formatted_body": "<b>bold</b> and plain"})
    long_body = ("Ünïcode line " + "0123456789 abcdefghij ✓ ") * 40 + "end."
    add("long", s1, {"msgtype": "m.text", "body": long_body})
    add("room_mismatch", s1, {"msgtype": "m.text", "body": "moved by the server"},
        room_in_plaintext=ROOM_B)
    add("not_json", s1, None, raw_plaintext="this is not JSON")
    add("no_type", s1, None, raw_plaintext=cjson({"content": {"msgtype": "m.text", "body": "x"},
                                                   "room_id": ROOM_A}))
    add("array", s1, None, raw_plaintext="[1,2,3]")
    # S2: the store only knows it from index 5 on.
    for i in range(8):
        add(f"ops_{i}", s2, {"msgtype": "m.text", "body": f"ops message {i}"})
    # S3: only in the key backup.
    add("archived", s3, {"msgtype": "m.text", "body": "this key is only in the backup"})
    # S4: a DM whose ratchet crosses the 2^8 reseed.
    for i in range(300):
        pt = plaintext(ROOM_D, {"msgtype": "m.text", "body": f"carol {i}"})
        if i in (0, 255, 256, 257, 299):
            ts[0] += 1000
            ct, index = s4.encrypt(pt)
            ev = encrypted_event(s4, ct, event_id(f"carol {i}"), ts[0])
            events[f"dm_{i}"] = {"session": s4.session_id, "message_index": index, "plaintext": pt, "event": ev}
        else:
            s4.encrypt(pt)
    return (s1, s2, s3, s4), events


def forge_failures(s1, events):
    """Tampered and owner-forged messages: spec_codecs writes them, libolm and
    spec_codecs must both reject them."""
    out = {}
    base = events["text"]["event"]
    raw = bytearray(sc.unb64(base["content"]["ciphertext"]))

    def variant(name, ct, algorithm=MEGOLM, eid=None):
        ev = copy.deepcopy(base)
        ev["content"]["ciphertext"] = ct
        ev["content"]["algorithm"] = algorithm
        ev["event_id"] = eid or event_id(name)
        out[name] = {"session": s1.session_id, "event": ev}

    flipped = bytearray(raw)
    flipped[12] ^= 0x01  # inside the AES ciphertext; the signature covers it
    variant("tampered_body", b64(bytes(flipped)))
    flipped = bytearray(raw)
    flipped[-1] ^= 0x80
    variant("tampered_signature", b64(bytes(flipped)))
    variant("truncated", b64(bytes(raw[:60])))
    wrong_version = bytearray(raw)
    wrong_version[0] = 0x04
    variant("wrong_version", b64(bytes(wrong_version)))
    variant("not_base64", "%%% not base64 %%%")
    pt = plaintext(ROOM_A, {"msgtype": "m.text", "body": "forged by the session owner"}).encode()
    padded = pt + bytes([16 - len(pt) % 16]) * (16 - len(pt) % 16)
    variant("owner_bad_mac", sc.megolm_forge(sc.ratchet_at(s1.ratchet0, 0, 100), 100, s1.seed, padded,
                                             mac_ok=False))
    # Last byte 0xff: more than the whole ciphertext, so libolm rejects it too.
    bad_pad = pt + b"\xff" * (16 - len(pt) % 16 or 16)
    assert len(bad_pad) < 255
    variant("owner_bad_padding", sc.megolm_forge(sc.ratchet_at(s1.ratchet0, 0, 101), 101, s1.seed, bad_pad))
    # Last byte 0x00: libolm strips nothing and returns the bytes; PKCS#7 (and
    # vodozemac's cbc crate) rejects it.
    zero_pad = pt + b"\x00" * (16 - len(pt) % 16 or 16)
    variant("owner_zero_padding", sc.megolm_forge(sc.ratchet_at(s1.ratchet0, 0, 102), 102, s1.seed, zero_pad))
    variant("algorithm_v2", base["content"]["ciphertext"], algorithm="m.megolm.v2.aes-sha2")
    variant("algorithm_olm", base["content"]["ciphertext"], algorithm="m.olm.v1.curve25519-aes-sha2")
    variant("replay", base["content"]["ciphertext"])
    unknown = copy.deepcopy(base)
    unknown["content"]["session_id"] = b64(rand("unknown session", 32))
    unknown["event_id"] = event_id("unknown_session")
    out["unknown_session"] = {"session": unknown["content"]["session_id"], "event": unknown}
    redacted = copy.deepcopy(base)
    redacted["event_id"] = event_id("redacted")
    redacted["content"] = {}
    redacted["unsigned"] = {"age": 900, "redacted_because": {
        "type": "m.room.redaction", "sender": ALICE, "event_id": event_id("redaction"),
        "origin_server_ts": T0 + 10 ** 7, "redacts": redacted["event_id"], "content": {}}}
    out["redacted"] = {"session": None, "event": redacted}
    return out


ROOM_NAMES = {ROOM_A: "Project X", ROOM_B: "Ops", ROOM_C: "Archive"}
DISPLAY = {ALICE: "Alice", CAROL: "Carol"}


def build_pushes(events):
    pushes = []

    def names(ev):
        return ROOM_NAMES.get(ev["room_id"]), DISPLAY.get(ev["sender"])

    def add(pid, description, container, mode, ev_name, payload, want, after=None):
        p = {"id": pid, "description": description, "container": container, "mode": mode,
             "event": ev_name, "payload": payload, "want": want}
        if after:
            p["after"] = after
        pushes.append(p)

    def full(ev, container):
        rn, dn = names(ev)
        n = notification(ev, rn, dn)
        if container == "apns":
            return apns_payload(n, {})
        if container == "fcm-data":
            return fcm_data(n, {}, "legacy")
        if container == "fcm-data-text":
            return as_android_strings(fcm_data(n, {}, "legacy"))
        if container == "fcm-v1":
            return fcm_data(n, {}, "v1")
        if container == "event":
            return ev
        raise ValueError(container)

    def ev(name):
        return events[name]["event"]

    ok = {"status": "decrypted"}
    # Every container with the same message.
    add("apns-full-text", "APNs, Sygnal full format: no ciphertext reaches the phone", "apns", "full",
        "text", full(ev("text"), "apns"), {"status": "needs_fetch", "fetch_reason": "id_only"})
    add("apns-id-only-text", "APNs event_id_only, as Element X iOS registers it", "apns", "event_id_only",
        "text", apns_payload(notification(ev("text"), id_only=True), ELEMENT_X_IOS_DEFAULT),
        {"status": "needs_fetch", "fetch_reason": "id_only"})
    add("fcm-data-text", "FCM legacy data map, content as an object", "fcm-data", "full", "text",
        full(ev("text"), "fcm-data"), dict(ok, body="Hi Bob, the build is green ✅", title="Project X"))
    add("fcm-data-string-text", "FCM data as Android delivers it: every value a string, content as JSON text",
        "fcm-data-text", "full", "text", full(ev("text"), "fcm-data-text"),
        dict(ok, body="Hi Bob, the build is green ✅"))
    add("fcm-v1-text", "FCM v1: content flattened to content_* string keys", "fcm-v1", "full", "text",
        full(ev("text"), "fcm-v1"), dict(ok, body="Hi Bob, the build is green ✅"))
    add("fcm-id-only-text", "FCM event_id_only, as Element X Android registers it (cs)", "fcm-data",
        "event_id_only", "text",
        as_android_strings(fcm_data(notification(ev("text"), id_only=True), ELEMENT_X_ANDROID_DEFAULT, "v1")),
        {"status": "needs_fetch", "fetch_reason": "id_only"})
    add("event-text", "a bare m.room.encrypted event as GET /rooms/{roomId}/event/{eventId} returns it",
        "event", "event", "text", ev("text"), dict(ok, title="New message"))
    # Display.
    add("fcm-data-notice", "m.notice: the body", "fcm-data", "full", "notice", full(ev("notice"), "fcm-data"),
        dict(ok, body="CI: deploy 42 finished"))
    add("fcm-data-emote", "m.emote: * <sender display name> <body>", "fcm-data", "full", "emote",
        full(ev("emote"), "fcm-data"), dict(ok, body="* Alice waves 👋"))
    add("event-emote", "m.emote with no display name known: the sender's user id", "event", "event", "emote",
        ev("emote"), dict(ok, body="* @alice:example.org waves 👋"))
    add("fcm-data-image-caption", "media whose body differs from filename: the caption", "fcm-data", "full",
        "image_caption", full(ev("image_caption"), "fcm-data"), dict(ok, body="Sunset over the bay"))
    add("fcm-data-file", "media whose body is the filename: 📎 <body>", "fcm-data", "full",
        "file_no_caption", full(ev("file_no_caption"), "fcm-data"), dict(ok, body="📎 report.pdf"))
    add("fcm-data-image-no-filename", "media without filename: 📎 <body>", "fcm-data", "full",
        "image_no_filename", full(ev("image_no_filename"), "fcm-data"), dict(ok, body="📎 IMG_0042.jpg"))
    add("fcm-data-edit", "edit: cleartext m.replace, the body of m.new_content", "fcm-data", "full", "edit",
        full(ev("edit"), "fcm-data"), dict(ok, body="the build is red, sorry"))
    add("fcm-v1-edit", "edit over FCM v1: Sygnal drops the cleartext m.relates_to, so the fallback body shows",
        "fcm-v1", "full", "edit", full(ev("edit"), "fcm-v1"), dict(ok, body="* the build is red, sorry"))
    add("fcm-data-thread", "thread reply: thread_id from the cleartext m.relates_to", "fcm-data", "full",
        "thread_reply", full(ev("thread_reply"), "fcm-data"),
        dict(ok, body="Replying in the thread 🧵", thread_id=event_id("thread root")))
    add("fcm-v1-thread", "thread reply over FCM v1: the relation is dropped, no thread_id", "fcm-v1", "full",
        "thread_reply", full(ev("thread_reply"), "fcm-v1"), dict(ok, thread_id=None))
    add("event-thread", "thread reply as a fetched event", "event", "event", "thread_reply",
        ev("thread_reply"), dict(ok, thread_id=event_id("thread root")))
    add("fcm-data-formatted", "formatted_body is ignored", "fcm-data", "full", "formatted",
        full(ev("formatted"), "fcm-data"), dict(ok, body="**bold** and plain"))
    add("fcm-data-long", "a long body is never cut (legacy FCM keeps content whole)", "fcm-data", "full",
        "long", full(ev("long"), "fcm-data"), dict(ok))
    add("fcm-v1-long-cut", "FCM v1 cuts content_ciphertext at 1024 bytes with …: fetch", "fcm-v1", "full",
        "long", full(ev("long"), "fcm-v1"), {"status": "needs_fetch", "fetch_reason": "missing_ciphertext"})
    add("event-long", "the fetched long event decrypts whole", "event", "event", "long", ev("long"), dict(ok))
    dm = ev("dm_0")
    add("fcm-data-dm-title", "no room_name: the title is the sender's display name", "fcm-data", "full",
        "dm_0", full(dm, "fcm-data"), dict(ok, title="Carol", body="carol 0"))
    for i in (255, 256, 257, 299):
        add(f"event-dm-{i}", f"message index {i}, across the 2^8 ratchet reseed", "event", "event", f"dm_{i}",
            ev(f"dm_{i}"), dict(ok, body=f"carol {i}", message_index=i))
    plain = {"content": {"msgtype": "m.text", "body": "not encrypted"}, "event_id": event_id("plain"),
             "origin_server_ts": T0, "room_id": ROOM_A, "sender": ALICE, "type": "m.room.message"}
    add("fcm-data-not-encrypted", "an unencrypted m.room.message", "fcm-data", "full", None,
        fcm_data(notification(plain, "Project X", "Alice"), {}, "legacy"),
        {"status": "not_encrypted", "body": "not encrypted"})
    # Failures.
    def fail(reason):
        return {"status": "failed", "reason": reason}
    add("event-room-mismatch", "the plaintext names another room", "event", "event", "room_mismatch",
        ev("room_mismatch"), fail("room_mismatch"))
    add("event-unknown-index", "the session is known from index 5; the message is index 2", "event", "event",
        "ops_2", ev("ops_2"), fail("unknown_message_index"))
    add("fcm-data-known-index", "the same session at index 6 decrypts", "fcm-data", "full", "ops_6",
        full(ev("ops_6"), "fcm-data"), dict(ok, body="ops message 6", title="Ops", message_index=6))
    add("event-index-5", "the first known index itself decrypts", "event", "event", "ops_5",
        ev("ops_5"), dict(ok, message_index=5))
    add("event-replay", "the ciphertext of 'text' under another event id, after 'text' was seen", "event",
        "event", "replay", events["replay"]["event"], fail("replayed_message"), after=["event-text"])
    add("event-same-event-twice", "the same event again is not a replay", "event", "event", "text",
        ev("text"), dict(ok), after=["event-text"])
    add("event-not-json", "plaintext is not JSON", "event", "event", "not_json", ev("not_json"),
        fail("bad_plaintext"))
    add("event-no-type", "plaintext object without type", "event", "event", "no_type", ev("no_type"),
        fail("bad_plaintext"))
    add("event-array", "plaintext is a JSON array", "event", "event", "array", ev("array"), fail("bad_plaintext"))
    add("event-algorithm-v2", "m.megolm.v2.aes-sha2 is not supported", "event", "event", "algorithm_v2",
        events["algorithm_v2"]["event"], fail("unsupported_algorithm"))
    add("event-algorithm-olm", "an Olm algorithm on a room event", "event", "event", "algorithm_olm",
        events["algorithm_olm"]["event"], fail("unsupported_algorithm"))
    add("event-redacted", "a redacted event: content {} and unsigned.redacted_because", "event", "event",
        "redacted", events["redacted"]["event"], fail("redacted"))
    add("event-tampered-body", "one ciphertext bit flipped: the Ed25519 signature fails", "event", "event",
        "tampered_body", events["tampered_body"]["event"], fail("bad_auth_tag"))
    add("event-tampered-signature", "one signature bit flipped", "event", "event", "tampered_signature",
        events["tampered_signature"]["event"], fail("bad_auth_tag"))
    add("event-owner-bad-mac", "signed by the session key, wrong MAC", "event", "event", "owner_bad_mac",
        events["owner_bad_mac"]["event"], fail("bad_auth_tag"))
    add("event-owner-bad-padding", "signed, right MAC, bad PKCS#7 padding", "event", "event",
        "owner_bad_padding", events["owner_bad_padding"]["event"], fail("bad_padding"))
    add("event-owner-zero-padding", "signed, right MAC, last byte 0x00: not PKCS#7 (libolm accepts it)",
        "event", "event", "owner_zero_padding", events["owner_zero_padding"]["event"], fail("bad_padding"))
    add("event-truncated", "message cut short", "event", "event", "truncated", events["truncated"]["event"],
        fail("bad_ciphertext"))
    add("event-wrong-version", "message version byte 0x04", "event", "event", "wrong_version",
        events["wrong_version"]["event"], fail("bad_ciphertext"))
    add("event-not-base64", "ciphertext is not base64", "event", "event", "not_base64",
        events["not_base64"]["event"], fail("bad_ciphertext"))
    add("fcm-v1-no-room-key", "a session only in the key backup", "fcm-v1", "full", "archived",
        full(ev("archived"), "fcm-v1"), fail("no_room_key"))
    add("event-unknown-session", "a session nobody has", "event", "event", "unknown_session",
        events["unknown_session"]["event"], fail("no_room_key"))
    return pushes


def compute_expected(pushes, store_sessions):
    by_id = {p["id"]: p for p in pushes}
    results = {}
    for p in pushes:
        store = Store(store_sessions)
        for prior in p.get("after", []):
            reference_push(by_id[prior]["payload"], store)
        results[p["id"]] = reference_push(p["payload"], store)
    return results


def follow_ups(push, events, expected, store_sessions, backup):
    """What the push becomes after the one fetch the store path may make:
    the event from GET /rooms/{roomId}/event/{eventId} (`expected_after_fetch`),
    or the session from the key backup (`expected_after_backup`). The push's
    own names still give the title and the emote's sender name."""
    out = {}
    if expected["status"] == "needs_fetch" and push["event"]:
        merged = dict(events[push["event"]]["event"])
        for k in ("room_name", "sender_display_name"):
            if k in push["payload"]:
                merged[k] = push["payload"][k]
        out["expected_after_fetch"] = compute_expected([{"id": "f", "payload": merged}], store_sessions)["f"]
    if expected.get("reason") == "no_room_key":
        room = backup["keys"]["rooms"].get(expected["rid"], {}).get("sessions", {})
        if expected["key_id"] in room:
            data, _ = sc.backup_session(sc.unb64(backup["backup_key_base64"]), expected["rid"],
                                        expected["key_id"], room[expected["key_id"]])
            store = Store(store_sessions + [data])
            out["expected_after_backup"] = reference_push(push["payload"], store)
    return out


def split_libolm(result):
    """libolm's own error is evidence for the vector, not a pushseal field."""
    result = dict(result)
    return result, result.pop("libolm_error", None)


# ------------------------------------------------------------------ key export

def build_export(store_sessions):
    text = sc.export_encrypt(cjson_list(store_sessions).encode(), EXPORT_PASSPHRASE, rand("export salt", 16),
                             sc.clear_bit63(rand("export iv", 16)), EXPORT_ROUNDS)
    one_line = sc.export_encrypt(cjson_list(store_sessions).encode(), EXPORT_PASSPHRASE,
                                 rand("export salt 2", 16), sc.clear_bit63(rand("export iv 2", 16)), 1000,
                                 style="one-line")
    lines = text.split("\n")
    damaged_line = list(lines[2])
    damaged_line[10] = "A" if damaged_line[10] != "A" else "B"
    damaged = "\n".join(lines[:2] + ["".join(damaged_line)] + lines[3:])
    cases = [
        {"id": "element-style", "file": "export.txt", "passphrase": EXPORT_PASSPHRASE, "want": "ok"},
        {"id": "one-line-crlf", "text": one_line, "passphrase": EXPORT_PASSPHRASE, "want": "ok",
         "note": "one unpadded base64 line and CRLF, as matrix-rust-sdk writes it; 1000 rounds"},
        {"id": "wrong-passphrase", "file": "export.txt", "passphrase": EXPORT_PASSPHRASE + " ", "want": "bad_passphrase"},
        {"id": "ascii-folded-passphrase", "file": "export.txt", "passphrase": "passwort 🔑 ключ",
         "want": "bad_passphrase", "note": "the passphrase is UTF-8 bytes, not folded"},
        {"id": "damaged-body", "text": damaged, "passphrase": EXPORT_PASSPHRASE, "want": "bad_passphrase",
         "note": "one base64 character changed: the HMAC fails, same error as a wrong passphrase"},
        {"id": "no-trailer", "text": text.replace(sc.EXPORT_TRAILER, ""), "passphrase": EXPORT_PASSPHRASE,
         "want": "bad_armour"},
        {"id": "too-short", "text": sc.EXPORT_HEADER + "\nAXNhbHQ=\n" + sc.EXPORT_TRAILER + "\n",
         "passphrase": EXPORT_PASSPHRASE, "want": "bad_armour"},
    ]
    return text, cases


def cjson_list(items):
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def check_export(case, text, store_sessions):
    try:
        pt = sc.export_decrypt(text, case["passphrase"])
    except Fail as f:
        assert f.reason == case["want"], (case["id"], f)
        return
    assert case["want"] == "ok", case["id"]
    data = json.loads(pt.decode("utf-8"))
    assert data == store_sessions, case["id"]


# ------------------------------------------------------------------ key backup

def build_backup(obs):
    s1, s2, s3, s4 = obs
    salt = b64(rand("backup salt", 24))
    backup_key = sc.passphrase_key(BACKUP_PASSPHRASE, salt, BACKUP_ITERATIONS)
    public = b64(sc.x25519_public(backup_key))
    dev_seed = rand("bob device ed25519", 32)
    auth = {"public_key": public, "private_key_salt": salt, "private_key_iterations": BACKUP_ITERATIONS}
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    sig = b64(Ed25519PrivateKey.from_private_bytes(dev_seed).sign(cjson(auth).encode()))
    auth["signatures"] = {USER: {f"ed25519:{DEVICE}": sig}}
    version = {"algorithm": sc.BACKUP_ALGORITHM, "auth_data": auth, "count": 3, "etag": "3",
               "version": BACKUP_VERSION}

    def backed_up(ob, index):
        e = ob.exported(index)
        return {k: v for k, v in e.items() if k not in ("room_id", "session_id")}

    def libolm_encrypt(label, obj):
        seed_libolm("backup " + label)
        m = olm.PkEncryption(public).encrypt(cjson(obj))
        return {"ciphertext": m.ciphertext, "ephemeral": m.ephemeral_key, "mac": m.mac}

    def kbd(session_data, first, verified=True):
        return {"first_message_index": first, "forwarded_count": 0, "is_verified": verified,
                "session_data": session_data}

    keys = {"rooms": {
        ROOM_C: {"sessions": {s3.session_id: kbd(libolm_encrypt("S3", backed_up(s3, 0)), 0)}},
        ROOM_A: {"sessions": {s1.session_id: kbd(
            sc.backup_encrypt(sc.unb64(public), cjson(backed_up(s1, 0)).encode(), rand("eph S1", 32)), 0)}},
        ROOM_B: {"sessions": {s2.session_id: kbd(libolm_encrypt("S2", backed_up(s2, 3)), 3)}},
    }}
    pub = sc.unb64(public)
    bad = {}
    pt_ok = cjson(backed_up(s3, 0)).encode()
    bad["bad_padding"] = kbd(sc.backup_encrypt(pub, None, rand("eph pad", 32),
                                               raw_padded=pt_ok + b"\x00" * (16 - len(pt_ok) % 16 or 16)), 0)
    bad["session_mismatch"] = kbd(sc.backup_encrypt(pub, cjson(backed_up(s1, 0)).encode(),
                                                    rand("eph mismatch", 32)), 0)
    bad["not_json"] = kbd(sc.backup_encrypt(pub, b"{not json", rand("eph json", 32)), 0)
    bad["bad_mac"] = kbd(sc.backup_encrypt(pub, pt_ok, rand("eph mac", 32), mac_ok=False), 0)
    bad["wrong_algorithm"] = kbd(sc.backup_encrypt(
        pub, cjson(dict(backed_up(s3, 0), algorithm="m.megolm.v2.aes-sha2")).encode(), rand("eph alg", 32)), 0)
    session_cases = [
        {"id": "ok-libolm", "room_id": ROOM_C, "session_id": s3.session_id,
         "key_backup_data": keys["rooms"][ROOM_C]["sessions"][s3.session_id], "want": "ok",
         "note": "made by libolm PkEncryption"},
        {"id": "ok-spec", "room_id": ROOM_A, "session_id": s1.session_id,
         "key_backup_data": keys["rooms"][ROOM_A]["sessions"][s1.session_id], "want": "ok",
         "note": "made by spec_codecs"},
        {"id": "ok-later-index", "room_id": ROOM_B, "session_id": s2.session_id,
         "key_backup_data": keys["rooms"][ROOM_B]["sessions"][s2.session_id], "want": "ok",
         "note": "first_message_index 3: lower than the export's 5, so it replaces it"},
    ] + [{"id": k.replace("_", "-"), "room_id": ROOM_C, "session_id": s3.session_id, "key_backup_data": v,
          "want": {"bad_padding": "bad_padding", "session_mismatch": "session_mismatch",
                   "not_json": "bad_plaintext", "bad_mac": "bad_auth_tag",
                   "wrong_algorithm": "unsupported_algorithm"}[k]} for k, v in bad.items()]

    # Secret storage: the key Element shows as "recovery key", from a passphrase.
    ssss_salt = b64(rand("ssss salt", 24))
    ssss_key = sc.passphrase_key(SSSS_PASSPHRASE, ssss_salt, SSSS_ITERATIONS)
    check = sc.ssss_encrypt(ssss_key, "", bytes(32), sc.clear_bit63(rand("ssss check iv", 16)))
    account_data = {
        "m.secret_storage.default_key": {"key": SSSS_KEY_ID},
        f"m.secret_storage.key.{SSSS_KEY_ID}": {
            "algorithm": sc.SSSS_ALGORITHM, "iv": check["iv"], "mac": check["mac"], "name": "Recovery",
            "passphrase": {"algorithm": "m.pbkdf2", "salt": ssss_salt, "iterations": SSSS_ITERATIONS,
                           "bits": 256}},
        "m.megolm_backup.v1": {"encrypted": {SSSS_KEY_ID: sc.ssss_encrypt(
            ssss_key, "m.megolm_backup.v1", b64(backup_key).encode(),
            sc.clear_bit63(rand("ssss secret iv", 16)))}},
    }
    other = rand("some other key", 32)
    bad_parity = list(sc.encode_recovery_key(backup_key))
    bad_parity[-1] = "e" if bad_parity[-1] != "e" else "f"
    unlock_cases = [
        {"id": "backup-key", "recovery_key": sc.encode_recovery_key(backup_key),
         "want": {"ok": True, "via": "backup_key"}},
        {"id": "backup-key-unspaced", "recovery_key": sc.encode_recovery_key(backup_key).replace(" ", ""),
         "want": {"ok": True, "via": "backup_key"}},
        {"id": "backup-key-newlines", "recovery_key": "  " + sc.encode_recovery_key(backup_key).replace(" ", "\r\n", 3) + "\n",
         "want": {"ok": True, "via": "backup_key"}},
        {"id": "secret-storage-key", "recovery_key": sc.encode_recovery_key(ssss_key),
         "want": {"ok": True, "via": "secret_storage"},
         "note": "what Element X / Element Web call the recovery key"},
        {"id": "backup-passphrase", "passphrase": BACKUP_PASSPHRASE,
         "want": {"ok": True, "via": "backup_passphrase"}},
        {"id": "secret-storage-passphrase", "passphrase": SSSS_PASSPHRASE,
         "want": {"ok": True, "via": "secret_storage_passphrase"}},
        {"id": "wrong-key", "recovery_key": sc.encode_recovery_key(other),
         "want": {"ok": False, "reason": "public_key_mismatch"}},
        {"id": "wrong-passphrase", "passphrase": BACKUP_PASSPHRASE + "!",
         "want": {"ok": False, "reason": "public_key_mismatch"}},
        {"id": "bad-parity", "recovery_key": "".join(bad_parity),
         "want": {"ok": False, "reason": "bad_recovery_key"}},
        {"id": "not-base58", "recovery_key": "EsTc LW2K PGiF wKEA 0OIl",
         "want": {"ok": False, "reason": "bad_recovery_key"}},
    ]
    return {
        "about": "GET /_matrix/client/v3/room_keys/version answer, GET /room_keys/keys answer, account data "
                 "for secret storage, and unlock and per-session cases. The backup key is derived from "
                 "backup_passphrase (auth_data.private_key_salt/iterations); the secret-storage key from "
                 "secret_storage_passphrase (m.pbkdf2).",
        "backup_passphrase": BACKUP_PASSPHRASE,
        "secret_storage_passphrase": SSSS_PASSPHRASE,
        "backup_key_base64": b64(backup_key),
        "recovery_key": sc.encode_recovery_key(backup_key),
        "secret_storage_key_base64": b64(ssss_key),
        "secret_storage_recovery_key": sc.encode_recovery_key(ssss_key),
        "version": version,
        "keys": keys,
        "account_data": account_data,
        "unlock_cases": unlock_cases,
        "session_cases": session_cases,
    }


def reference_unlock(case, backup):
    """Unlock the backup key from what a user types; the order is: a decoded
    key is tried as the secret-storage key (key-description check), then as
    the backup key (public key); a passphrase is tried with the secret-storage
    m.pbkdf2 parameters, then with auth_data's. Nothing is accepted unless
    the resulting backup key matches auth_data.public_key."""
    auth = backup["version"]["auth_data"]
    ad = backup["account_data"]
    key_id = ad["m.secret_storage.default_key"]["key"]
    desc = ad[f"m.secret_storage.key.{key_id}"]
    public = sc.unb64(auth["public_key"])

    def via_ssss(k):
        if not sc.ssss_key_check(k, desc):
            return None
        secret = sc.ssss_decrypt(k, "m.megolm_backup.v1", ad["m.megolm_backup.v1"]["encrypted"][key_id])
        return sc.unb64(secret.decode())

    if "recovery_key" in case:
        try:
            k = sc.decode_recovery_key(case["recovery_key"])
        except Fail as f:
            return {"ok": False, "reason": f.reason}, None
        candidates = [("secret_storage", via_ssss(k)), ("backup_key", k)]
    else:
        pp = desc["passphrase"]
        k = sc.passphrase_key(case["passphrase"], pp["salt"], pp["iterations"], pp.get("bits", 256))
        candidates = [("secret_storage_passphrase", via_ssss(k)),
                      ("backup_passphrase", sc.passphrase_key(case["passphrase"], auth["private_key_salt"],
                                                              auth["private_key_iterations"]))]
    for via, key in candidates:
        if key is not None and sc.x25519_public(key) == public:
            return {"ok": True, "via": via}, key
    return {"ok": False, "reason": "public_key_mismatch"}, None


def libolm_backup_decrypt(key, session_data):
    """libolm PkDecryption from a known private key (fed through URANDOM)."""
    olm.pk.URANDOM = lambda n: key
    d = olm.PkDecryption()
    return d.decrypt(olm.PkMessage(session_data["ephemeral"], session_data["mac"], session_data["ciphertext"]))


def check_backup(backup, store_sessions):
    key = sc.unb64(backup["backup_key_base64"])
    assert sc.decode_recovery_key(backup["recovery_key"]) == key
    for case in backup["unlock_cases"]:
        got, k = reference_unlock(case, backup)
        assert got == case["want"], (case["id"], got)
        if got["ok"]:
            assert k == key, case["id"]
    for case in backup["session_cases"]:
        sd = case["key_backup_data"]["session_data"]
        try:
            lib = libolm_backup_decrypt(key, sd)
            lib_err = None
        except olm.PkDecryptionError as e:
            lib, lib_err = None, str(e)
        try:
            out, sess = sc.backup_session(key, case["room_id"], case["session_id"], case["key_backup_data"])
        except Fail as f:
            assert f.reason == case["want"], (case["id"], f)
            if f.reason == "bad_auth_tag":
                assert lib_err == "BAD_MESSAGE_MAC", lib_err
            elif f.reason == "bad_padding":
                lib_err = lib_err or "ACCEPTED (libolm does not check the PKCS#7 bytes)"
            else:
                assert lib is not None
            case_result = {"ok": False, "reason": f.reason, "libolm_error": lib_err}
        else:
            assert case["want"] == "ok", case["id"]
            assert lib.encode() == sc.backup_decrypt(key, sd)
            assert sess.first_index == case["key_backup_data"]["first_message_index"]
            case_result = {"ok": True}
        assert case.get("result", case_result) == case_result, (case["id"], case_result)
        case["result"] = case_result


# ------------------------------------------------------------------ account choice

BOB2 = "@bob:matrix.example.net"
ACCOUNTS = [
    {"homeserver": HOMESERVER, "user_id": USER, "device_id": DEVICE, "client_secret": CLIENT_SECRET},
    {"homeserver": "https://matrix.example.net", "user_id": BOB2, "device_id": "PUSHSEALBOB2",
     "client_secret": "cs-0d9e8f7a-bob-example-net"},
]


def sha256_hex(user_id):
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def build_account_choice():
    base = {"event_id": event_id("text"), "room_id": ROOM_A, "unread_count": 1}
    ios = dict(base, aps={"mutable-content": 1, "alert": {"loc-key": "Notification", "loc-args": []}})
    fcm = {"event_id": event_id("text"), "room_id": ROOM_A, "prio": "high", "unread": "1"}
    return [
        {"id": "only-account", "accounts": [USER], "payload": fcm, "want": {"account": USER}},
        {"id": "ios-identifier", "accounts": [USER, BOB2],
         "payload": dict(ios, pusher_notification_client_identifier=sha256_hex(BOB2)), "want": {"account": BOB2}},
        {"id": "ios-identifier-first", "accounts": [USER, BOB2],
         "payload": dict(ios, pusher_notification_client_identifier=sha256_hex(USER)), "want": {"account": USER}},
        {"id": "android-cs", "accounts": [USER, BOB2],
         "payload": dict(fcm, cs=ACCOUNTS[1]["client_secret"]), "want": {"account": BOB2}},
        {"id": "no-identifier", "accounts": [USER, BOB2], "payload": fcm,
         "want": {"status": "failed", "reason": "unknown_server"}},
        {"id": "unknown-identifier", "accounts": [USER, BOB2],
         "payload": dict(ios, pusher_notification_client_identifier=sha256_hex("@eve:example.org")),
         "want": {"status": "failed", "reason": "unknown_server"}},
        {"id": "unknown-cs", "accounts": [USER, BOB2], "payload": dict(fcm, cs="cs-not-ours"),
         "want": {"status": "failed", "reason": "unknown_server"}},
    ]


def reference_account(case):
    accts = [a for a in ACCOUNTS if a["user_id"] in case["accounts"]]
    if len(accts) == 1:
        return {"account": accts[0]["user_id"]}
    p = case["payload"]
    for a in accts:
        if p.get("pusher_notification_client_identifier") == sha256_hex(a["user_id"]):
            return {"account": a["user_id"]}
    for a in accts:
        if "cs" in p and p["cs"] == a["client_secret"]:
            return {"account": a["user_id"]}
    return {"status": "failed", "reason": "unknown_server"}


# ------------------------------------------------------------------ published vectors

def check_published():
    with open(PUBLISHED, encoding="utf-8") as fh:
        pub = json.load(fh)
    n = 0
    for v in pub["key_export"]["vectors"]:
        text = v["armour"]
        assert sc.export_decrypt(text, v["passphrase"]).decode("utf-8") == v["plaintext"], v["name"]
        body = sc.unb64("".join(text.split("\n")[1:-1]))
        iv = body[17:33]
        blocks = (len(body) - 37 - 32 + 15) // 16
        if int.from_bytes(iv[8:], "big") + blocks - 1 >= 2 ** 64:  # the low 64 bits wrap
            k, _ = sc.export_keys(v["passphrase"], body[1:17], int.from_bytes(body[33:37], "big"))
            assert sc.ctr128(k, iv, body[37:-32]) != v["plaintext"].encode(), v["name"]
        n += 1
    rk = pub["recovery_key"]
    key = bytes.fromhex(rk["key_hex"])
    assert sc.encode_recovery_key(key) == rk["encoded"]
    assert sc.decode_recovery_key(rk["encoded"].replace(" ", "")) == key
    assert b64(sc.x25519_public(key)) == rk["public_key"]
    try:
        sc.decode_recovery_key(rk["bad_parity"])
        raise AssertionError("bad parity accepted")
    except Fail as f:
        assert f.reason == "bad_recovery_key"
    n += 1
    pp = pub["backup_passphrase"]
    assert sc.passphrase_key(pp["passphrase"], pp["salt"], pp["iterations"]) == bytes(pp["key_bytes"])
    n += 1
    js = pub["matrix_js_sdk"]
    key = sc.unb64(js["BACKUP_DECRYPTION_KEY_BASE64"])
    assert key == bytes.fromhex(rk["key_hex"])
    assert b64(sc.x25519_public(key)) == js["SIGNED_BACKUP_DATA"]["auth_data"]["public_key"]
    sd = js["CURVE25519_KEY_BACKUP_DATA"]
    session_data, sess = sc.backup_session(key, js["TEST_ROOM_ID"], js["MEGOLM_SESSION_DATA"]["session_id"], sd)
    assert libolm_backup_decrypt(key, sd["session_data"]).encode() == sc.backup_decrypt(key, sd["session_data"])
    ev = js["ENCRYPTED_EVENT"]
    for source in (session_data["session_key"], js["MEGOLM_SESSION_DATA"]["session_key"]):
        pt, index = sc.megolm_decrypt(sc.parse_session_key(source), ev["content"]["ciphertext"])
        obj = json.loads(pt)
        assert obj["content"] == js["CLEAR_EVENT"]["content"] and obj["room_id"] == ev["room_id"]
        lib = olm.InboundGroupSession.import_session(source)
        assert lib.decrypt(ev["content"]["ciphertext"]) == (pt.decode(), index)
    for s in js["MEGOLM_SESSION_DATA_ARRAY"]:
        assert sc.parse_session_key(s["session_key"]).session_id == s["session_id"]
        assert olm.InboundGroupSession.import_session(s["session_key"]).id == s["session_id"]
    n += 1
    rx = pub["matrix_rust_sdk_export"]
    sessions = json.loads(sc.export_decrypt(rx["armour"], rx["passphrase"]))
    assert isinstance(sessions, list) and sessions
    for s in sessions:
        lib = olm.InboundGroupSession.import_session(s["session_key"])
        assert lib.id == s["session_id"] == sc.parse_session_key(s["session_key"]).session_id
    try:
        sc.export_decrypt(rx["armour"], rx["passphrase"] + "5")
        raise AssertionError("wrong passphrase accepted")
    except Fail as f:
        assert f.reason == "bad_passphrase"
    n += 1
    rs = pub["matrix_rust_sdk_backup"]
    key = sc.unb64(rs["key_base64"])
    plain = sc.backup_decrypt(key, rs["key_backup_data"]["session_data"])
    data = json.loads(plain)
    assert json.loads(libolm_backup_decrypt(key, rs["key_backup_data"]["session_data"])) == data
    olm.InboundGroupSession.import_session(data["session_key"])
    n += 1
    return n


# ------------------------------------------------------------------ check

def check_all():
    with open(OUT_JSON, encoding="utf-8") as fh:
        v = json.load(fh)
    with open(OUT_EXPORT, encoding="utf-8") as fh:
        export_text = fh.read()
    store_sessions = v["store_sessions"]
    counts = {}
    # Ratchet: libolm's export at each index equals the spec ratchet.
    r = v["ratchet"]
    s0 = sc.parse_session_key(r["session_key"])
    lib = olm.InboundGroupSession(r["session_key"])
    for step in r["steps"]:
        exported = lib.export_session(step["index"])
        assert exported == step["exported"], step["index"]
        assert sc.ratchet_at(s0.ratchet, 0, step["index"]).hex() == step["ratchet_hex"]
        assert sc.parse_session_key(exported).ratchet.hex() == step["ratchet_hex"]
        assert s0.export_at(step["index"]) == exported, step["index"]
    counts["ratchet steps"] = len(r["steps"])
    # Every event: libolm and spec codec agree on the committed plaintext.
    full = Store([s["exported_at_0"] for s in v["sessions"]])
    for name, e in v["events"].items():
        ev = e["event"]
        pt, index, _ = full.decrypt(ev["room_id"], ev["content"]["session_id"], ev["content"]["ciphertext"])
        assert pt.decode("utf-8") == e["plaintext"] and index == e["message_index"], name
        for s in v["sessions"]:
            if s["session_id"] == e["session"]:
                assert sc.parse_session_key(s["session_key"]).session_id == s["session_id"]
    counts["events"] = len(v["events"])
    for pk in v["libolm_pickles"]["cases"]:
        lib = olm.InboundGroupSession.from_pickle(pk["pickle"].encode(), pk["pickle_key"])
        assert lib.id == pk["session_id"] and lib.first_known_index == pk.get("first_known_index", 0)
        e = v["events"][pk["event"]]
        assert lib.decrypt(e["event"]["content"]["ciphertext"]) == (e["plaintext"], e["message_index"])
        assert olm.InboundGroupSession.from_pickle(pk["pickle"].encode(), pk["pickle_key"]).pickle(pk["pickle_key"]).decode() == pk["pickle"]
    counts["libolm pickles"] = len(v["libolm_pickles"]["cases"])
    # Pushes.
    results = compute_expected(v["pushes"], store_sessions)
    containers = set()
    for p in v["pushes"]:
        got, lib_err = split_libolm(results[p["id"]])
        assert p["expected"] == got, (p["id"], got, p["expected"])
        assert p.get("libolm_error") == lib_err, (p["id"], lib_err)
        for k, want in p["want"].items():
            assert got.get(k) == want, (p["id"], k, got.get(k), want)
        containers.add((p["container"], p["mode"]))
        extra = follow_ups(p, dict(v["events"], **v["bad_events"]), got, store_sessions, v["backup"])
        for k in ("expected_after_fetch", "expected_after_backup"):
            assert p.get(k) == extra.get(k), (p["id"], k, extra.get(k))
    reasons = {r["reason"] for r in results.values() if r["status"] == "failed"}
    need = {"room_mismatch", "unknown_message_index", "replayed_message", "bad_plaintext",
            "unsupported_algorithm", "redacted", "bad_auth_tag", "bad_ciphertext", "bad_padding", "no_room_key"}
    assert need <= reasons, need - reasons
    assert {"apns", "fcm-data", "fcm-data-text", "fcm-v1", "event"} <= {c for c, _ in containers}
    assert any("expected_after_backup" in p and p["expected_after_backup"]["status"] == "decrypted"
               for p in v["pushes"]), "no push is healed by the backup"
    counts["pushes"] = len(v["pushes"])
    # Account choice.
    for case in v["account_choice"]["cases"]:
        assert reference_account(case) == case["want"], case["id"]
    counts["account cases"] = len(v["account_choice"]["cases"])
    # Export.
    for case in v["key_export"]["cases"]:
        check_export(case, export_text if case.get("file") == "export.txt" else case["text"], store_sessions)
    counts["export cases"] = len(v["key_export"]["cases"])
    # Backup.
    check_backup(v["backup"], store_sessions)
    counts["backup cases"] = len(v["backup"]["unlock_cases"]) + len(v["backup"]["session_cases"])
    # Keys files.
    with open(OUT_KEYS_EXPORT, encoding="utf-8") as fh:
        ke = json.load(fh)
    assert ke["room_keys"]["export"] == export_text
    assert json.loads(sc.export_decrypt(ke["room_keys"]["export"], ke["room_keys"]["passphrase"])) == store_sessions
    with open(OUT_KEYS_SESSIONS, encoding="utf-8") as fh:
        ks = json.load(fh)
    assert ks["room_keys"]["sessions"] == store_sessions
    assert ks["backup"]["version"] == v["backup"]["version"] and ks["backup"]["keys"] == v["backup"]["keys"]
    assert reference_unlock({"recovery_key": ks["backup"]["recovery_key"]}, v["backup"])[0]["ok"]
    counts["published vector groups"] = check_published()
    return counts


# ------------------------------------------------------------------ write

def generate():
    obs, events = build_sessions_and_events()
    s1, s2, s3, s4 = obs
    failures = forge_failures(s1, events)
    for k, e in failures.items():
        events[k] = dict(e, message_index=None, plaintext=None)
    skipped = s1.exported(0, algorithm="m.megolm.v2.aes-sha2")
    skipped["session_id"] = b64(rand("v2 session", 32))
    store_sessions = [s1.exported(0), s2.exported(5), s4.exported(0), skipped]
    backup = build_backup(obs)
    pushes = build_pushes({k: v for k, v in events.items()})
    results = compute_expected(pushes, store_sessions)
    for p in pushes:
        p["expected"], lib_err = split_libolm(results[p["id"]])
        if lib_err:
            p["libolm_error"] = lib_err
        p.update(follow_ups(p, events, p["expected"], store_sessions, backup))
    # Ratchet steps over S4's life, from libolm exports.
    lib4 = olm.InboundGroupSession(s4.session_key)
    steps = [{"index": i, "exported": lib4.export_session(i),
              "ratchet_hex": sc.parse_session_key(lib4.export_session(i)).ratchet.hex()}
             for i in (0, 1, 255, 256, 257, 65535, 65536, 65537)]
    pickles = [{"session": "S1", "room_id": s1.room_id, "session_id": s1.session_id, "pickle_key": PICKLE_KEY,
                "pickle": olm.InboundGroupSession(s1.session_key).pickle(PICKLE_KEY).decode(), "event": "text"},
               {"session": "S2", "room_id": s2.room_id, "session_id": s2.session_id, "pickle_key": PICKLE_KEY,
                "pickle": olm.InboundGroupSession.import_session(s2.exported(5)["session_key"]).pickle(PICKLE_KEY).decode(),
                "event": "ops_6", "first_known_index": 5}]
    export_text, export_cases = build_export(store_sessions)
    check_backup(backup, store_sessions)  # fills each session case's result
    sessions = [{"name": n, "room_id": ob.room_id, "session_id": ob.session_id, "sender": ob.sender,
                 "session_key": ob.session_key, "exported_at_0": ob.exported(0),
                 "in_store_from": {"S1": 0, "S2": 5, "S3": None, "S4": 0}[n]}
                for n, ob in zip(("S1", "S2", "S3", "S4"), obs)]
    for e in events.values():
        if e["message_index"] is None:
            del e["message_index"]
            del e["plaintext"]
    # Failure events other than redacted must not decrypt; keep them out of `events`
    # (they are reached through pushes) so check_all's decrypt loop stays total.
    good_events = {k: e for k, e in events.items() if "plaintext" in e}
    bad_events = {k: e for k, e in events.items() if "plaintext" not in e}
    out = {
        "about": "Matrix vectors for pushseal, made with libolm (python3-olm) and spec_codecs.py; see README.md.",
        "generator": "tests/vectors/matrix/generate.py",
        "libolm": libolm_version(),
        "account": dict(ACCOUNTS[0], pusher_notification_client_identifier=sha256_hex(USER)),
        "room_names": ROOM_NAMES,
        "sessions": sessions,
        "store_sessions": store_sessions,
        "ratchet": {"session": "S4", "session_key": s4.session_key, "steps": steps},
        "libolm_pickles": {"about": "InboundGroupSession pickles as libolm writes them (key = UTF-8 of "
                                    "pickle_key), for host apps that kept libolm sessions", "cases": pickles},
        "events": good_events,
        "bad_events": bad_events,
        "pushes": pushes,
        "account_choice": {"accounts": ACCOUNTS, "cases": build_account_choice()},
        "key_export": {"passphrase": EXPORT_PASSPHRASE, "rounds": EXPORT_ROUNDS, "file": "export.txt",
                       "summary": {"imported": 3, "rooms": 3, "skipped": 1}, "cases": export_cases},
        "backup": backup,
    }
    write(OUT_JSON, out)
    with open(OUT_EXPORT, "w", encoding="utf-8", newline="") as fh:
        fh.write(export_text)
    base = {"homeserver": HOMESERVER, "user_id": USER, "device_id": DEVICE}
    write(OUT_KEYS_EXPORT, dict(base, room_keys={"export": export_text, "passphrase": EXPORT_PASSPHRASE}))
    write(OUT_KEYS_SESSIONS, dict(base, room_keys={"sessions": store_sessions},
                                  backup={"recovery_key": backup["recovery_key"], "version": backup["version"],
                                          "keys": backup["keys"]}))


def libolm_version():
    from _libolm import ffi, lib
    parts = [ffi.new("uint8_t*") for _ in range(3)]
    lib.olm_get_library_version(*parts)
    return ".".join(str(p[0]) for p in parts)


def write(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the committed files; write nothing")
    args = ap.parse_args()
    if not args.check:
        generate()
    counts = check_all()
    print("matrix vectors OK: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
