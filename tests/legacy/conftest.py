from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.legacy.prisma_db import PrismaDatabase


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
