"""AWS Secrets Manager stand-in: moto's real HTTP server on loopback, reached by real boto3."""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
from moto.server import ThreadedMotoServer

from huntaze import secrets
from tests.servers import free_port

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class MotoServer:
    def __init__(self):
        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.url = f"http://127.0.0.1:{self.port}"
        self.server.start()

    def stop(self):
        self.server.stop()


class Aws:
    """Puts secrets into the stand-in and counts the app's GetSecretValue calls."""

    def __init__(self, server: MotoServer):
        self.server = server
        self.url = server.url
        self.admin = boto3.client(
            "secretsmanager", region_name="us-east-1", endpoint_url=server.url
        )
        self.calls = 0
        self.call_delay = 0.0
        self._lock = threading.Lock()

    def put(self, secret_id: str, value: dict | str) -> None:
        body = value if isinstance(value, str) else json.dumps(value)
        try:
            self.admin.create_secret(Name=secret_id, SecretString=body)
        except self.admin.exceptions.ResourceExistsException:
            self.admin.put_secret_value(SecretId=secret_id, SecretString=body)

    def count_calls(self) -> None:
        """Count (and optionally slow down) the app's calls through boto3's own event hooks."""

        def before_call(**kwargs):
            with self._lock:
                self.calls += 1
            if self.call_delay:
                time.sleep(self.call_delay)

        secrets._client().meta.events.register(
            "before-call.secrets-manager.GetSecretValue", before_call
        )


def _aws_env(monkeypatch, url: str) -> None:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    for name in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch, settings):
    """A clean Secrets Manager stand-in, SECRETS_BACKEND=aws, an empty secrets cache."""
    from urllib.request import Request, urlopen

    urlopen(Request(moto_server.url + "/moto-api/reset", method="POST"), timeout=5).read()
    _aws_env(monkeypatch, moto_server.url)
    settings.SECRETS_BACKEND = "aws"
    settings.AWS_REGION = "us-east-1"
    secrets.secrets_cache_clear()
    yield Aws(moto_server)
    secrets.secrets_cache_clear()


@pytest.fixture
def own_aws(monkeypatch, settings):
    """A stand-in of this test's own, which the test may stop."""
    server = MotoServer()
    _aws_env(monkeypatch, server.url)
    settings.SECRETS_BACKEND = "aws"
    settings.AWS_REGION = "us-east-1"
    secrets.secrets_cache_clear()
    yield Aws(server)
    secrets.secrets_cache_clear()
    server.stop()


def assert_not_logged(caplog, *values: str) -> None:
    """No value appears in any captured record: message, arguments or extra fields."""
    for record in caplog.records:
        dump = repr(record.__dict__) + record.getMessage()
        for value in values:
            assert value not in dump, (record.name, record.getMessage())
