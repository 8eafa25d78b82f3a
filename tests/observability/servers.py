"""gunicorn (the Procfile's web: line) against the test database of this pytest run."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from tests.servers import database_url


def current_database_url() -> str:
    """A URL for the database pytest-django created (data must be committed: transactional)."""
    return database_url()


def http(method: str, url: str, *, headers=None, body: bytes | None = None, timeout=15):
    """``(status, headers, body bytes)`` of one request on a new connection."""
    request = Request(url, data=body, method=method, headers=headers or {})
    try:
        with urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sample_value(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


__all__ = ["current_database_url", "http", "json", "sample_value"]
