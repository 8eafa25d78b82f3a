"""A local stand-in for Azure OpenAI's chat-completions endpoint, for the real ``openai`` client.

Speaks ``POST /openai/deployments/<deployment>/chat/completions?api-version=…`` with the
``api-key`` header. Answers follow a script: ``script(["500", "success"])`` makes the first
request fail and the next succeed; once the script is spent, ``default`` applies. Modes:

- ``success``: a chat.completion with text and usage tokens (after ``delay`` seconds);
- ``500``: an internal server error;
- ``429``: rate limited, with ``Retry-After: <retry_after>``;
- ``hang``: no answer until the client gives up (or the server stops);
- ``content_filter``: Azure's 400 for a prompt its filter refused;
- ``empty``: a completion with no text.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_KEY = "standin-test-key"
DEPLOYMENT = "gpt-4o"
MODEL = "gpt-4o-2024-08-06"
COMPLETION_TEXT = "Nouvelle collection ☀️ Disponible dès demain ! #mode #été"


class OpenAIStandIn:
    def __init__(self) -> None:
        self.default = "success"
        self.retry_after = 1
        self.delay = 0.0
        self.requests: list[dict] = []
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- control -------------------------------------------------------------------------------
    def start(self) -> OpenAIStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def script(self, modes: list[str]) -> None:
        with self._lock:
            self._script.extend(modes)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _next_mode(self, record: dict) -> str:
        with self._lock:
            self.requests.append(record)
            return self._script.popleft() if self._script else self.default

    # --- HTTP ------------------------------------------------------------------------------------
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                url = urlparse(self.path)
                record = {
                    "path": url.path,
                    "query": parse_qs(url.query),
                    "api_key": self.headers.get("api-key"),
                    "body": body,
                    "at": time.monotonic(),
                }
                mode = standin._next_mode(record)
                if url.path != f"/openai/deployments/{DEPLOYMENT}/chat/completions":
                    return self._send(404, {"error": {"code": "DeploymentNotFound"}})
                if not record["query"].get("api-version"):
                    return self._send(404, {"error": {"code": "404", "message": "no version"}})
                if record["api_key"] != API_KEY:
                    return self._send(401, {"error": {"code": "401", "message": "bad key"}})
                if mode == "500":
                    return self._send(500, {"error": {"code": "InternalServerError"}})
                if mode == "429":
                    return self._send(
                        429,
                        {"error": {"code": "429", "message": "Rate limit exceeded"}},
                        {"Retry-After": str(standin.retry_after)},
                    )
                if mode == "hang":
                    standin._release.wait(60)
                    return None
                if mode == "content_filter":
                    return self._send(
                        400,
                        {
                            "error": {
                                "code": "content_filter",
                                "message": "The response was filtered",
                                "status": 400,
                            }
                        },
                    )
                if standin.delay:
                    time.sleep(standin.delay)
                text = "" if mode == "empty" else COMPLETION_TEXT
                return self._send(
                    200,
                    {
                        "id": "chatcmpl-standin",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": MODEL,
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": 42,
                            "completion_tokens": 17,
                            "total_tokens": 59,
                        },
                    },
                )

        return Handler
