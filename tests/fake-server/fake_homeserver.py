#!/usr/bin/env python3
"""A fake Matrix homeserver for pushseal's tests (Rust, Kotlin, Swift).

Python 3.11 standard library only. It serves the client-server endpoints
pushseal calls, with a real server's JSON shapes, from the Matrix vectors
(tests/vectors/matrix/matrix.json, made with libolm and spec_codecs.py, see
tests/vectors/matrix/README.md):

  GET /_matrix/client/versions
  GET /_matrix/client/v3/account/whoami
  GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}
  GET /_matrix/client/v3/room_keys/version
  GET /_matrix/client/v3/room_keys/keys?version=V
  GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}?version=V
  GET /_matrix/client/v3/user/{userId}/account_data/{type}
      (the vectors' secret-storage account data; 403 M_FORBIDDEN for
      another user, 404 M_NOT_FOUND for a type it does not hold)

Every endpoint but /versions needs "Authorization: Bearer <token>", else
401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN. Path ids are percent-decoded (a "/"
in a session id arrives as %2F). Unknown events and sessions are 404
M_NOT_FOUND, and so is a backup version other than the current one. The
events are every `events` and `bad_events` entry of the vectors, including
a redacted one (content {} and unsigned.redacted_because).

Faults and the request log, through a control endpoint (not authenticated;
this server is for tests only):

  POST /_control {"mode": M, "count": N, "path": P, "delay_ms": D,
                  "retry_after_ms": R, "retry_after_header": true|false,
                  "backup": true|false}
  POST /_control {"clear_log": true}
  GET  /_control -> {"mode": …, "requests": {endpoint: n}, "log": [{method,
                     path, raw_path, query, endpoint, authorization, status}]}

A fault applies to the next N matching requests (all without "count");
"path" limits it to one endpoint name (versions, whoami, event,
backup_version, backup_keys, backup_session, account_data). Modes: normal,
unauthorized (401 M_UNKNOWN_TOKEN), not_found (404 M_NOT_FOUND),
rate_limited (429 M_LIMIT_EXCEEDED with retry_after_ms, default 500; a
Retry-After header in whole seconds only with "retry_after_header": true), server_error (500 M_UNKNOWN),
malformed (cut-off JSON), stall (no answer for delay_ms, default 60 s),
slow (answers after delay_ms, default 2 s). "backup": false makes
/room_keys/version answer 404 M_NOT_FOUND, as a server without a backup.

Start: fake_homeserver.py --port 0 --fixtures FILE [--tls CERT KEY]
       [--token T] [--user-id U] [--device-id D] [--fault MODE] [--no-backup]
       [--max-seconds 300]
It binds 127.0.0.1 only, prints "READY <port>" once listening, and exits
when its standard input closes or after --max-seconds.
"""

import argparse
import copy
import json
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

from fake_common import JsonHandler, serve

MODES = {"normal", "unauthorized", "not_found", "rate_limited", "server_error",
         "malformed", "stall", "slow"}
PREFIX = "/_matrix/client/"


def error(code, message):
    return {"errcode": code, "error": message}


class Fixtures:
    """The parts of the Matrix vectors the endpoints serve."""

    def __init__(self, path, user_id, device_id):
        with open(path, encoding="utf-8") as f:
            v = json.load(f)
        account = v.get("account", {})
        self.user_id = user_id or account.get("user_id", "@fake:example.org")
        self.device_id = device_id or account.get("device_id", "FAKEDEVICE")
        # (room id, event id) -> event, as GET /event returns it.
        self.events = {}
        for group in ("events", "bad_events"):
            for entry in v.get(group, {}).values():
                event = entry.get("event")
                if event and event.get("event_id") and event.get("room_id"):
                    self.events.setdefault((event["room_id"], event["event_id"]), event)
        backup = v.get("backup", {})
        self.version = backup.get("version")
        self.keys = backup.get("keys", {"rooms": {}})
        self.account_data = backup.get("account_data", {})

    def event(self, room_id, event_id):
        event = self.events.get((room_id, event_id))
        return copy.deepcopy(event) if event else None

    def session(self, room_id, session_id):
        room = self.keys.get("rooms", {}).get(room_id, {})
        data = room.get("sessions", {}).get(session_id)
        return copy.deepcopy(data) if data else None


