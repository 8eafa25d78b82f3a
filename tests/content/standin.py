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

A request with ``"stream": true`` gets Azure's streamed answer instead (Server-Sent Events,
chunked): the text in ``stream_pieces`` pieces spread evenly over ``delay`` seconds (the first
one after ``delay / stream_pieces``, or ``first_token_delay`` when set), then the usage chunk
when ``stream_options.include_usage`` asks for it, then ``data: [DONE]``. Streamed modes:
``success``, ``empty``, ``stream_cut`` (the connection drops after half the pieces),
``stream_stall`` (half the pieces, then no text, only SSE comments, until the client hangs
up) and
``stream_filtered`` (half the pieces, then ``finish_reason: content_filter``); the error modes
(``500``, ``429``, ``hang``, ``content_filter``) answer as above before any chunk.
``streams_finished`` counts the streams written to their end, ``streams_abandoned`` those the
client hung up on. ``before_answer``, when set, is called once the answer is written but
before its last bytes (the JSON body, a stream's usage chunk) are sent: what a test does there
(lock a row, take the database away) happens after the model answered and before the app saves.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
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
        self.text = COMPLETION_TEXT
        self.stream_pieces = 8
        self.first_token_delay: float | None = None
        self.before_answer: Callable[[], object] | None = None
        self.streams_finished = 0
        self.streams_abandoned = 0
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
                if body.get("stream"):
                    return self._stream(mode, body)
                if standin.delay:
                    time.sleep(standin.delay)
                text = "" if mode == "empty" else standin.text
                if standin.before_answer is not None:
                    standin.before_answer()
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

            # --- streamed answers (stream=True) -------------------------------------------
            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def _event(self, payload: dict | str) -> None:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                self._chunk(b"data: " + data.encode() + b"\n\n")

            def _stream(self, mode: str, body: dict) -> None:
                text = "" if mode == "empty" else standin.text
                pieces = _split(text, standin.stream_pieces) if text else []
                if mode in ("stream_cut", "stream_filtered", "stream_stall"):
                    pieces = pieces[: max(1, len(pieces) // 2)]
                n = max(standin.stream_pieces, 1)
                gap = standin.delay / n
                first = standin.first_token_delay if standin.first_token_delay is not None else gap
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                base = {"id": "chatcmpl-standin", "object": "chat.completion.chunk"}
                base |= {"created": int(time.time()), "model": MODEL}
                try:
                    # Azure's first chunk: the prompt filter's results, no choices.
                    self._event({**base, "model": "", "choices": [], "prompt_filter_results": []})
                    for i, piece in enumerate(pieces):
                        time.sleep(first if i == 0 else gap)
                        delta = {"content": piece} if i else {"role": "assistant", "content": piece}
                        choice = {"index": 0, "delta": delta, "finish_reason": None}
                        self._event({**base, "choices": [choice]})
                    if mode == "stream_stall":
                        # No more text, only SSE comments (which clients ignore, so no read
                        # timeout fires either) until the client hangs up, or for a minute.
                        for _ in range(300):
                            time.sleep(0.2)
                            self._chunk(b": keep-alive\n\n")
                    if mode == "stream_cut":
                        self.wfile.flush()
                        self.connection.shutdown(2)  # mid-answer: no final chunk
                        self.close_connection = True
                        return
                    finish = "content_filter" if mode == "stream_filtered" else "stop"
                    last = {"index": 0, "delta": {}, "finish_reason": finish}
                    self._event({**base, "choices": [last]})
                    if standin.before_answer is not None:
                        standin.before_answer()
                    if (body.get("stream_options") or {}).get("include_usage"):
                        usage = {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}
                        self._event({**base, "choices": [], "usage": usage})
                    self._event("[DONE]")
                    self._chunk(b"")
                except OSError:  # the client hung up
                    with standin._lock:
                        standin.streams_abandoned += 1
                    self.close_connection = True
                    return
                with standin._lock:
                    standin.streams_finished += 1

        return Handler


def _split(text: str, n: int) -> list[str]:
    """``text`` in ``n`` consecutive pieces (fewer when it is shorter), joined back exactly."""
    n = max(1, min(n, len(text)))
    size, extra = divmod(len(text), n)
    pieces, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces
