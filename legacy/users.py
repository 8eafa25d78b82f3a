"""Legacy users and their NextAuth Google accounts (docs/migration.md, "Users").

* Emails are lower-cased. Two live legacy users whose emails differ only in case become ONE
  account: the one already imported by an earlier run if any, else the most recently active
  (latest of its ``updatedAt``, its newest refresh token — every sign-in and refresh made
  one — and its newest content edit; then the later ``createdAt``; then the id). The other's
  content and Google sign-in go to that account; its password, plan and subscription do not
  (reported, with both legacy ids).
* An address that already belongs to an account made in this product is left to that
  account: the legacy user is not imported (reported, with the address).
* Soft-deleted legacy users arrive soft-deleted under this product's rule: the email is a
  placeholder derived from the new user id, the password unusable, no allauth address or
  social account (so they cannot sign in and their address is free).
* Passwords: a bcryptjs hash is kept as ``bcrypt$<hash>`` (``legacy.hashers``); an empty one
  (a Google-only user) becomes an unusable password; anything else too, reported. A re-run
  replaces our password only while it is still an imported or unusable one: once a creator
  has signed in here (an Argon2 hash) it is never downgraded.
"""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from accounts.services.users import user_soft_delete
from legacy.importer import Owner, Run, unchanged_or_conflict
from legacy.models import LegacyRecord
from legacy.rules import deleted_email_placeholder, email_owners, emails_taken, normalize_email
from legacy.writer import Planned, Target, existing_records, record_merged

EMAIL_MAX = 254
SOCIAL_UID_MAX = 191
# The providers this product offers (settings.SOCIALACCOUNT_PROVIDERS), by NextAuth's name.
PROVIDERS = {"google": "google"}
BCRYPT_HASH = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
IMPORTED_OR_UNUSABLE = "t.password LIKE 'bcrypt$%%' OR t.password LIKE '!%%'"

USERS = Target(
    source="users",
    table="users",
    columns=(
        "id",
        "email",
        "name",
        "avatar",
        "password",
        "subscription",
        "stripe_customer_id",
        "role",
        "is_active",
        "deleted_at",
        "created_at",
        "updated_at",
    ),
    update_columns=(
        "email",
        "name",
        "avatar",
        "password",
        "subscription",
        "stripe_customer_id",
        "role",
        "created_at",
        "updated_at",
    ),
    hash_columns=(
        "email",
        "name",
        "avatar",
        "subscription",
        "stripe_customer_id",
        "role",
        "is_active",
        "deleted_at",
        "created_at",
        "updated_at",
    ),
    # Never downgrade: a password set or upgraded here (Argon2) stays.
    update_expressions={
        "password": f"CASE WHEN {IMPORTED_OR_UNUSABLE} THEN s.password ELSE t.password END"
    },
)

USERS_SQL = """
SELECT u.id, u.email, u.name, u.avatar, u."passwordHash", u.subscription::text,
       u."stripeCustomerId", u.role::text, u."createdAt" AT TIME ZONE 'UTC',
       u."updatedAt" AT TIME ZONE 'UTC', u."deletedAt" AT TIME ZONE 'UTC', md5(u::text)
FROM users u ORDER BY u."createdAt", u.id
"""
ACTIVITY_SQL = """
SELECT u.id, GREATEST(
         u."updatedAt",
         (SELECT max(r."createdAt") FROM refresh_tokens r WHERE r."userId" = u.id),
         (SELECT max(c."updatedAt") FROM content_assets c WHERE c."userId" = u.id))
FROM users u WHERE u.id = ANY(%s)
"""
ACCOUNTS_SQL = """
SELECT a.id, a."userId", a.provider, a."providerAccountId", md5(a::text)
FROM accounts a ORDER BY a.id
"""


def _password(run: Run, legacy_id: str, legacy_hash: str) -> str:
    if BCRYPT_HASH.match(legacy_hash or ""):
        return f"bcrypt${legacy_hash}"
    if legacy_hash:
        run.report.problem(
            "users",
            legacy_id,
            "unknown_password_hash",
            "the password hash is not a bcrypt hash; imported with an unusable password "
            "(the creator resets it)",
        )
    return make_password(None)


