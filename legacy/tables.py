"""Subscription records, content assets and beta invites (docs/migration.md).

Rows are carried as they are: the API's input bounds (title length, tag count, metadata size)
apply to what creators send, not to what they already have, so nothing is truncated or
dropped. NULL tags become ``[]`` and NULL metadata ``{}`` (this product has no NULL there).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings

from billing.models import SubscriptionRecord
from invites.models import BetaInvite
from legacy.rules import email_owners, normalize_email
from legacy.run import OWNER_HELD, Owner, Run, owner_moved, settled
from legacy.writer import Planned, Target, existing_records

EMAIL_MAX = 254
CODE_MAX = 64  # the longest invite code the API accepts (sign-up, invite check)
PAID_STATUSES = {"ACTIVE", "PAST_DUE"}

SUBSCRIPTIONS = Target(
    source="subscription_records",
    table="subscription_records",
    columns=(
        "id",
        "user_id",
        "stripe_subscription_id",
        "status",
        "plan",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "last_event_at",
        "created_at",
        "updated_at",
    ),
    owner_column="user_id",
)
CONTENT = Target(
    source="content_assets",
    table="content_assets",
    columns=(
        "id",
        "user_id",
        "title",
        "content",
        "type",
        "category",
        "tags",
        "metadata",
        "created_at",
        "updated_at",
    ),
    owner_column="user_id",
)
INVITES = Target(
    source="beta_invites",
    table="beta_invites",
    columns=(
        "id",
        "email",
        "code",
        "used_at",
        "used_by_id",
        "created_by_id",
        "expires_at",
        "revoked_at",
        "sent_at",
        "created_at",
        "updated_at",
    ),
    # expires_at is set once, at the first import (the old app had no expiry).
    update_columns=("email", "code", "used_at", "used_by_id", "created_at", "updated_at"),
    hash_columns=(
        "email",
        "code",
        "used_at",
        "used_by_id",
        "expires_at",
        "revoked_at",
        "sent_at",
        "created_at",
        "updated_at",
    ),
    owner_column="used_by_id",
)

SUBSCRIPTIONS_SQL = """
SELECT s.id, s."userId", s."stripeSubscriptionId", s.status::text, s.plan::text,
       s."currentPeriodStart" AT TIME ZONE 'UTC', s."currentPeriodEnd" AT TIME ZONE 'UTC',
       s."cancelAtPeriodEnd", s."createdAt" AT TIME ZONE 'UTC', s."updatedAt" AT TIME ZONE 'UTC',
       md5(s::text)
FROM subscription_records s ORDER BY s."createdAt", s.id
"""
# Tags and metadata travel as their PostgreSQL text forms (array and jsonb literals), which
# COPY parses on our side: no decoding and re-encoding of 100,000 JSON documents in Python.
CONTENT_SQL = """
SELECT c.id, c."userId", c.title, c.content, c.type::text, c.category,
       COALESCE(c.tags, '{}')::text, COALESCE(c.metadata, '{}'::jsonb)::text,
       jsonb_typeof(c.metadata), c."createdAt" AT TIME ZONE 'UTC',
       c."updatedAt" AT TIME ZONE 'UTC', md5(c::text)
FROM content_assets c ORDER BY c.id
"""
INVITES_SQL = """
SELECT i.id, i.email, i.code, i."usedAt" AT TIME ZONE 'UTC', i."createdAt" AT TIME ZONE 'UTC',
       md5(i::text)
