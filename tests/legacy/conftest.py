from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from tests.legacy.prisma_db import PrismaDatabase, password


@pytest.fixture(scope="session")
def _prisma_template(django_db_setup, django_db_blocker):
    """The fixture Prisma database, built once; each test gets a copy (CREATE … TEMPLATE)."""
    with django_db_blocker.unblock():
        template = PrismaDatabase()
    yield template
    with django_db_blocker.unblock():
        template.drop()


@pytest.fixture
def prisma(_prisma_template, db):
    """A fresh copy of the fixture Prisma database, for one test."""
    copy = PrismaDatabase(template=_prisma_template.name)
    yield copy
    copy.drop()


def import_legacy(source: PrismaDatabase | str, *args: str) -> dict:
    """Run the real command (in-process) and return its JSON report."""
    out = StringIO()
    url = source if isinstance(source, str) else source.url
    call_command("import_legacy", "--source", url, "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def conflicts_of(report: dict, kind: str) -> list[dict]:
    return [c for c in report["conflicts"] if c["kind"] == kind]


def problems_of(report: dict, kind: str) -> list[dict]:
    return [p for p in report["problems"] if p["kind"] == kind]


def import_legacy_text(source: PrismaDatabase, *args: str) -> str:
    """Run the real command (in-process) without ``--json``; return what it printed."""
    out = StringIO()
    call_command("import_legacy", "--source", source.url, *args, stdout=out)
    return out.getvalue()


def signin(email: str, pw: str):
    return APIClient().post("/api/auth/signin", {"email": email, "password": pw}, format="json")


def signup(email: str, invite_code: str):
    """A sign-up through the API with an invite code."""
    return APIClient().post(
        "/api/auth/signup",
        {
            "email": email,
            "password": "Brand-new-Passw0rd",
            "name": "New",
            "invite_code": invite_code,
        },
        format="json",
    )


def signed_in(email: str, key: str) -> APIClient:
    """An API client signed in with the fixture password ``key`` (bcryptjs_hashes.json)."""
    r = signin(email, password(key))
    assert r.status_code == 200, r.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['access']}")
    return client


def titles(client: APIClient) -> list[str]:
    """The titles of the signed-in creator's content, as the API lists them."""
    return sorted(a["title"] for a in client.get("/api/content?page_size=100").json()["results"])


def google_signin(uid: str, email: str = "someone@gmail.example"):
    """Sign in with Google as allauth's callback does; the id of the account it opens (None
    when that Google identity opens none)."""
    from tests.accounts.test_allauth import _complete, _sociallogin

    login = _sociallogin(email)
    login.account.uid = uid
    _complete(login)
    return login.user.pk if login.is_existing else None


def owner_of(table: str, legacy_id: str) -> str | None:
    """SQL: the account that the row an import made of ``table``/``legacy_id`` belongs to."""
    owner = {
        "content_assets": ("content_assets", "user_id", "uuid"),
        "subscription_records": ("subscription_records", "user_id", "uuid"),
        "accounts": ("socialaccount_socialaccount", "user_id", "integer"),
        "users": ("users", "id", "uuid"),
    }[table]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.{owner[1]}::text FROM legacy_records m JOIN {owner[0]} t "
            f"ON t.id = m.object_id::{owner[2]} WHERE m.source = %s AND m.legacy_id = %s",
            [table, legacy_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None