def _pick_accounts(run: Run, rows: list[tuple], records: dict) -> dict[str, str]:
    """``legacy id -> legacy id of the account it becomes`` for the live users sharing an
    email case-insensitively (the case-duplicate rule in this module's docstring)."""
    groups: dict[str, list[tuple]] = {}
    for row in rows:
        email = normalize_email(row[1])
        if row[10] is None and email:
            groups.setdefault(email, []).append(row)
    groups = {email: members for email, members in groups.items() if len(members) > 1}
    if not groups:
        return {}
    ids = [row[0] for members in groups.values() for row in members]
    activity = dict(run.source.fetch_all(ACTIVITY_SQL, [ids]))
    holder_of: dict[str, str] = {}
    for members in groups.values():
        imported = [
            r for r in members if r[0] in records and not records[r[0]][2] and records[r[0]][3]
        ]
        ranked = sorted(
            imported or members, key=lambda r: (activity[r[0]], r[8], r[0]), reverse=True
        )
        for row in members:
            holder_of[row[0]] = ranked[0][0]
    return holder_of


def import_users(run: Run) -> None:
    rows = run.source.fetch_all(USERS_SQL)
    run.report.count("users", "read", len(rows))
    records = existing_records(USERS, [row[0] for row in rows])
    holder_of = _pick_accounts(run, rows, records)
    new_live = [
        normalize_email(row[1])
        for row in rows
        if row[10] is None and row[0] not in records and holder_of.get(row[0], row[0]) == row[0]
    ]
    taken = emails_taken(new_live)
    stripe_holders = dict(
        User.objects.filter(stripe_customer_id__in=[row[6] for row in rows if row[6]]).values_list(
            "stripe_customer_id", "id"
        )
    )
    planned: list[Planned] = []
    soft_deletes: list[tuple[tuple, str]] = []
    losers: list[tuple] = []
    for row in rows:
        legacy_id, email_raw, name, avatar, pw_hash, plan, stripe_id, role = row[:8]
        created, updated, deleted, source_hash = row[8:]
        email = normalize_email(email_raw)
        record = records.get(legacy_id)
        if deleted is None and (not email or len(email) > EMAIL_MAX):
            why = "empty" if not email else f"longer than {EMAIL_MAX} characters"
            run.owners[legacy_id] = Owner(None, "its user has no usable email")
            run.report.count("users", "skipped")
            run.report.problem("users", legacy_id, "invalid_email", f"the email is {why}")
            continue
        if deleted is None and holder_of.get(legacy_id, legacy_id) != legacy_id:
            losers.append(row)
            continue
        if record is not None and record[2]:  # merged into another account by an earlier run
            losers.append(row)
            continue
        owner = Owner(
            uuid.UUID(record[0]) if record else uuid.uuid4(),
            deleted=deleted is not None,
            email="" if deleted else email,
            plan=plan,
        )
        run.owners[legacy_id] = owner
        if record is not None:
            if unchanged_or_conflict(run, USERS, legacy_id, source_hash, record):
                if not record[3]:
                    run.owners[legacy_id] = Owner(None, "its user was deleted in this product")
                continue
            ours_deleted = _is_deleted(owner.user_id)
            if deleted is not None and not ours_deleted:
                soft_deletes.append((row, record[4]))
                continue
            if deleted is None and ours_deleted:
                run.report.count("users", "skipped")
                run.report.conflict(
                    "users",
                    legacy_id,
                    "restored_in_old_app",
                    "restored in the old app after it was imported deleted; restore it here "
                    "from the admin",
                )
                continue
            if deleted is None and email != _current_email(owner.user_id):
                holders = email_owners([email]).get(email, set()) - {str(owner.user_id)}
                if holders:
                    run.report.count("users", "skipped")
                    run.report.conflict(
                        "users",
                        legacy_id,
                        "email_taken",
                        f"its new address {email} belongs to another account here; not updated",
                        email=email,
                    )
                    continue
        elif deleted is None and email in taken:
            run.owners[legacy_id] = Owner(None, f"{email} already has an account in this product")
            run.report.count("users", "skipped")
            run.report.conflict(
                "users",
                legacy_id,
                "email_taken",
                f"{email} already has an account made in this product; that account is kept "
                "untouched",
                email=email,
            )
            continue
        holder = stripe_holders.get(stripe_id) if stripe_id else None
        if holder is not None and holder != owner.user_id:
            run.report.conflict(
                "users",
                legacy_id,
                "stripe_customer_taken",
                f"Stripe customer {stripe_id} already belongs to another account here; the user "
                "is imported without it",
            )
            stripe_id = None
        password = _password(run, legacy_id, pw_hash)
        owner.passwordless = deleted is None and not pw_hash
        user_email = (
            deleted_email_placeholder(user=SimpleNamespace(pk=owner.user_id)) if deleted else email
        )
        planned.append(
            Planned.of(
                legacy_id=legacy_id,
                source_hash=source_hash,
                record=record,
                object_id=owner.user_id,
                values=(
                    user_email,
                    name,
                    avatar,
                    password if deleted is None else make_password(None),
                    plan,
                    stripe_id,
                    role,
                    deleted is None,
                    deleted,
                    created,
                    updated,
                ),
            )
        )
    written = run.write(USERS, planned, after_write=_email_addresses)
    run.tally(USERS, planned, written)
    done = {row.legacy_id for row in written}
    for row in planned:
        if row.legacy_id not in done and not run.dry_run:
            run.owners[row.legacy_id] = Owner(None, "its user could not be imported")
    for row, expected in soft_deletes:
        _soft_delete(run, row, expected)
    _merge_losers(run, losers, holder_of, records)


