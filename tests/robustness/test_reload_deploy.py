"""Reloads and deploys of the Procfile's server lose nothing (docs/deploy.md, Releasing; the
events table of docs/robustness.md).

- ``SIGHUP`` (a configuration reload) under a steady stream of requests, with a streamed
  generation in flight: new workers take over, the old ones finish what they hold, and not one
  request fails.
- ``SIGTERM`` (a deploy, a restart) with generations in flight: the listener closes at once,
  the streamed and the JSON generation finish and are saved, a stream that never ends is cut at
  ``graceful_timeout``, then the process exits.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.services.tokens import access_token_issue
from content.models import ContentAsset
from tests import factories
from tests.content.sse import parse_events
from tests.content.standin import API_KEY, DEPLOYMENT, OpenAIStandIn
from tests.robustness.conftest import report
from tests.servers import Gunicorn, database_url, production_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def model():
    server = OpenAIStandIn().start()
    server.delay = 3.0
    server.text = "Une réponse écrite morceau par morceau. " * 4
    yield server
    server.stop()


def _env(model: OpenAIStandIn, **extra: str) -> dict[str, str]:
    return production_env(
        database_url(connection.settings_dict["NAME"]),
        JWT_SIGNING_KEY=django_settings.JWT_SIGNING_KEY,
        AZURE_OPENAI_ENDPOINT=model.url,
        AZURE_OPENAI_API_KEY=API_KEY,
        AZURE_OPENAI_DEPLOYMENT=DEPLOYMENT,
        AI_MONTHLY_QUOTA_FREE="-1",
        **extra,
    )


def _workers(master: int) -> set[int]:
    """The pids whose parent is gunicorn's master (its workers)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.add(int(entry.name))
    return pids


def _generate(server: Gunicorn, token: str, *, streamed: bool) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request(
        "POST",
        "/api/content/generate",
        body=json.dumps({"type": "CAPTION", "prompt": "Annonce la collection d'été"}),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if streamed else "application/json",
        },
    )
    return conn.getresponse()


def _first_delta(response: http.client.HTTPResponse) -> bytes:
    raw = response.read1()
    while b"event: delta" not in raw:
        chunk = response.read1()
        assert chunk, raw
        raw += chunk
    return raw


def _read_all(response: http.client.HTTPResponse, raw: bytes = b"") -> bytes:
    try:
        while chunk := response.read1():
            raw += chunk
    except (http.client.IncompleteRead, ConnectionError):
        pass  # a stream cut short: what arrived is returned
    return raw


