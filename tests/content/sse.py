"""Reading Server-Sent Events in tests."""

from __future__ import annotations

import json


def parse_events(raw: bytes) -> list[tuple[str, dict]]:
    """``[(event, data), …]`` of a complete SSE body; comments (``: …``) are skipped and every
    event must have one name and one JSON ``data`` line."""
    events = []
    for block in raw.decode("utf-8").split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        assert set(fields) == {"event", "data"}, block
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def text_of(events: list[tuple[str, dict]]) -> str:
    return "".join(data["text"] for name, data in events if name == "delta")