def _is_deleted(user_id: uuid.UUID) -> bool:
    return User.objects.filter(pk=user_id, deleted_at__isnull=False).exists()


def _current_email(user_id: uuid.UUID) -> str:
    return User.objects.filter(pk=user_id).values_list("email", flat=True).first() or ""


def _email_addresses(cursor, target: Target, written: list[Planned]) -> None:
    """allauth's address of each live user written: verified and primary, so email login and
    password reset work (the old app's sign-up owned the address)."""
    ids = [str(row.object_id) for row in written]
    cursor.execute(
        f"DELETE FROM account_emailaddress e USING {target.stage} s "  # noqa: S608
        "WHERE e.user_id = s.id AND s.id = ANY(%s::uuid[]) AND s.deleted_at IS NULL "
        "AND e.email <> s.email",
        [ids],
    )
    cursor.execute(
        'INSERT INTO account_emailaddress (user_id, email, verified, "primary") '  # noqa: S608
        f"SELECT s.id, s.email, true, true FROM {target.stage} s "
        "WHERE s.id = ANY(%s::uuid[]) AND s.deleted_at IS NULL "
        'ON CONFLICT (user_id, email) DO UPDATE SET verified = true, "primary" = true',
        [ids],
    )


def _soft_delete(run: Run, row: tuple, expected_hash: str) -> None:
    """A user deleted in the old app since it was imported: this product's soft delete (one
    atomic action: placeholder email, tokens, keys, allauth rows), dated as in the old app."""
    legacy_id, deleted_at, updated_at, source_hash = row[0], row[10], row[9], row[11]
    owner = run.owners[legacy_id]
    owner.deleted, owner.email = True, ""
    if run.dry_run:
        run.report.count("users", "updated")
        return
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=owner.user_id)
            user_soft_delete(user=user)
            User.objects.filter(pk=user.pk).update(deleted_at=deleted_at, updated_at=updated_at)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {USERS.target_hash('t')} FROM users t WHERE t.id = %s",  # noqa: S608
                    [user.pk],
                )
                target_hash = cursor.fetchone()[0]
            LegacyRecord.objects.filter(source="users", legacy_id=legacy_id).update(
                source_hash=source_hash, target_hash=target_hash
            )
    except DatabaseError as exc:
        run.report.count("users", "skipped")
        run.report.problem("users", legacy_id, "cannot_store", f"soft delete failed: {exc}")
        return
    run.report.count("users", "updated")


def _merge_losers(run: Run, losers: list[tuple], holder_of: dict, records: dict) -> None:
    merged_records = []
    for row in losers:
        legacy_id, source_hash = row[0], row[11]
        record = records.get(legacy_id)
        holder_id = holder_of.get(legacy_id)
        if record is not None and record[2]:
            account = next(
                (lid for lid, o in run.owners.items() if str(o.user_id) == record[0]), holder_id
            )
        else:
            account = holder_id
        holder = run.owners.get(account) if account else None
        run.report.count("users", "skipped")
        if holder is None or holder.user_id is None:
            run.owners[legacy_id] = Owner(None, "its case-duplicate account was not imported")
            run.report.conflict(
                "users",
                legacy_id,
                "case_duplicate",
                "its email differs only in case from another legacy user's, whose account was "
                "not imported either",
                legacy_ids=sorted({legacy_id, account or legacy_id}),
            )
            continue
        run.owners[legacy_id] = Owner(holder.user_id, merged=True, email=holder.email)
        run.report.conflict(
            "users",
            legacy_id,
            "case_duplicate",
            f"{holder.email} is shared, up to case, with legacy user {account}, whose account "
            "is kept (imported earlier or most recently active); this user's content and "
            "Google sign-in go to that account, its password, plan and subscription do not",
            legacy_ids=sorted([legacy_id, account]),
            kept=account,
            email=holder.email,
        )
        if record is None or record[1] != source_hash:
            merged_records.append((legacy_id, holder.user_id, source_hash))
    if not run.dry_run:
        with transaction.atomic():
            record_merged("users", merged_records)