class SteadyLoad:
    """Clients reading their profile back to back; every answer (or failure) is recorded with
    the time it ended."""

    def __init__(self, server: Gunicorn, tokens: list[str]) -> None:
        self.server = server
        self.results: list[tuple[float, object]] = []
        self.seconds: list[float] = []  # each request's time
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(t,)) for t in tokens]
        for thread in self._threads:
            thread.start()

    def _run(self, token: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                conn.request(
                    "GET", "/api/users/profile", headers={"Authorization": f"Bearer {token}"}
                )
                response = conn.getresponse()
                response.read()
                conn.close()
                outcome: object = response.status
            except OSError as exc:
                outcome = repr(exc)
            self.results.append((time.monotonic(), outcome))
            self.seconds.append(time.monotonic() - started)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def served_after(self, moment: float) -> int:
        return sum(1 for ended, _ in self.results if ended > moment)


def test_sighup_under_load_new_workers_take_over_and_no_request_fails(model, tmp_path):
    """The new workers take seconds to load (6 s here, tens on a busy machine): the old ones
    go on serving until one of them is ready, so nobody waits for a worker to boot."""
    slow_boot = tmp_path / "slow-boot"
    env = _env(
        model,
        TMPDIR=str(tmp_path),  # gunicorn.conf.py's private folder goes there
        DJANGO_SETTINGS_MODULE="tests.robustness.settings_slow_boot",
        SLOW_BOOT_FLAG=str(slow_boot),
    )
    server = Gunicorn(env, workers=2, log=tmp_path / "gunicorn.log")
    load = None
    try:
        readers = [access_token_issue(user=factories.make_user()) for _ in range(4)]
        generator = access_token_issue(user=factories.make_user())
        old = _workers(server.proc.pid)
        assert len(old) == 2

        load = SteadyLoad(server, readers)
        time.sleep(1.0)
        stream = _generate(server, generator, streamed=True)
        raw = _first_delta(stream)
        slow_boot.touch()
        server.proc.send_signal(signal.SIGHUP)
        hup = time.monotonic()

        first_old_gone = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            current = _workers(server.proc.pid)
            if first_old_gone is None and old - current:
                first_old_gone = time.time()
            if len(current) == 2 and not current & old:
                break
            time.sleep(0.1)
        taken_over = time.monotonic()
        assert len(current) == 2 and not current & old, (old, current)
        while load.served_after(taken_over) < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        load.stop()

        failures = [outcome for _, outcome in load.results if outcome != 200]
        assert failures == [], failures[:5]
        assert load.served_after(taken_over) >= 20  # by the new workers alone
        # No old worker stopped before a new one was ready (had loaded the application).
        ready = [p.stat().st_mtime for p in tmp_path.glob("huntaze-metrics-*/ready-*")]
        assert ready and first_old_gone is not None
        assert first_old_gone >= min(ready)
        events = parse_events(_read_all(stream, raw))
        assert events[-1][0] == "done"  # the old worker finished the stream it held
        report(
            "reload (SIGHUP)",
            requests=len(load.results),
            failed=len(failures),
            slowest_s=max(load.seconds),
            median_s=sorted(load.seconds)[len(load.seconds) // 2],
            new_workers_serving_after_s=taken_over - hup,
        )
        assert server.proc.poll() is None  # the same master throughout
    finally:
        if load is not None:
            load.stop()
        server.stop()
    # The folder gunicorn.conf.py made is removed at exit, also after a reload (which runs
    # gunicorn.conf.py again).
    assert not list(tmp_path.glob("huntaze-metrics-*"))


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_sigterm_closes_the_listener_finishes_what_is_in_flight_then_exits(model):
    """graceful_timeout is 8 s here (50 s in production, above a generation's 45 s bound)."""
    env = _env(model, GUNICORN_CMD_ARGS="--graceful-timeout 8")
    server = Gunicorn(env, workers=2)
    try:
        users = [factories.make_user() for _ in range(3)]
        tokens = [access_token_issue(user=u) for u in users]
        model.script(["success", "success", "stream_stall"])
        stream = _generate(server, tokens[0], streamed=True)
        raw = _first_delta(stream)
        whole = threading.Thread(target=lambda: results.append(_whole(server, tokens[1])))
        results: list[tuple[int, dict]] = []
        whole.start()
        while model.count < 2:
            time.sleep(0.05)
        stalled = _generate(server, tokens[2], streamed=True)
        stalled_raw = _first_delta(stalled)

        server.proc.send_signal(signal.SIGTERM)
        terminated = time.monotonic()
        deadline = terminated + 5
        while not _refused(server.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _refused(server.port)  # no new connection is accepted
        refused_after = time.monotonic() - terminated
        assert server.proc.poll() is None  # while the generations go on

        events = parse_events(_read_all(stream, raw))
        assert events[-1][0] == "done", events[-1]
        stream_done_after = time.monotonic() - terminated
        whole.join(timeout=30)
        assert results and results[0][0] == 201, results
        # The stream that never ends is cut at graceful_timeout, then the process exits.
        cut = parse_events(_read_all(stalled, stalled_raw))
        assert cut[-1][0] == "delta"
        assert server.proc.wait(timeout=60) == 0
        exited_after = time.monotonic() - terminated
        assert exited_after >= 8 - 1  # it waited for the stalled stream
        report(
            "deploy (SIGTERM, graceful_timeout 8 s)",
            listener_closed_after_s=refused_after,
            stream_done_after_s=stream_done_after,
            json_generation=results[0][0],
            exited_after_s=exited_after,
        )
        for user in users[:2]:
            assert ContentAsset.objects.filter(user=user).count() == 1
    finally:
        server.stop()


def _whole(server: Gunicorn, token: str) -> tuple[int, dict]:
    response = _generate(server, token, streamed=False)
    return response.status, json.loads(response.read() or b"{}")
