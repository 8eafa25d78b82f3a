"""``manage.py seed``: a development data set (docs/api.md, Operations). Idempotent.

What it makes, each only when missing (a re-run changes nothing and duplicates nothing):

- ``creator@huntaze.test`` (role CREATOR) and ``admin@huntaze.test`` (role ADMIN, so staff in
  ``/admin/``), each with a verified, primary allauth ``EmailAddress`` so allauth's own login
  works too;
- a handful of demo ``ContentAsset`` rows for the creator (each tagged ``metadata.seed`` with a
  stable key: a re-run finds it and leaves it as it is, a deleted one is recreated);
- a pending beta invite for each of a few demo addresses, issued once: an address whose
  invite was used (someone signed up with it) or revoked is never re-invited, nor one that has
  an account; only an invite that merely expired is renewed (``invites.services.invite_issue``
  keeps a pending one). Codes are not printed: staff see them in the admin.

Passwords: with ``SEED_PASSWORD`` set, both users get that password on every run. Without it,
a user created by this run gets a freshly generated password, printed once; a user that already
exists keeps the password it has (the command says so) — set ``SEED_PASSWORD`` to reset it.

Refuses to run (exit 1) when ``settings.DEBUG`` is false, unless ``--force``: demo accounts
with known passwords do not belong in production.
"""

from __future__ import annotations

import os
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from content.models import ContentAsset, ContentType
from invites.models import BetaInvite
from invites.selectors import invite_emails_with_account
from invites.services import invite_issue

CREATOR_EMAIL = "creator@huntaze.test"
ADMIN_EMAIL = "admin@huntaze.test"
INVITE_EMAILS = ("beta1@huntaze.test", "beta2@huntaze.test", "beta3@huntaze.test")