class State:
    """Fault settings, request counts and the request log, shared by threads."""

    def __init__(self, mode, backup):
        self.lock = threading.Lock()
        self.mode, self.count, self.path, self.delay_ms = mode, None, None, None
        self.retry_after_ms = None
        self.retry_after_header = False
        self.backup = backup
        self.requests = {}
        self.log = []

    def control(self, body):
        with self.lock:
            if body.get("clear_log"):
                self.requests, self.log = {}, []
            if "mode" in body:
                if body["mode"] not in MODES:
                    raise ValueError(f"unknown mode {body['mode']}")
                self.mode = body["mode"]
                self.count = body.get("count")
                self.path = body.get("path")
                self.delay_ms = body.get("delay_ms")
                self.retry_after_ms = body.get("retry_after_ms")
                self.retry_after_header = bool(body.get("retry_after_header"))
            if "backup" in body:
                self.backup = bool(body["backup"])
            return self.snapshot()

    def snapshot(self):
        return {"mode": self.mode, "count": self.count, "path": self.path,
                "backup": self.backup, "requests": dict(self.requests),
                "log": list(self.log)}

    def take(self, endpoint, entry):
        """Counts and logs a request; returns the fault to apply and its parameters."""
        with self.lock:
            self.requests[endpoint] = self.requests.get(endpoint, 0) + 1
            self.log.append(entry)
            if self.mode == "normal" or (self.path and self.path != endpoint):
                return "normal", None, (None, False)
            retry = (self.retry_after_ms, self.retry_after_header)
            mode, delay = self.mode, self.delay_ms
            if self.count is not None:
                self.count -= 1
                if self.count <= 0:
                    self.mode, self.count, self.path = "normal", None, None
            return mode, delay, retry


def route(path):
    """(endpoint name, decoded path ids) for a client-server path, or None.

    The path is split on "/" before decoding, so an encoded "/" stays inside
    its id, as a real server routes it.
    """
    if path == PREFIX + "versions":
        return "versions", []
    if not path.startswith(PREFIX + "v3/"):
        return None
    parts = path[len(PREFIX + "v3/"):].split("/")
    ids = [unquote(p) for p in parts]
    if parts == ["account", "whoami"]:
        return "whoami", []
    if len(parts) == 4 and parts[0] == "rooms" and parts[2] == "event":
        return "event", [ids[1], ids[3]]
    if parts == ["room_keys", "version"]:
        return "backup_version", []
    if parts == ["room_keys", "keys"]:
        return "backup_keys", []
    if len(parts) == 4 and parts[:2] == ["room_keys", "keys"]:
        return "backup_session", [ids[2], ids[3]]
    if len(parts) == 4 and parts[0] == "user" and parts[2] == "account_data":
        return "account_data", [ids[1], ids[3]]
    return None


