"""``manage.py runserver`` with ``--seed``: what ``make run`` starts (docs/ops.md, First run).

Django's development server (the staticfiles flavour, unchanged) plus one option: ``--seed``
runs ``manage.py seed`` before the server starts and prints its summary (the demo accounts,
their password the first time, the links) *after* the server's start-up lines, so the part a
newcomer needs is the last thing on the screen rather than scrolled away.

With the autoreloader, the first process seeds (once) and the server runs in a child process
that is restarted on every code change. The summary goes from one to the other through a
private temporary file (mode 0600) that the first child to bind prints and deletes, so a reload
does not print it again; the parent deletes it on exit in any case.
"""

from __future__ import annotations

import atexit
import io
import os
import tempfile
from contextlib import suppress
from pathlib import Path

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management import call_command
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

WELCOME_FILE_ENV = "HUNTAZE_RUNSERVER_WELCOME_FILE"


class Command(RunserverCommand):
    help = RunserverCommand.help + " With --seed, seed the development data first."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--seed",
            action="store_true",
            help="Run `manage.py seed` first and print its summary once the server listens.",
        )

    def run(self, **options):
        if options.get("seed") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            self._seed()
        super().run(**options)

    def _seed(self) -> None:
        host = f"[{self.addr}]" if self._raw_ipv6 else self.addr
        summary = io.StringIO()
        call_command("seed", base_url=f"{self.protocol}://{host}:{self.port}", stdout=summary)
        fd, path = tempfile.mkstemp(prefix="huntaze-welcome-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(summary.getvalue())
        os.environ[WELCOME_FILE_ENV] = path
        atexit.register(_remove, path)

    def on_bind(self, server_port):
        super().on_bind(server_port)
        path = os.environ.get(WELCOME_FILE_ENV)
        if not path:
            return
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:  # a reload: the first child printed it already
            return
        _remove(path)
        self.stdout.write("\n" + text.rstrip("\n"))


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)
