"""``manage.py purge_expired_tokens``: delete refresh tokens past their expiry."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts.services.tokens import refresh_tokens_purge


class Command(BaseCommand):
    help = (
        "Delete refresh tokens that expired (more than --days days ago; default 0). Spent and "
        "revoked tokens are kept until they expire, so that replaying one is still detected "
        "as reuse."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=0, help="Keep tokens expired for less than N days."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the tokens that would be deleted."
        )

    def handle(self, *args, days: int, dry_run: bool, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more")
        count = refresh_tokens_purge(older_than=timedelta(days=days), dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        self.stdout.write(f"{verb} {count} expired refresh token(s)")
