"""``manage.py worker``: the job worker (the Procfile's ``worker:`` line, docs/jobs.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from jobs.worker import worker_run


class Command(BaseCommand):
    help = (
        "Run the job worker: emails and periodic housekeeping. Stops cleanly on SIGTERM or "
        "Ctrl-C once its running jobs are done."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="Jobs run at once (default JOB_WORKER_CONCURRENCY).",
        )
        parser.add_argument("--once", action="store_true", help="Run the jobs due now, then exit.")

    def handle(self, *args, concurrency: int | None = None, once: bool = False, **options) -> None:
        worker_run(concurrency=concurrency, wait=not once)
