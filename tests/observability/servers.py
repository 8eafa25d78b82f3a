"""gunicorn (the Procfile's web: line) against the test database of this pytest run."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.db import connection


def current_database_url() -> str:
    """A URL for the database pytest-django created (data must be committed: transactional)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host, port = s.get("HOST") or "", s.get("PORT") or "5432"
    if host.startswith("/"):
        return f"postgres://{auth}@/{s['NAME']}?host={quote(host, safe='')}&port={port}"
    return f"postgres://{auth}@{host or '127.0.0.1'}:{port}/{s['NAME']}"


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
