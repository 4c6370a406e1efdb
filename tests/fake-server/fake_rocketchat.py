#!/usr/bin/env python3
"""A fake Rocket.Chat server for pushseal's tests (Rust, Kotlin, Swift).

Python 3.11 standard library only. It serves the REST endpoints pushseal
calls, with the JSON shapes of a real server, built from the test vectors
(tests/vectors/rocketchat.json, see tests/vectors/README.md):

  GET /api/v1/push.get?id=<messageId>          {data:{message, notification}, success}
  GET /api/v1/subscriptions.getOne?roomId=<rid> {subscription, success}
  GET /api/v1/subscriptions.get                 {update, remove, success}
  GET /api/v1/e2e.fetchMyKeys                   {public_key, private_key, success}
  GET /api/v1/me                                {_id, username, ..., success}

Every /api/ request needs X-User-Id and X-Auth-Token, else 401 with
Rocket.Chat's body. Faults are switched per request with the control
endpoint (not authenticated; this server is for tests only):

  POST /_control {"mode": M, "count": N, "path": "push.get", "delay_ms": D,
                  "old_server": true|false}
  GET  /_control  -> {"requests": {"push.get": 2, ...}, "mode": ...}

A fault applies to the next N matching /api/ requests (all of them without
"count"); "path" limits it to one endpoint. Modes: normal, unauthorized,
not_found (400 error-message-not-found, as push.get really answers),
http_404, server_error (500), unavailable (503), malformed (cut-off JSON),
html (a captive-portal page), oversized (2 MiB, no Content-Length), stall
(no answer for delay_ms, default 60 s), slow (answers after delay_ms,
default 2 s), redirect (302 to another loopback host). "old_server": true
makes push.get leave the ciphertext out of the payload, as servers up to
6.14 do.

Start: fake_rocketchat.py --port 0 --fixtures FILE [--tls CERT KEY]
       [--token T] [--user-id U] [--fault MODE] [--old-server]
       [--max-seconds 300]
It binds 127.0.0.1 only, prints "READY <port>" once listening, and exits
when its standard input closes or after --max-seconds.
"""

import argparse
import copy
import json
import ssl
import threading
import time
from urllib.parse import parse_qs, urlsplit

from fake_common import JsonHandler, serve

LOGGED_OUT = {
    "success": False,
    "error": "You must be logged in to do this.",
    "status": "error",
    "message": "You must be logged in to do this.",
}
MODES = {
    "normal", "unauthorized", "not_found", "http_404", "server_error", "unavailable",
    "malformed", "html", "oversized", "stall", "slow", "redirect",
}
OVERSIZED_BYTES = 2 * 1024 * 1024


