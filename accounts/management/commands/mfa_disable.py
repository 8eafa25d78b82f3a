"""``manage.py mfa_disable EMAIL``: turn off a user's two-factor from the server's shell.

For the one case the admin cannot help: every staff member locked out (phone and recovery codes
lost) while ``STAFF_MFA_REQUIRED`` keeps the admin closed to them. Logged like the admin's
button; the user then signs in with the password and sets two-factor up again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services.mfa import mfa_disable_by_staff


class Command(BaseCommand):
    help = "Turn off the two-factor sign-in (TOTP and recovery codes) of the user with EMAIL."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = User.objects.filter(email__iexact=email.strip(), deleted_at__isnull=True).first()
        if user is None:
            raise CommandError(f"no live user with the email {email!r}")
        if mfa_disable_by_staff(user=user, by=None):
            self.stdout.write(f"two-factor turned off for {user.email}")
        else:
            self.stdout.write(f"{user.email} had no two-factor: nothing changed")
