"""What both fake servers (fake_rocketchat.py, fake_homeserver.py) share:
the threaded server, the JSON handler plumbing with the /_control POST,
and the serve loop (optional TLS, READY line, exit when standard input
closes or after --max-seconds). Python 3.11 standard library only; the
servers import it from their own folder.
"""

import json
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (deadline, bad certificate) is expected here


class JsonHandler(BaseHTTPRequestHandler):
    """JSON answers and the /_control POST; subclasses add do_GET and set
    `server_version` and `not_found` (the body of a 404 for an unknown
    POST path, in their server's own error shape)."""

    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections do not pin threads forever
    not_found = {"error": "not found"}

    def setup(self):
        super().setup()
        # Headers and body go out as separate writes; without this, Nagle
        # and delayed ACKs add ~40 ms to every TLS answer, as no real
        # server would.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet: tests read stdout
        pass

    def send_json(self, status, obj, headers=()):
        self.send_raw(status, json.dumps(obj).encode(), "application/json", headers)

    def send_raw(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @property
    def app(self):
        return self.server.app

    def do_POST(self):
        self.entry = {}
        if urlsplit(self.path).path != "/_control":
            return self.send_json(404, self.not_found)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            self.send_json(200, self.app.state.control(body))
        except (ValueError, TypeError) as e:
            self.send_json(400, {"error": str(e)})


def serve(handler, app, args, on_bound=None):
    """Listens on 127.0.0.1:args.port (with TLS when args.tls is CERT KEY),
    calls on_bound(port), prints "READY <port>" and serves until standard
    input closes or args.max_seconds pass."""
    server = Server(("127.0.0.1", args.port), handler)
    server.app = app
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        # The handshake runs on the first read, in the handler's thread, so
        # one silent client cannot block the accept loop.
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    port = server.server_address[1]
    if on_bound:
        on_bound(port)

    def stop_when_stdin_closes():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    threading.Timer(args.max_seconds, lambda: os._exit(0)).start()
    print(f"READY {port}", flush=True)
    server.serve_forever()