# --- NextAuth accounts -> allauth social accounts -----------------------------------------------


def import_social_accounts(run: Run) -> None:
    rows = run.source.fetch_all(ACCOUNTS_SQL)
    report = run.report
    report.count("accounts", "read", len(rows))
    mapped = set(
        LegacyRecord.objects.filter(
            source="accounts", legacy_id__in=[r[0] for r in rows]
        ).values_list("legacy_id", flat=True)
    )
    existing = {
        (provider, uid): (user_id, pk)
        for provider, uid, user_id, pk in SocialAccount.objects.filter(
            uid__in=[r[3] for r in rows]
        ).values_list("provider", "uid", "user_id", "pk")
    }
    todo: list[tuple[str, str, SocialAccount]] = []
    link_only: list[tuple[str, str, str]] = []
    linked: set[str] = set()
    for legacy_id, user_legacy_id, provider_raw, uid, source_hash in rows:
        if legacy_id in mapped:
            report.count("accounts", "unchanged")
            linked.add(user_legacy_id)
            continue
        provider = PROVIDERS.get(provider_raw)
        owner = run.owner_of(user_legacy_id)
        reason = None
        if provider is None:
            reason = (
                "provider_not_supported",
                f"sign-in with {provider_raw!r} is not offered here",
            )
        elif owner.user_id is None:
            reason = ("owner_not_imported", f"not imported: {owner.reason}")
        elif owner.deleted:
            reason = ("owner_deleted", "its user is deleted (a deleted user keeps no sign-in)")
        elif len(uid) > SOCIAL_UID_MAX:
            reason = ("cannot_store", f"providerAccountId longer than {SOCIAL_UID_MAX} characters")
        if reason is not None:
            report.count("accounts", "skipped")
            report.problem("accounts", legacy_id, reason[0], reason[1])
            continue
        holder, holder_pk = existing.get((provider, uid), (None, None))
        if holder is not None and holder != owner.user_id:
            report.count("accounts", "skipped")
            report.conflict(
                "accounts",
                legacy_id,
                "social_account_taken",
                f"this {provider} identity already signs in to another account here",
            )
            continue
        linked.add(user_legacy_id)
        if holder is not None:  # linked here already, to the same account
            link_only.append((legacy_id, source_hash, str(holder_pk)))
            report.count("accounts", "unchanged")
            continue
        existing[(provider, uid)] = (owner.user_id, None)
        todo.append(
            (
                legacy_id,
                source_hash,
                SocialAccount(user_id=owner.user_id, provider=provider, uid=uid),
            )
        )
    for legacy_user_id, owner in run.owners.items():
        if owner.passwordless and legacy_user_id not in linked:
            report.problem(
                "users",
                legacy_user_id,
                "no_sign_in_method",
                "no password and no Google account: the creator sets a password with a "
                "password reset",
            )
    if run.dry_run:
        report.count("accounts", "imported", len(todo))
        return
    for start in range(0, len(todo), run.batch_size):
        _write_social_batch(run, todo[start : start + run.batch_size])
    if link_only:
        with transaction.atomic():
            for legacy_id, source_hash, pk in link_only:
                LegacyRecord.objects.get_or_create(
                    source="accounts",
                    legacy_id=legacy_id,
                    defaults={"object_id": pk, "source_hash": source_hash},
                )


def _write_social_batch(run: Run, batch: list[tuple[str, str, SocialAccount]]) -> None:
    try:
        with transaction.atomic():
            SocialAccount.objects.bulk_create([account for _, _, account in batch])
            LegacyRecord.objects.bulk_create(
                [
                    LegacyRecord(
                        source="accounts",
                        legacy_id=legacy_id,
                        object_id=str(account.pk),
                        source_hash=source_hash,
                    )
                    for legacy_id, source_hash, account in batch
                ]
            )
        run.report.count("accounts", "imported", len(batch))
    except DatabaseError as exc:
        if len(batch) == 1:
            run.report.count("accounts", "skipped")
            run.report.problem("accounts", batch[0][0], "cannot_store", f"cannot be stored: {exc}")
            return
        for item in batch:
            item[2].pk = None
            _write_social_batch(run, [item])