class Handler(JsonHandler):
    server_version = "FakeHomeserver/1"
    not_found = error("M_UNRECOGNIZED", "Unrecognized request")

    def send_json(self, status, obj, headers=()):
        self.entry["status"] = status  # for the request log
        super().send_json(status, obj, headers)

    def do_GET(self):
        url = urlsplit(self.path)
        self.entry = {}
        if url.path == "/_control":
            with self.app.state.lock:
                return self.send_json(200, self.app.state.snapshot())
        found = route(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        endpoint, ids = found if found else ("unknown", [])
        self.entry = {
            "method": "GET",
            "raw_path": url.path,
            "path": unquote(url.path),
            "query": query,
            "endpoint": endpoint,
            "ids": ids,
            "authorization": self.headers.get("Authorization"),
            "status": None,
        }
        mode, delay_ms, retry = self.app.state.take(endpoint, self.entry)
        if self.fault(mode, delay_ms, retry):
            return
        if found is None:
            return self.send_json(404, error("M_UNRECOGNIZED", "Unrecognized request"))
        if endpoint != "versions":
            auth = self.headers.get("Authorization")
            if auth is None:
                return self.send_json(401, error("M_MISSING_TOKEN", "Missing access token"))
            if auth != f"Bearer {self.app.token}":
                return self.send_json(401, error("M_UNKNOWN_TOKEN", "Unrecognised access token"))
        getattr(self, endpoint)(ids, query)

    def fault(self, mode, delay_ms, retry):
        """Applies a fault; True when the request is answered (or dropped)."""
        if mode == "normal":
            return False
        if mode in ("stall", "slow"):
            default = 60_000 if mode == "stall" else 2_000
            time.sleep((delay_ms if delay_ms is not None else default) / 1000)
            if mode == "stall":
                self.close_connection = True
                return True
            return False
        if mode == "unauthorized":
            self.send_json(401, error("M_UNKNOWN_TOKEN", "Unrecognised access token"))
        elif mode == "not_found":
            self.send_json(404, error("M_NOT_FOUND", "Not found"))
        elif mode == "rate_limited":
            retry_ms, header = retry
            ms = 500 if retry_ms is None else int(retry_ms)
            body = error("M_LIMIT_EXCEEDED", "Too many requests")
            body["retry_after_ms"] = ms
            extra = [("Retry-After", str((ms + 999) // 1000))] if header else []
            self.send_json(429, body, extra)
        elif mode == "server_error":
            self.send_json(500, error("M_UNKNOWN", "Internal server error"))
        elif mode == "malformed":
            self.entry["status"] = 200
            body = b'{"content":{"algorithm":"m.megolm'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        return True

    # -- endpoints ---------------------------------------------------------
    def versions(self, _ids, _query):
        self.send_json(200, {"versions": ["v1.1", "v1.11", "v1.12"], "unstable_features": {}})

    def whoami(self, _ids, _query):
        f = self.app.fixtures
        self.send_json(200, {"user_id": f.user_id, "device_id": f.device_id, "is_guest": False})

    def event(self, ids, _query):
        event = self.app.fixtures.event(ids[0], ids[1])
        if event is None:
            return self.send_json(404, error("M_NOT_FOUND", "Event not found."))
        self.send_json(200, event)

    def current_version(self, query):
        """The backup version the query names, or None after a 404 was sent."""
        f = self.app.fixtures
        if not self.app.state.backup or f.version is None:
            self.send_json(404, error("M_NOT_FOUND", "No current backup version"))
            return None
        if "version" not in query:
            # Deprecated in the spec: no version means the current one.
            return f.version
        if query["version"] != f.version["version"]:
            self.send_json(404, error("M_NOT_FOUND", "Unknown backup version"))
            return None
        return f.version

    def backup_version(self, _ids, _query):
        f = self.app.fixtures
        if not self.app.state.backup or f.version is None:
            return self.send_json(404, error("M_NOT_FOUND", "No current backup version"))
        self.send_json(200, f.version)

    def backup_keys(self, _ids, query):
        if self.current_version(query) is None:
            return
        self.send_json(200, self.app.fixtures.keys)

    def backup_session(self, ids, query):
        if self.current_version(query) is None:
            return
        data = self.app.fixtures.session(ids[0], ids[1])
        if data is None:
            return self.send_json(404, error("M_NOT_FOUND", "No room_keys found"))
        self.send_json(200, data)


    def account_data(self, ids, _query):
        f = self.app.fixtures
        if ids[0] != f.user_id:
            return self.send_json(403, error("M_FORBIDDEN", "Cannot get account data for other users."))
        content = f.account_data.get(ids[1])
        if content is None:
            return self.send_json(404, error("M_NOT_FOUND", "Account data not found"))
        self.send_json(200, copy.deepcopy(content))


class App:
    def __init__(self, args):
        self.fixtures = Fixtures(args.fixtures, args.user_id, args.device_id)
        self.token = args.token
        self.state = State(args.fault, not args.no_backup)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fixtures", required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--token", default="fake-access-token")
    p.add_argument("--user-id", help="default: the vectors' account.user_id")
    p.add_argument("--device-id", help="default: the vectors' account.device_id")
    p.add_argument("--fault", default="normal", choices=sorted(MODES))
    p.add_argument("--no-backup", action="store_true")
    p.add_argument("--max-seconds", type=float, default=300)
    args = p.parse_args()

    serve(Handler, App(args), args)

if __name__ == "__main__":
    main()
