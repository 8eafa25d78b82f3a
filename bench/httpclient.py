"""A minimal asyncio HTTP/1.1 client for the load driver.

Why not httpx: the driver shares the 2 cores with the server, so every microsecond it spends per
request is taken from the server under test. This client does only what the benchmark needs
(one request at a time per connection, keep-alive when the server allows it, Content-Length or
chunked bodies, ``Connection: close``) at a fraction of a general client's CPU per request.

gunicorn's sync workers close the connection after each response (they have no keep-alive), so
under ``sync`` every request opens a new loopback connection, as ``wrk`` does against them;
gthread and granian keep connections alive.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class HttpError(Exception):
    """The connection failed or the response was not HTTP."""


class Connection:
    def __init__(self, host: str, port: int, *, extra_headers: dict[str, str]):
        self.host, self.port = host, port
        lines = [f"Host: {host}:{port}", "Accept: application/json"]
        lines += [f"{k}: {v}" for k, v in extra_headers.items()]
        self._head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.opened = 0  # connections opened (reported: keep-alive works or not)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, *, token: str | None = None, body: Any = None
    ) -> tuple[int, bytes]:
        parts = [f"{method} {path} HTTP/1.1\r\n".encode("latin-1"), self._head]
        if token:
            parts.append(f"Authorization: Bearer {token}\r\n".encode("latin-1"))
        data = b""
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            parts.append(b"Content-Type: application/json\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            parts.append(b"Content-Length: %d\r\n" % len(data))
        parts += [b"\r\n", data]
        payload = b"".join(parts)
        for attempt in (0, 1):
            reused = self._writer is not None
            if not reused:
                try:
                    self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
                except OSError as exc:
                    raise HttpError(f"connect: {exc}") from exc
                self.opened += 1
            try:
                self._writer.write(payload)
                return await self._read_response()
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                self.close()
                # A kept-alive connection the server had just closed: retry once on a new one.
                if reused and attempt == 0:
                    continue
                raise HttpError(f"{type(exc).__name__}: {exc}") from exc
            except (ValueError, IndexError) as exc:
                self.close()
                raise HttpError(f"malformed response: {exc}") from exc
        raise HttpError("unreachable")  # pragma: no cover

    async def _read_response(self) -> tuple[int, bytes]:
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        version, status_text = lines[0].split(b" ", 2)[:2]
        status = int(status_text)
        length: int | None = None
        chunked = False
        close = version == b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if status in (204, 304) or status < 200:
            body = b""
        elif chunked:
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")  # no trailers expected
                    break
                chunks.append(await reader.readexactly(size + 2))
            body = b"".join(c[:-2] for c in chunks)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            close = True
        if close:
            self.close()
        return status, body
