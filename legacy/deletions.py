"""Deletions in the old app, carried over by a delta run (docs/migration.md, "What a delta run
deletes").

A legacy row an earlier run imported and that is gone from the old database now:

| legacy table | our row | done here |
|---|---|---|
| ``content_assets`` | the asset | deleted (``content_asset_delete``) |
| ``accounts`` | the Google sign-in | unlinked (the social account is deleted) |
| ``beta_invites`` | a pending invite | revoked (``invite_revoke_many``); a used one stays |
| ``users`` (row removed; ``deletedAt`` is ``legacy.users``) | the account | soft-deleted (``user_soft_delete``) |
| ``subscription_records`` | the record | kept: Stripe's events own it here |

…unless our row changed here since the last run (its ``target_hash``): then it is kept and
reported (``deletion_not_applied``) at every run. Our row is locked and re-checked in the
transaction that deletes it, so a change made while the import runs is not lost either. Once
carried over (or settled for good), the record is marked ``GONE`` and later runs say nothing.
A dry run reports the same, writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.socialaccount.models import SocialAccount
from django.db import connection, transaction

from accounts.models import User
from content.models import ContentAsset
from content.services import content_asset_delete
from invites.models import BetaInvite
from invites.services import invite_revoke_many
from legacy.run import Run
from legacy.social import SOCIAL
from legacy.tables import CONTENT, INVITES, SUBSCRIPTIONS
from legacy.users import USERS, soft_delete_untouched
from legacy.writer import Record, Target, existing_records, mark_gone, recorded_ids

# Apply the deletion to our rows (locked, untouched since the last run); return the ids done.
Apply = Callable[[list[str]], list[str]]
# Rows that are settled without a deletion: ``legacy id -> reason`` ("" settles quietly).
Settle = Callable[[dict[str, Record]], dict[str, str]]


def _delete_content(ids: list[str]) -> list[str]:
    for asset in ContentAsset.objects.filter(pk__in=ids):
        content_asset_delete(asset=asset)
    return ids


def _unlink(ids: list[str]) -> list[str]:
    SocialAccount.objects.filter(pk__in=[int(pk) for pk in ids]).delete()
    return ids


def _revoke(ids: list[str]) -> list[str]:
    invite_revoke_many(invites=BetaInvite.objects.filter(pk__in=ids))
    return ids


def _soft_delete(ids: list[str]) -> list[str]:
    return soft_delete_untouched(user_ids=ids)


def _settle_invites(records: dict[str, Record]) -> dict[str, str]:
    """A used invite stays (it records a sign-up); a revoked one has nothing left to do."""
    ids = {r.object_id: lid for lid, r in records.items()}
    settled = {}
    for pk, used_at, revoked_at in BetaInvite.objects.filter(pk__in=list(ids)).values_list(
        "pk", "used_at", "revoked_at"
    ):
        if used_at is not None:
            settled[ids[str(pk)]] = (
                "deleted in the old app after it was used: it stays, as the record of that sign-up"
            )
        elif revoked_at is not None:
            settled[ids[str(pk)]] = ""
    return settled


def _settle_users(records: dict[str, Record]) -> dict[str, str]:
    """An account already soft-deleted here has nothing left to do."""
    deleted = set(
        str(pk)
        for pk in User.objects.filter(
            pk__in=[r.object_id for r in records.values()], deleted_at__isnull=False
        ).values_list("pk", flat=True)
    )
    return {lid: "" for lid, r in records.items() if r.object_id in deleted}


def _keep_subscriptions(records: dict[str, Record]) -> dict[str, str]:
    return {
        lid: "deleted in the old app: kept, Stripe's events decide what happens to a "
        "subscription here"
        for lid in records
    }


# (target, action reported, apply, settle): in the order a run carries them.
POLICIES: dict[str, tuple[Target, str, Apply | None, Settle | None]] = {
    "users": (USERS, "soft_deleted", _soft_delete, _settle_users),
    "accounts": (SOCIAL, "unlinked", _unlink, None),
    "subscription_records": (SUBSCRIPTIONS, "", None, _keep_subscriptions),
    "content_assets": (CONTENT, "deleted", _delete_content, None),
    "beta_invites": (INVITES, "revoked", _revoke, _settle_invites),
}


def carry_deletions(run: Run, table: str, seen: set[str]) -> None:
    """Carry over the deletion of every row of ``table`` imported earlier and missing from
    ``seen`` (the legacy ids the source holds now)."""
    target, action, apply, settle = POLICIES[table]
    missing = recorded_ids(target.source) - seen
    if not missing:
        return
    records = existing_records(target, missing)
    live = {lid: r for lid, r in records.items() if r.exists}
    quiet = sorted(lid for lid, r in records.items() if not r.exists)  # deleted here already
    settled = settle(live) if settle else {}
    for lid, reason in sorted(settled.items()):
        if reason:
            run.report.conflict(table, lid, "deletion_not_applied", reason)
    todo = []
    for lid, record in sorted(live.items()):
        if lid in settled:
            continue
        if not record.untouched:
            _kept(run, table, lid, "changed in this product since the last import")
            continue
        todo.append(lid)
    if run.dry_run:
        for lid in todo:
            run.report.deleted(table, lid, action, live[lid].object_id)
        return
    done_quietly = quiet + sorted(settled)
    for start in range(0, max(len(todo), 1), run.batch_size):
        batch = todo[start : start + run.batch_size]
        with transaction.atomic():
            locked = _lock_untouched(target, batch)
            done = set(apply(list(locked))) if locked and apply else set()
            applied = sorted(locked[pk] for pk in done)
            mark_gone(target.source, applied + done_quietly)
        done_quietly = []
        for lid in applied:
            run.report.deleted(table, lid, action, live[lid].object_id)
        for lid in sorted(set(batch) - set(applied)):
            _kept(run, table, lid, "changed in this product while the import ran")


def _kept(run: Run, table: str, legacy_id: str, why: str) -> None:
    run.report.conflict(
        table,
        legacy_id,
        "deletion_not_applied",
        f"deleted in the old app, but {why}: this product's row is kept (delete it here if "
        "it should go)",
    )


def _lock_untouched(target: Target, legacy_ids: list[str]) -> dict[str, str]:
    """``our id -> legacy id`` of the rows of ``legacy_ids`` untouched since the last run,
    locked until the end of the transaction."""
    if not legacy_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id::text, m.legacy_id FROM legacy_records m JOIN {target.table} t "  # noqa: S608
            f"ON t.id = m.object_id::{target.id_type} "
            f"WHERE m.source = %s AND m.legacy_id = ANY(%s) "
            f"AND {target.target_hash('t')} = m.target_hash FOR UPDATE OF t",
            [target.source, legacy_ids],
        )
        return dict(cursor.fetchall())
