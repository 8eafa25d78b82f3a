"""The real pieces for the job tests: an SMTP server (tests/jobs/smtp.py) and the worker
process (``manage.py worker``, the Procfile's ``worker:`` line, with the production settings)
on this run's test database. Data must be committed for the worker to see it: these tests are
transactional."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import pytest
from django.db import connection

from tests.jobs.smtp import SmtpServer
from tests.servers import REPO, production_env

# The tests' retry schedule: the production one's shape, in seconds rather than minutes.
FAST_RETRY_DELAYS = "1,1,1,2,2,2,2,2,2"


def wait_until(predicate: Callable[[], object], timeout: float = 60, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s: {predicate.__doc__ or predicate}")


class WorkerProcess:
    def __init__(self, env: dict[str, str]):
        # Closed by the fixture once the worker has stopped.
        self.output = tempfile.NamedTemporaryFile(prefix="huntaze-worker-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=REPO,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        with open(self.output.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def wait_started(self, timeout: float = 90) -> None:
        def started():
            if self.proc.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.log()[-3000:]}")
            return "Starting worker" in self.log()

        wait_until(started, timeout)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as systemd or a deploy does; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the worker did not stop:\n{self.log()[-3000:]}") from None


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(transactional_db, smtp):
    """Start ``manage.py worker`` (production settings) on the test database, mail to ``smtp``."""
    from tests.ops.conftest import database_url

    url = database_url(connection.settings_dict["NAME"])
    workers: list[WorkerProcess] = []

    def start(**extra: str) -> WorkerProcess:
        settings = {
            **smtp.email_settings(),
            "EMAIL_RETRY_DELAYS": FAST_RETRY_DELAYS,
            "JOB_POLL_SECONDS": "0.2",
            "LOG_LEVEL": "INFO",
            **extra,
        }
        env = production_env(url, **settings)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        worker = WorkerProcess(env)
        workers.append(worker)
        worker.wait_started()
        return worker

    yield start
    for worker in workers:
        if worker.proc.poll() is None:
            worker.stop()
        worker.output.close()
