"""A local stand-in for the part of Stripe's REST API that billing calls.

A threaded ``http.server`` on 127.0.0.1 speaking Stripe's wire format: form-encoded requests
(``metadata[user_id]=…``, ``line_items[0][price]=…``), ``Authorization: Bearer <secret key>``,
Stripe-shaped JSON objects and errors. The real ``stripe`` library is pointed at it through
``settings.STRIPE_API_BASE``.

Idempotency follows Stripe's documented behaviour: a key seen before with the same endpoint and
parameters replays the stored response (header ``Idempotent-Replayed: true``); with different
parameters it is a 400 ``idempotency_error``; while the first request with a key is still being
processed, another one gets a 409 ``idempotency_key_in_use`` (the library retries those).

Fault modes for tests: ``fail_status`` (every call answers that status, e.g. 500), ``hang``
(the handler waits without answering until the test ends), ``delay_after_seconds`` (the object is
created and its response stored, then the answer is held back, like a response lost in transit).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's nested form encoding back into dicts and lists."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        parts = raw_key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


class StripeStandin:
    def __init__(self, *, api_key: str = "sk_test_standin") -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StripeStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self._release.set()  # let any request hung by a previous test finish
            self._release = threading.Event()
            self.requests: list[dict[str, Any]] = []
            self.customers: dict[str, dict[str, Any]] = {}
            self.checkout_sessions: dict[str, dict[str, Any]] = {}
            self.portal_sessions: dict[str, dict[str, Any]] = {}
            self._idempotency: dict[str, dict[str, Any]] = {}
            self.fail_status: int | None = None
            self.hang = False
            self.delay_after_seconds = 0.0

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    # --- Stripe objects ------------------------------------------------------------------------
    def _create_customer(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        customer = {
            "id": f"cus_{secrets.token_hex(7)}",
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata", {}),
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        return 200, customer

    def _create_checkout_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        customer = params.get("customer")
        if customer and customer not in self.customers:
            return _error(400, "invalid_request_error", f"No such customer: '{customer}'")
        line_items = params.get("line_items") or []
        if params.get("mode") == "subscription" and not line_items:
            return _error(400, "invalid_request_error", "Missing required param: line_items.")
        for key in ("success_url", "mode"):
            if not params.get(key):
                return _error(400, "invalid_request_error", f"Missing required param: {key}.")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 86400,
            "mode": params.get("mode"),
            "status": "open",
            "customer": customer,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "livemode": False,
            # kept for assertions; Stripe does not echo these
            "_line_items": line_items,
            "_subscription_data": params.get("subscription_data", {}),
        }
        self.checkout_sessions[session_id] = session
        return 200, session

    def _create_portal_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        customer = params.get("customer")
        if not customer:
            return _error(400, "invalid_request_error", "Missing required param: customer.")
        if customer not in self.customers:
            return _error(400, "invalid_request_error", f"No such customer: '{customer}'")
        session_id = f"bps_{secrets.token_hex(12)}"
        session = {
            "id": session_id,
            "object": "billing_portal.session",
            "created": int(time.time()),
            "customer": customer,
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{secrets.token_hex(12)}",
            "livemode": False,
        }
        self.portal_sessions[session_id] = session
        return 200, session

    _ROUTES = {
        "/v1/customers": "_create_customer",
        "/v1/checkout/sessions": "_create_checkout_session",
        "/v1/billing_portal/sessions": "_create_portal_session",
    }

    # --- HTTP ----------------------------------------------------------------------------------
    def _handle(self, method: str, path: str, headers: dict[str, str], body: str):
        params = decode_form(body) if body else {}
        idem_key = headers.get("idempotency-key")
        with self._lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "params": params,
                    "idempotency_key": idem_key,
                    "stripe_version": headers.get("stripe-version"),
                }
            )
            release = self._release
            hang, fail_status, delay = self.hang, self.fail_status, self.delay_after_seconds
        if hang:
            release.wait(30)
            return _error(500, "api_error", "stand-in was hanging")
        if fail_status:
            return _error(fail_status, "api_error", "stand-in failure mode")
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided.")
        route = self._ROUTES.get(path)
        if method != "POST" or route is None:
            return _error(404, "invalid_request_error", f"Unrecognized request URL ({path}).")

        with self._lock:
            if idem_key:
                seen = self._idempotency.get(idem_key)
                if seen is not None:
                    if seen["in_flight"]:
                        return _error(
                            409,
                            "idempotency_error",
                            "There is currently another in-progress request using this "
                            "Stripe token (probably means you clicked twice).",
                            code="idempotency_key_in_use",
                        )
                    if seen["path"] != path or seen["params"] != params:
                        return _error(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                        )
                    status, obj = seen["response"]
                    return status, obj, {"Idempotent-Replayed": "true"}
                self._idempotency[idem_key] = {"in_flight": True, "path": path, "params": params}
            status, obj = getattr(self, route)(params)
            if idem_key and status >= 400:
                # Like Stripe: a request refused before it ran saves no idempotent result.
                del self._idempotency[idem_key]
            elif idem_key:
                self._idempotency[idem_key].update(in_flight=False, response=(status, obj))
        if delay:
            time.sleep(delay)
        return status, obj, {}

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = self.path.split("?", 1)[0]
                result = standin._handle(self.command, path, headers, body)
                status, obj, extra = result if len(result) == 3 else (*result, {})
                public = {k: v for k, v in obj.items() if not k.startswith("_")}
                data = json.dumps(public).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_POST = _dispatch
            do_GET = _dispatch

            def log_message(self, format, *args):
                pass

        return Handler


def _error(
    status: int, error_type: str, message: str, *, code: str | None = None
) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if code:
        error["code"] = code
    return status, {"error": error}