def not_id(unique_id, rid):
    """Rocket.Chat's notId: a Java-style hash of "<uniqueID>|<rid>" read right to left."""
    h = 0
    for ch in reversed(f"{unique_id}|{rid}"):
        h = ((h << 5) - h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


class Fixtures:
    """The parts of the test vectors the endpoints serve."""

    def __init__(self, path, user_id):
        with open(path, encoding="utf-8") as f:
            v = json.load(f)
        device = v.get("device_user", {})
        self.user_id = user_id or device.get("user_id", "fake-user")
        self.my_keys = device.get("fetch_my_keys") or {}
        self.rooms = {r["rid"]: r for r in v.get("rooms", [])}
        self.messages = {}
        for m in v.get("messages", []):
            message = copy.deepcopy(m["message"])
            mid = m.get("id") or message.get("_id")
            message.setdefault("_id", mid)
            message.setdefault("t", "e2e")
            self.messages[mid] = message

    def subscription(self, rid):
        room = self.rooms.get(rid)
        return copy.deepcopy(room["subscription"]) if room else None

    def subscriptions(self):
        return [copy.deepcopy(r["subscription"]) for r in self.rooms.values()]


class State:
    """Fault settings and request counts, shared by all handler threads."""

    def __init__(self, mode, old_server):
        self.lock = threading.Lock()
        self.mode, self.count, self.path, self.delay_ms = mode, None, None, None
        self.old_server = old_server
        self.requests = {}

    def control(self, body):
        with self.lock:
            if "mode" in body:
                if body["mode"] not in MODES:
                    raise ValueError(f"unknown mode {body['mode']}")
                self.mode = body["mode"]
                self.count = body.get("count")
                self.path = body.get("path")
                self.delay_ms = body.get("delay_ms")
            if "old_server" in body:
                self.old_server = bool(body["old_server"])
            return self.snapshot()

    def snapshot(self):
        return {"mode": self.mode, "count": self.count, "path": self.path,
                "old_server": self.old_server, "requests": dict(self.requests)}

    def take(self, endpoint):
        """Counts a request; returns the fault to apply (or "normal") and its delay."""
        with self.lock:
            self.requests[endpoint] = self.requests.get(endpoint, 0) + 1
            if self.mode == "normal" or (self.path and self.path != endpoint):
                return "normal", None
            mode, delay = self.mode, self.delay_ms
            if self.count is not None:
                self.count -= 1
                if self.count <= 0:
                    self.mode, self.count, self.path = "normal", None, None
            return mode, delay


class Handler(JsonHandler):
    server_version = "FakeRocketChat/1"
    not_found = {"success": False, "error": "Resource not found"}

    # -- routes ----------------------------------------------------------
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/_control":
            with self.app.state.lock:
                return self.send_json(200, self.app.state.snapshot())
        prefix = "/api/v1/"
        if not url.path.startswith(prefix):
            return self.send_json(404, {"success": False, "error": "Resource not found"})
        endpoint = url.path[len(prefix):]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        mode, delay_ms = self.app.state.take(endpoint)
        if self.fault(mode, delay_ms):
            return
        if not self.authenticated():
            return self.send_json(401, LOGGED_OUT)
        route = {
            "push.get": self.push_get,
            "subscriptions.getOne": self.subscription_get_one,
            "subscriptions.get": self.subscriptions_get,
            "e2e.fetchMyKeys": self.fetch_my_keys,
            "me": self.me,
        }.get(endpoint)
        if route is None:
            return self.send_json(404, {"success": False, "error": "Resource not found"})
        route(query)

    def authenticated(self):
        return (self.headers.get("X-User-Id") == self.app.fixtures.user_id
                and self.headers.get("X-Auth-Token") == self.app.token)

    def fault(self, mode, delay_ms):
        """Applies a fault; True when the request is answered (or dropped)."""
        if mode == "normal":
            return False
        if mode in ("stall", "slow"):
            default = 60_000 if mode == "stall" else 2_000
            time.sleep((delay_ms if delay_ms is not None else default) / 1000)
            return mode == "stall" and self.close_quietly()
        if mode == "unauthorized":
            self.send_json(401, LOGGED_OUT)
        elif mode == "not_found":
            self.send_json(400, {"success": False, "error": "error-message-not-found"})
        elif mode == "http_404":
            self.send_json(404, {"success": False, "error": "Resource not found"})
        elif mode == "server_error":
            self.send_json(500, {"success": False, "error": "Internal server error"})
        elif mode == "unavailable":
            self.send_raw(503, b"Service Unavailable", "text/plain")
        elif mode == "malformed":
            self.send_raw(200, b'{"data":{"message":{"_id":"', "application/json")
        elif mode == "html":
            self.send_raw(200, b"<html><body>Please log in to the Wi-Fi</body></html>", "text/html")
        elif mode == "redirect":
            port = self.server.server_address[1]
            location = f"{self.app.scheme}://127.0.0.2:{port}{self.path}"
            self.send_raw(302, b"", "text/plain", [("Location", location)])
        elif mode == "oversized":
            self.send_oversized()
        return True

    def close_quietly(self):
        self.close_connection = True
        return True

    def send_oversized(self):
        # No Content-Length: the client must count while it streams.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b" " * 65536
        try:
            self.wfile.write(b'{"success":true,"pad":"')
            for _ in range(OVERSIZED_BYTES // len(chunk)):
                self.wfile.write(chunk)
            self.wfile.write(b'"}')
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    # -- endpoints ---------------------------------------------------------
    def push_get(self, query):
        message = self.app.fixtures.messages.get(query.get("id", ""))
        if message is None:
            # push.get throws a plain Error: 400 with the error name.
            return self.send_json(400, {"success": False, "error": "error-message-not-found"})
        data = {"message": message, "notification": self.notification(message)}
        self.send_json(200, {"data": data, "success": True})

    def notification(self, message):
        """What getNotificationForMessageId builds (docs/rocketchat-protocol.md §7 and §8)."""
        rid = message.get("rid", "")
        sub = self.app.fixtures.subscription(rid) or {}
        room_type = sub.get("t", "p")
        sender = message.get("u") or {"_id": "fake-sender", "username": "alice", "name": "Alice"}
        username = sender.get("username", "")
        payload = {
            "host": self.app.base_url + "/",
            "messageId": message["_id"],
            "notificationType": "message",
            "rid": rid,
            "sender": sender,
            "senderName": username,
            "type": room_type,
        }
        if room_type != "d" and sub.get("name"):
            payload["name"] = sub["name"]
        payload["messageType"] = message.get("t")
        if message.get("tmid"):
            payload["tmid"] = message["tmid"]
        e2e = message.get("t") == "e2e"
        if e2e:
            payload["msg"] = message.get("msg", "")
            if not self.app.state.old_server and message.get("content") is not None:
                payload["content"] = message["content"]
        body = "Encrypted message" if e2e and message.get("msg") else ("" if e2e else message.get("msg", ""))
        room_name = "#" + sub["name"] if room_type != "d" and sub.get("name") else ""
        return {
            "from": "push",
            "badge": 1,
            "sound": "default",
            "priority": 10,
            "title": room_name or username,
            "text": f"{username}: {body}" if room_name else body,
            "payload": payload,
            "userId": sender.get("_id"),
            "notId": not_id("fake-unique-id", rid),
            "gcm": {"style": "inbox", "image": self.app.base_url + "/images/logo/android-chrome-192x192.png"},
            "apn": {"category": "MESSAGE"},
        }

    def subscription_get_one(self, query):
        rid = query.get("roomId")
        if not rid:
            return self.send_json(400, {"success": False, "error": "The 'roomId' param is required"})
        self.send_json(200, {"subscription": self.app.fixtures.subscription(rid), "success": True})

    def subscriptions_get(self, _query):
        self.send_json(200, {"update": self.app.fixtures.subscriptions(), "remove": [], "success": True})

    def me(self, _query):
        # The real answer is the whole user document; pushseal reads _id.
        user_id = self.app.fixtures.user_id
        self.send_json(200, {"_id": user_id, "username": "bob", "name": "Bob",
                             "status": "online", "active": True, "success": True})

    def fetch_my_keys(self, _query):
        keys = self.app.fixtures.my_keys
        body = {k: keys[k] for k in ("public_key", "private_key") if keys.get(k)}
        body["success"] = True
        self.send_json(200, body)


class App:
    def __init__(self, args):
        self.fixtures = Fixtures(args.fixtures, args.user_id)
        self.token = args.token
        self.state = State(args.fault, args.old_server)
        self.scheme = "https" if args.tls else "http"
        self.base_url = ""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fixtures", required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--token", default="fake-auth-token")
    p.add_argument("--user-id", help="default: the vectors' device_user.user_id")
    p.add_argument("--fault", default="normal", choices=sorted(MODES))
    p.add_argument("--old-server", action="store_true")
    p.add_argument("--max-seconds", type=float, default=300)
    args = p.parse_args()

    app = App(args)

    def on_bound(port):
        app.base_url = f"{app.scheme}://127.0.0.1:{port}"

    serve(Handler, app, args, on_bound)

if __name__ == "__main__":
    main()
