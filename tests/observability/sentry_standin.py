"""A local stand-in for Sentry's ingestion endpoint: it receives what the real ``sentry_sdk``
transport sends (``POST /api/<project>/envelope/``, gzip or plain) and keeps the raw bytes."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SentryStandIn:
    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with standin._lock:
                    standin.envelopes.append(body)
                    standin.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.dsn = f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{self.port}/42"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, timeout: float = 10.0, count: int = 1) -> list[dict]:
        """The ``event`` items received, waiting until ``count`` arrived (or the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            found = []
            with self._lock:
                for raw in self.envelopes:
                    lines = raw.split(b"\n")
                    for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                        if json.loads(header).get("type") == "event":
                            found.append(json.loads(payload))
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def raw(self) -> bytes:
        with self._lock:
            return b"\n".join(self.envelopes)
