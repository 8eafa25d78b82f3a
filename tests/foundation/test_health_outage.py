"""The real server against a real PostgreSQL that stops and comes back (docs/api.md, Health)."""

import json
import time
import uuid
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import jwt
import pytest

from tests.servers import EmbeddedPostgres, Gunicorn, migrate, production_env

pytestmark = pytest.mark.slow


def _get(url: str, token: str | None = None) -> tuple[int, dict, float]:
    started = time.monotonic()
    request = Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urlopen(request, timeout=30) as response:
            status, body = response.status, response.read()
    except HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def test_health_fails_fast_when_postgres_stops_and_recovers_without_restart():
    pg = EmbeddedPostgres("health")
    server = None
    try:
        env = production_env(pg.start())
        migrate(env)
        server = Gunicorn(env, workers=1)
        status, body, _ = _get(server.base + "/api/health")
        assert status == 200 and body["database"]["healthy"] is True

        pg.stop()
        status, body, elapsed = _get(server.base + "/api/health")
        assert status == 503
        assert body["status"] == "unavailable" and body["database"]["healthy"] is False
        assert "postgres" not in json.dumps(body["database"]).lower()
        assert elapsed < 5
        # A DB-backed API request fails fast too, in the error shape.
        token = jwt.encode(
            {
                "sub": str(uuid.uuid4()),
                "jti": "j",
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
                "type": "access",
            },
            env["DJANGO_SECRET_KEY"],
            algorithm="HS256",
        )
        status, body, elapsed = _get(server.base + "/api/auth/me", token)
        assert elapsed < 5 and status == 503
        assert body["error"]["code"] == "service_unavailable"
        # Liveness does not depend on the database.
        assert _get(server.base + "/api/health/live")[0] == 200

        pg.restart()
        deadline = time.monotonic() + 15
        while True:
            status, body, _ = _get(server.base + "/api/health")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and body["database"]["healthy"] is True
    finally:
        if server:
            server.stop()
        pg.destroy()