FROM beta_invites i ORDER BY i."createdAt", i.id
"""


# --- subscription records -----------------------------------------------------------------------


def import_subscriptions(run: Run) -> set[str]:
    """Plan and write every subscription record; return the legacy ids read."""
    rows = run.source.fetch_all(SUBSCRIPTIONS_SQL)
    report = run.report
    report.count("subscription_records", "read", len(rows))
    records = existing_records(SUBSCRIPTIONS, [r[0] for r in rows])
    mapped_ids = {uuid.UUID(rec.object_id) for rec in records.values()}
    # Records made here (not by an import) for the accounts and Stripe ids concerned.
    here_by_user = {}
    here_by_stripe = {}
    for pk, user_id in SubscriptionRecord.objects.filter(
        user_id__in=[o.user_id for o in run.owners.values() if o.user_id]
    ).values_list("id", "user_id"):
        if pk not in mapped_ids:
            here_by_user[user_id] = pk
    for pk, stripe_id in SubscriptionRecord.objects.filter(
        stripe_subscription_id__in=[r[2] for r in rows if r[2]]
    ).values_list("id", "stripe_subscription_id"):
        if pk not in mapped_ids:
            here_by_stripe[stripe_id] = pk
    planned: list[Planned] = []
    for row in rows:
        legacy_id, user_legacy_id, stripe_id, status, plan = row[:5]
        source_hash = row[10]
        record = records.get(legacy_id)
        if record is not None:
            owner = run.owner_of(user_legacy_id)
            if record.exists and owner_moved(run, SUBSCRIPTIONS, legacy_id, record, owner):
                continue
            if settled(run, SUBSCRIPTIONS, legacy_id, source_hash, record):
                continue
        else:
            owner = run.skip_for_owner("subscription_records", legacy_id, user_legacy_id)
            if owner is None:
                continue
            if owner.user_id in here_by_user:
                run.skip_conflict(
                    "subscription_records",
                    legacy_id,
                    "subscription_exists",
                    "the account already has a subscription made in this product; it is kept",
                )
                continue
            if stripe_id and stripe_id in here_by_stripe:
                run.skip_conflict(
                    "subscription_records",
                    legacy_id,
                    "stripe_subscription_taken",
                    f"Stripe subscription {stripe_id} already belongs to another record here",
                )
                continue
        expected_plan = plan if status in PAID_STATUSES else "FREE"
        if owner.plan != expected_plan:
            report.problem(
                "subscription_records",
                legacy_id,
                "plan_mismatch",
                f"the user's plan is {owner.plan} but this {status} record implies "
                f"{expected_plan}; both imported as they are, the next Stripe event settles it",
            )
        planned.append(
            Planned.of(
                legacy_id=legacy_id,
                source_hash=source_hash,
                record=record,
                values=(
                    owner.user_id,
                    stripe_id,
                    status,
                    plan,
                    row[5],
                    row[6],
                    row[7],
                    # The newest state the old app had applied: an older Stripe event
                    # delivered late must not overwrite it (billing/webhooks.py).
                    row[9],
                    row[8],
                    row[9],
                ),
            )
        )
    written = run.write(SUBSCRIPTIONS, planned)
    run.tally(SUBSCRIPTIONS, planned, written)
    return {row[0] for row in rows}


# --- content assets -----------------------------------------------------------------------------


def import_content(run: Run) -> set[str]:
    """Plan and write every content asset, streamed; return the legacy ids read."""
    total = run.source.count("content_assets")
    seen: set[str] = set()
    for rows in run.source.stream(CONTENT_SQL, batch_size=max(run.batch_size, 1000)):
        _content_batch(run, rows)
        seen.update(row[0] for row in rows)
        if run.progress is not None:
            run.progress("content_assets", len(seen), total)
    return seen


def _content_batch(run: Run, rows: list[tuple]) -> None:
    report = run.report
    report.count("content_assets", "read", len(rows))
    records = existing_records(CONTENT, [r[0] for r in rows])
    planned: list[Planned] = []
    for row in rows:
        legacy_id, user_legacy_id, title, content, kind, category, tags, metadata = row[:8]
        metadata_type, created, updated, source_hash = row[8:]
        record = records.get(legacy_id)
        if record is not None:
            if record.exists and owner_moved(
                run, CONTENT, legacy_id, record, run.owner_of(user_legacy_id)
            ):
                continue
            if settled(run, CONTENT, legacy_id, source_hash, record):
                continue
        owner = run.skip_for_owner("content_assets", legacy_id, user_legacy_id)
        if owner is None:
            continue
        if metadata_type not in (None, "object"):
            report.problem(
                "content_assets",
                legacy_id,
                "metadata_not_object",
                f"metadata is a JSON {metadata_type}, not an object; imported as it is",
            )
        planned.append(
            Planned.of(
                legacy_id=legacy_id,
                source_hash=source_hash,
                record=record,
                values=(
                    owner.user_id,
                    title,
                    content,
                    kind,
                    category,
                    tags,
                    metadata,
                    created,
                    updated,
                ),
            )
        )
    written = run.write(CONTENT, planned)
    run.tally(CONTENT, planned, written)


# --- beta invites -------------------------------------------------------------------------------


def import_invites(run: Run) -> set[str]:
    """Plan and write every beta invite; return the legacy ids read."""
    rows = run.source.fetch_all(INVITES_SQL)
    report = run.report
    report.count("beta_invites", "read", len(rows))
    records = existing_records(INVITES, [r[0] for r in rows])
    mapped_ids = {uuid.UUID(rec.object_id) for rec in records.values()}
    codes = {(r[2] or "").strip().upper() for r in rows}
    codes_here = {
        code
        for pk, code in BetaInvite.objects.filter(code__in=codes).values_list("id", "code")
        if pk not in mapped_ids
    }
    accounts = {o.email: o.user_id for o in run.owners.values() if o.email and o.user_id}
    registered = set(email_owners(normalize_email(r[1]) for r in rows)) | set(accounts)
    expires_at = run.now + timedelta(days=settings.INVITE_EXPIRY_DAYS)
    first_with_code: dict[str, str] = {}
    planned: list[Planned] = []
    for legacy_id, email_raw, code_raw, used_at, created, source_hash in rows:
        email = normalize_email(email_raw)
        code = (code_raw or "").strip().upper()
        if not email or len(email) > EMAIL_MAX:
            run.skip("beta_invites", legacy_id, "invalid_email", "the email is empty or too long")
            continue
        if not code or len(code) > CODE_MAX:
            run.skip(
                "beta_invites",
                legacy_id,
                "invalid_code",
                f"the code is empty or longer than {CODE_MAX} characters (no sign-up could use it)",
            )
            continue
        if code in first_with_code:
            run.skip_conflict(
                "beta_invites",
                legacy_id,
                "code_duplicate",
                f"its code equals, up to case, the code of legacy invite {first_with_code[code]} "
                "(codes are case-insensitive here); that one is kept",
                legacy_ids=[first_with_code[code], legacy_id],
            )
            continue
        first_with_code[code] = legacy_id
        record = records.get(legacy_id)
        # Who used it, as far as the import can tell: the account of that address.
        used_by = accounts.get(email) if used_at else None
        if record is not None:
            # An invite's owner is who used it: set once, never moved (a set one stays when the
            # address has no account here any more).
            if (
                record.exists
                and used_by is not None
                and owner_moved(run, INVITES, legacy_id, record, Owner(used_by))
            ):
                continue
            if settled(run, INVITES, legacy_id, source_hash, record):
                continue
        elif email in run.held_emails:
            run.skip(
                "beta_invites",
                legacy_id,
                OWNER_HELD,
                f"{email} is held back (case variants, see held_back): the invite waits for "
                "staff to say who owns the address",
            )
            continue
        elif code in codes_here:
            run.skip_conflict(
                "beta_invites",
                legacy_id,
                "code_taken",
                "an invite made in this product already has this code; it is kept",
            )
            continue
        if used_at is None and email in registered:
            report.problem(
                "beta_invites",
                legacy_id,
                "invite_for_registered_address",
                f"pending invite for {email}, which already has an account; imported (a "
                "sign-up with it answers 409, as for any invite staff send to a registered "
                "address)",
            )
        planned.append(
            Planned.of(
                legacy_id=legacy_id,
                source_hash=source_hash,
                record=record,
                values=(
                    email,
                    code,
                    used_at,
                    used_by,
                    None,
                    expires_at,
                    None,
                    None,
                    created,
                    max(created, used_at) if used_at else created,
                ),
            )
        )
    written = run.write(INVITES, planned)
    run.tally(INVITES, planned, written)
    return {row[0] for row in rows}