DEMO_ASSETS = (
    {
        "key": "welcome-post",
        "title": "Bienvenue dans la bêta",
        "content": "Merci de nous suivre ! Nouveau contenu chaque semaine.",
        "type": ContentType.POST,
        "category": "annonces",
        "tags": ["bienvenue", "beta"],
    },
    {
        "key": "morning-story",
        "title": "Routine du matin",
        "content": "Café, lumière naturelle et trois idées de posts.",
        "type": ContentType.STORY,
        "category": "lifestyle",
        "tags": ["routine", "matin"],
    },
    {
        "key": "studio-tour",
        "title": "Visite du studio",
        "content": "Script de la vidéo : entrée, bureau, coin tournage.",
        "type": ContentType.VIDEO,
        "category": "coulisses",
        "tags": ["studio", "coulisses", "video"],
    },
    {
        "key": "moodboard",
        "title": "Moodboard printemps",
        "content": "Palette pastel, lumière douce, textures naturelles.",
        "type": ContentType.IMAGE,
        "category": "inspiration",
        "tags": ["printemps", "moodboard"],
    },
    {
        "key": "launch-caption",
        "title": "Légende du lancement",
        "content": "Le jour J est arrivé ✨ Dites-moi ce que vous en pensez en commentaire !",
        "type": ContentType.CAPTION,
        "category": None,
        "tags": ["lancement"],
    },
)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Create the development data set: a creator and an admin, demo content, pending "
        "invites. Idempotent. Refuses when DEBUG is false unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though settings.DEBUG is false (never on a real production database).",
        )
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"Where the server listens, for the printed links ({DEFAULT_BASE_URL}).",
        )

    def handle(self, *args, force: bool, base_url: str, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed: DJANGO_DEBUG is false (production settings). The seed creates "
                "accounts with known passwords; pass --force if you really mean it.",
                returncode=1,
            )
        env_password = os.environ.get("SEED_PASSWORD", "")
        if env_password:
            try:
                validate_password(env_password)
            except ValidationError as exc:
                self.stderr.write(
                    "warning: SEED_PASSWORD is weak (" + " ".join(exc.messages) + "); using it."
                )
        generated = secrets.token_urlsafe(12)  # used only for users this run creates

        with transaction.atomic():
            creator, creator_pw = self._user(
                CREATOR_EMAIL, "Demo Creator", Role.CREATOR, env_password, generated
            )
            admin, admin_pw = self._user(
                ADMIN_EMAIL, "Demo Admin", Role.ADMIN, env_password, generated
            )
            assets_created = self._assets(creator)
            invites = self._invites(admin)

        # What a newcomer needs, the accounts and their password last (``make run`` prints this
        # after the server's start-up lines: demo/management/commands/runserver.py).
        out = self.stdout.write
        base = base_url.rstrip("/")
        invites_created = sum(1 for state in invites.values() if state == "created")
        states = ", ".join(f"{email} {state}" for email, state in invites.items())
        out(self.style.SUCCESS("Seed data ready."))
        out(
            f"  content  : {len(DEMO_ASSETS)} demo assets for {creator.email} "
            f"({assets_created} created now)"
        )
        out(f"  invites  : {states} ({invites_created} created now); codes in the admin")
        # The curl line carries the password only when this run generated (and printed) it.
        shown = generated if creator_pw == f"password: {generated}" else "<password>"
        out(f"  API docs : {base}/api/docs  (OpenAPI schema: {base}/api/schema.json)")
        out(f"  Admin    : {base}/admin/  (sign in as {ADMIN_EMAIL})")
        required = "required" if settings.STAFF_MFA_REQUIRED else "optional here"
        out(
            f"  2FA      : {base}/admin/mfa/setup/  (TOTP for the admin account, {required}; "
            "production requires it: STAFF_MFA_REQUIRED)"
        )
        out(
            f"  Sign in  : curl -s -X POST {base}/api/auth/signin "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"email": "{CREATOR_EMAIL}", "password": "{shown}"}}\''
        )
        out("")
        for email, role, password_note in (
            (admin.email, "ADMIN", admin_pw),
            (creator.email, "CREATOR", creator_pw),
        ):
            out(f"  {role:<8} {email:<22} {password_note}")

    def _user(
        self, email: str, name: str, role: str, env_password: str, generated: str
    ) -> tuple[User, str]:
        """Ensure the user exists with ``role``; return it and what to say about its password."""
        user = User.objects.filter(email__iexact=email, deleted_at__isnull=True).first()
        if user is None:
            password = env_password or generated
            user = User.objects.create_user(email=email, password=password, name=name, role=role)
            note = "password from SEED_PASSWORD" if env_password else f"password: {generated}"
        else:
            changed = []
            if user.role != role:
                user.role = role
                changed.append("role")
            if not user.is_active:
                user.is_active = True
                changed.append("is_active")
            if env_password:
                if not user.check_password(env_password):
                    user.set_password(env_password)
                    changed += ["password", "password_changed_at"]
                note = "password from SEED_PASSWORD"
            elif not user.has_usable_password():
                user.set_password(generated)
                changed += ["password", "password_changed_at"]
                note = f"password: {generated}"
            else:
                note = "existing password kept (set SEED_PASSWORD to reset it)"
            if changed:
                user.save(update_fields=[*changed, "updated_at"])
        address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        if address is None:
            EmailAddress.objects.filter(user=user, primary=True).update(primary=False)
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        elif not (address.verified and address.primary):
            EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).update(
                primary=False
            )
            address.verified = address.primary = True
            address.save(update_fields=["verified", "primary"])
        return user, note

    def _assets(self, creator: User) -> int:
        created = 0
        for spec in DEMO_ASSETS:
            fields = {k: v for k, v in spec.items() if k != "key"}
            if ContentAsset.objects.filter(user=creator, metadata__seed=spec["key"]).exists():
                continue
            ContentAsset.objects.create(
                user=creator, metadata={"seed": spec["key"], "source": "seed"}, **fields
            )
            created += 1
        return created

    def _invites(self, admin: User) -> dict[str, str]:
        """``{email: what became of it}``: "created", or the status it keeps, or "member"."""
        members = invite_emails_with_account(emails=INVITE_EMAILS)
        outcome: dict[str, str] = {}
        for email in INVITE_EMAILS:
            if email in members:
                outcome[email] = "member (has an account)"
                continue
            kept = (
                BetaInvite.objects.with_status()
                .filter(email=email)
                .filter(
                    Q(used_at__isnull=False)
                    | Q(revoked_at__isnull=False)
                    | Q(expires_at__gt=timezone.now())
                )
                .order_by("-created_at")
                .first()
            )
            if kept is not None:  # pending, or used/revoked on purpose: never re-invited
                outcome[email] = kept.status_sql
                continue
            _invite, created = invite_issue(email=email, created_by=admin)
            outcome[email] = "created" if created else "pending"
        return outcome
