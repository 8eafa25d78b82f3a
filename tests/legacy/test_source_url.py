"""The source URL: Prisma's ``?schema=`` as Prisma means it, malformed URLs in one line."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from django.core.management import CommandError, call_command

from tests.legacy.conftest import import_legacy
from tests.ops.conftest import _server_params

pytestmark = pytest.mark.django_db


def with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}schema={quote(schema)}&connection_limit=5"


@pytest.mark.parametrize("schema", ["Legacy", 'Old "Huntaze" App'])
def test_a_prisma_schema_with_capitals_or_spaces_is_read_as_named(prisma, schema):
    quoted = '"' + schema.replace('"', '""') + '"'
    prisma.execute(f"ALTER SCHEMA public RENAME TO {quoted}; CREATE SCHEMA public")
    report = import_legacy(with_schema(prisma.url, schema))
    assert report["tables"]["users"]["imported"] == 10
    assert report["tables"]["content_assets"]["imported"] == 6


def test_a_socket_url_without_a_user_works(prisma):
    # postgres:///db?host=…: libpq's own form, with nothing between "//" and the path.
    params = _server_params()
    query = {"host": params["host"] or "127.0.0.1", "port": params["port"]}
    query.update({k: params[k] for k in ("user", "password") if params.get(k)})
    url = f"postgres:///{prisma.name}?{urlencode(query)}"
    assert import_legacy(url, "--dry-run")["tables"]["users"]["read"] == 12


def test_a_schema_that_does_not_exist_is_one_clear_line(prisma):
    with pytest.raises(CommandError) as failure:
        call_command("import_legacy", "--source", with_schema(prisma.url, "Nope"))
    message = str(failure.value)
    assert "has no schema 'Nope'" in message and "\n" not in message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u:Pw-123@db/huntaze", "must be postgres://"),
        ("postgres://u:Pw-123@[::1/db", "malformed: a host in [brackets] is not closed"),
        ("postgres://u:Pw-123@db.invalid:notaport/huntaze", "malformed: the port"),
        ("postgres://u:Pw-123@db.invalid:99999/huntaze", "malformed: the port"),
        ("postgres://u:Pw-123@127.0.0.1:1/huntaze?sslmode=bogus", "cannot connect"),
        ("postgres://u:Pw%2D123@127.0.0.1:1/%zz", "cannot connect"),
        ("postgres://u:Pw-123@exa\uff03mple.com/db", "malformed"),
    ],
)
def test_a_malformed_source_url_is_a_one_line_error_without_the_password(url, fragment):
    with pytest.raises(CommandError) as failure:
        call_command("import_legacy", "--source", url)
    message = str(failure.value)
    assert fragment in message, message
    assert "\n" not in message and "Pw-123" not in message and "Pw%2D123" not in message
