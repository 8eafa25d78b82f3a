"""``manage.py purge_deleted_users --days N``: hard-delete users soft-deleted over N days ago."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.services.users import users_purge_deleted


class Command(BaseCommand):
    help = (
        "Delete for good the users soft-deleted more than N days ago, with their data "
        "(content, API keys, refresh tokens, subscription record, allauth rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, required=True, help="Grace period in days (0 or more)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the users that would be deleted."
        )

    def handle(self, *args, days: int, dry_run: bool, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more")
        count = users_purge_deleted(days=days, dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        self.stdout.write(f"{verb} {count} deleted user(s) (deleted more than {days} day(s) ago)")
