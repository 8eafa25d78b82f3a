"""NextAuth accounts → allauth social accounts (docs/migration.md, "Google sign-ins").

A Google account is linked to the account its legacy user has here, once; later runs only
check it is still there and still belongs to that account (a NextAuth row changes at every
sign-in, with its tokens, which mean nothing here). One unlinked in the old app is unlinked
here (``legacy.deletions``).
"""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.db import DatabaseError, connection, transaction

from legacy.models import LegacyRecord
from legacy.run import Run, owner_moved
from legacy.writer import Target, existing_records

SOCIAL_UID_MAX = 191
# The providers this product offers (settings.SOCIALACCOUNT_PROVIDERS), by NextAuth's name.
PROVIDERS = {"google": "google"}

SOCIAL = Target(
    source="accounts",
    table="socialaccount_socialaccount",
    columns=("id", "user_id", "provider", "uid"),
    owner_column="user_id",
    id_type="integer",
)

ACCOUNTS_SQL = """
SELECT a.id, a."userId", a.provider, a."providerAccountId", md5(a::text)
FROM accounts a ORDER BY a.id
"""


def import_social_accounts(run: Run) -> set[str]:
    """Link every legacy Google account; return the legacy ids read (for deletions)."""
    rows = run.source.fetch_all(ACCOUNTS_SQL)
    report = run.report
    report.count("accounts", "read", len(rows))
    records = existing_records(SOCIAL, [r[0] for r in rows])
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
        owner = run.owner_of(user_legacy_id)
        record = records.get(legacy_id)
        if record is not None:
            if record.exists and owner_moved(run, SOCIAL, legacy_id, record, owner):
                continue
            if record.exists:
                linked.add(user_legacy_id)
            report.count("accounts", "unchanged")
            continue
        provider = PROVIDERS.get(provider_raw)
        reason = None
        if provider is None:
            reason = (
                "provider_not_supported",
                f"sign-in with {provider_raw!r} is not offered here",
            )
        elif owner.user_id is None:
            reason = (owner.kind, f"legacy user {user_legacy_id} is not imported: {owner.reason}")
        elif owner.deleted:
            reason = ("owner_deleted", "its user is deleted (a deleted user keeps no sign-in)")
        elif len(uid) > SOCIAL_UID_MAX:
            reason = ("cannot_store", f"providerAccountId longer than {SOCIAL_UID_MAX} characters")
        if reason is not None:
            run.skip("accounts", legacy_id, *reason)
            continue
        holder, holder_pk = existing.get((provider, uid), (None, None))
        if holder is not None and holder != owner.user_id:
            run.skip_conflict(
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
    if not run.dry_run:
        for start in range(0, len(todo), run.batch_size):
            _write_social_batch(run, todo[start : start + run.batch_size])
        if link_only:
            with transaction.atomic():
                _record(link_only)
    else:
        report.count("accounts", "imported", len(todo))
    return {row[0] for row in rows}


def _record(links: list[tuple[str, str, str]]) -> None:
    """The bookkeeping of linked social accounts, with their target hash."""
    for legacy_id, source_hash, pk in links:
        LegacyRecord.objects.get_or_create(
            source="accounts",
            legacy_id=legacy_id,
            defaults={"object_id": pk, "source_hash": source_hash},
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE legacy_records m SET target_hash = {SOCIAL.target_hash('t')} "  # noqa: S608
            "FROM socialaccount_socialaccount t WHERE m.source = 'accounts' "
            "AND m.legacy_id = ANY(%s) AND t.id = m.object_id::integer",
            [[legacy_id for legacy_id, _, _ in links]],
        )


def _write_social_batch(run: Run, batch: list[tuple[str, str, SocialAccount]]) -> None:
    try:
        with transaction.atomic():
            SocialAccount.objects.bulk_create([account for _, _, account in batch])
            _record([(legacy_id, h, str(account.pk)) for legacy_id, h, account in batch])
        run.report.count("accounts", "imported", len(batch))
    except DatabaseError as exc:
        if len(batch) == 1:
            run.skip("accounts", batch[0][0], "cannot_store", f"cannot be stored: {exc}")
            return
        for item in batch:
            item[2].pk = None
            _write_social_batch(run, [item])
