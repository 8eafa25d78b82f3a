"""``manage.py seed_beta_activity``: a month of demo beta activity for the dashboard. Idempotent.

Run by ``make run`` after ``seed``, so ``/admin/beta/`` has something to show in development:
24 demo creators (``demo01@huntaze.test`` …) who signed up over the last four weeks with an
invite each (plus invites still pending, sent or not), their content, AI generations recorded
in the ledger and the month's budget counter, and a few subscription records (PRO and
ENTERPRISE, monthly and yearly, one past due, one canceled). The demo creators have no usable
password. A second run finds ``demo01@huntaze.test`` and changes nothing.

Refuses to run (exit 1) when ``settings.DEBUG`` is false, unless ``--force``.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from billing.models import SubscriptionRecord, SubscriptionStatus
from content.models import AiGeneration, ContentAsset, ContentType
from content.selectors import usage_month
from invites.models import BetaInvite
from invites.services import invite_code_generate

DEMO_USERS = 24
DOMAIN = "huntaze.test"
PLANS = (  # (plan, status, period in days) for the first demo creators
    ("PRO", SubscriptionStatus.ACTIVE, 30),
    ("PRO", SubscriptionStatus.ACTIVE, 30),
    ("PRO", SubscriptionStatus.ACTIVE, 30),
    ("PRO", SubscriptionStatus.ACTIVE, 365),
    ("ENTERPRISE", SubscriptionStatus.ACTIVE, 30),
    ("PRO", SubscriptionStatus.PAST_DUE, 30),
    ("PRO", SubscriptionStatus.CANCELED, 30),
)
PROMPTS = ("Un post sur la rentrée", "Légende pour une photo de plage", "Story coulisses")


class Command(BaseCommand):
    help = "Create a month of demo beta activity for the dashboard. Idempotent; DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG false.")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed demo activity: DJANGO_DEBUG is false (production settings).",
                returncode=1,
            )
        if User.objects.filter(email=f"demo01@{DOMAIN}").exists():
            self.stdout.write("Demo beta activity already there: nothing to do.")
            return
        with transaction.atomic():
            created = self._seed(random.Random(16))  # noqa: S311 (demo data, not security)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo beta activity: {created['users']} creators, {created['invites']} "
                f"invites, {created['assets']} assets, {created['generations']} AI generations."
            )
        )

    def _seed(self, rng: random.Random) -> dict[str, int]:
        now = timezone.now()
        admin = User.objects.filter(role=Role.ADMIN).order_by("created_at").first()
        users, invites, assets, generations = [], [], [], []
        for n in range(1, DEMO_USERS + 1):
            joined = now - dt.timedelta(days=rng.randint(0, 27), hours=rng.randint(0, 23))
            user = User(
                email=f"demo{n:02d}@{DOMAIN}",
                name=f"Demo {n:02d}",
                created_at=joined,
                last_login=joined + dt.timedelta(days=rng.randint(0, (now - joined).days)),
            )
            user.set_unusable_password()
            users.append(user)
            invites.append(
                BetaInvite(
                    email=user.email,
                    code=invite_code_generate(),
                    created_by=admin,
                    created_at=joined - dt.timedelta(days=2),
                    sent_at=joined - dt.timedelta(days=2),
                    used_at=joined,
                    expires_at=joined + dt.timedelta(days=28),
                )
            )
        User.objects.bulk_create(users)
        for invite, user in zip(invites, users, strict=True):
            invite.used_by = user
        for n in range(1, 13):  # invited, not (yet) signed up; a third never sent
            invites.append(
                BetaInvite(
                    email=f"invited{n:02d}@{DOMAIN}",
                    code=invite_code_generate(),
                    created_by=admin,
                    sent_at=None if n % 3 == 0 else now - dt.timedelta(days=n),
                    expires_at=now + dt.timedelta(days=30 - n),
                )
            )
        BetaInvite.objects.bulk_create(invites)

        types = list(ContentType.values)
        month = usage_month()
        for user in users:
            for _ in range(rng.randint(2, 12)):
                at = user.created_at + (now - user.created_at) * rng.random()
                assets.append(
                    ContentAsset(
                        user=user,
                        title=f"Idée {rng.randint(1, 999)}",
                        content="Contenu de démonstration.",
                        type=rng.choice(types),
                        tags=["demo"],
                        metadata={"source": "seed_beta_activity"},
                        created_at=at,
                    )
                )
        ContentAsset.objects.bulk_create(assets)
        for asset in assets[::3]:  # one asset in three was written by the AI model
            prompt_tokens, completion_tokens = rng.randint(60, 220), rng.randint(80, 600)
            asset.metadata = {
                "ai": {
                    "model": "gpt-4o-2024-08-06",
                    "prompt": rng.choice(PROMPTS),
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                }
            }
            generations.append(
                AiGeneration(
                    user=asset.user,
                    asset=asset,
                    model="gpt-4o-2024-08-06",
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    created_at=asset.created_at,
                )
            )
        ContentAsset.objects.bulk_update(assets[::3], ["metadata"])
        AiGeneration.objects.bulk_create(generations)
        # The month's budget counter follows the ledger of the month (what the guard checks).
        totals = AiGeneration.objects.filter(
            created_at__gte=dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
        ).aggregate(p=Sum("prompt_tokens"), c=Sum("completion_tokens"))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO content_ai_budget AS b (month, prompt_tokens, completion_tokens, "
                "reserved_usd, in_flight, created_at, updated_at) VALUES (%s, %s, %s, 0, 0, %s, %s) "
                "ON CONFLICT (month) DO UPDATE SET prompt_tokens = b.prompt_tokens + "
                "EXCLUDED.prompt_tokens, completion_tokens = b.completion_tokens + "
                "EXCLUDED.completion_tokens",
                [month, totals["p"] or 0, totals["c"] or 0, now, now],
            )

        for user, (plan, status, days) in zip(users, PLANS, strict=False):
            start = now - dt.timedelta(days=rng.randint(1, min(days - 1, 20)))
            SubscriptionRecord.objects.create(
                user=user,
                stripe_subscription_id=f"sub_demo_{user.email.split('@')[0]}",
                plan=plan,
                status=status,
                current_period_start=start,
                current_period_end=start + dt.timedelta(days=days),
            )
            if status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
                User.objects.filter(pk=user.pk).update(subscription=plan)
        return {
            "users": len(users),
            "invites": len(invites),
            "assets": len(assets),
            "generations": len(generations),
        }
