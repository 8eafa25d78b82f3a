from __future__ import annotations

import io
import json
import logging

import pytest

from huntaze.logging import JsonFormatter


class JsonLogs:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def by_logger(self, name: str) -> list[dict]:
        return [line for line in self.lines() if line["logger"] == name]


@pytest.fixture
def json_logs():
    """What the configured stdout handler (settings.LOGGING) writes, captured."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert handlers, "settings.LOGGING's JSON handler is not installed on the root logger"
    handler = handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield JsonLogs(stream)
    finally:
        handler.setStream(previous)
