"""Who a legacy user is here: their account by legacy id, and case variants held for staff.

After a legacy user's first import, every run finds their account through their
``LegacyRecord`` (the legacy id), never by address again: an address that changes in the old
app, or that another legacy user takes up, cannot lead a run into somebody else's account.

Case variants: the old app's unique index on ``users.email`` is case-sensitive and it never
verified addresses, so ``Ann@x`` and ``ann@x`` are two people for it, and whoever registered
``ANN@X`` may not be Ann. This product has one account per address, case-insensitively. So the
live legacy users sharing an address up to case form a group, and the import gives that
address to at most one of them:

* the one whose account here already has it (imported earlier, found by legacy id), or else
* the one staff chose (``import_legacy --resolve LEGACY_ID``, a ``LegacyResolution``), or else
* nobody: every member not imported yet is held back (not imported, nor are their content,
  Google accounts, subscription, or invites to that address), reported with what each owns.

Members already imported under another address keep it: a change to the shared address is
not applied unless they are the one the address goes to. Nothing is ever merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import transaction

from accounts.models import User
from legacy.models import LegacyRecord, LegacyResolution
from legacy.rules import normalize_email

USERS_SQL = """
SELECT u.id, u.email, u.name, u.avatar, u."passwordHash", u.subscription::text,
       u."stripeCustomerId", u.role::text, u."createdAt" AT TIME ZONE 'UTC',
       u."updatedAt" AT TIME ZONE 'UTC', u."deletedAt" AT TIME ZONE 'UTC', md5(u::text)
FROM users u ORDER BY u."createdAt", u.id
"""
# Activity and belongings of the members of a group, for staff to decide.
MEMBERS_SQL = """
SELECT u.id, GREATEST(
         u."updatedAt",
         (SELECT max(r."createdAt") FROM refresh_tokens r WHERE r."userId" = u.id),
         (SELECT max(c."updatedAt") FROM content_assets c WHERE c."userId" = u.id)
       ) AT TIME ZONE 'UTC',
       (SELECT count(*) FROM content_assets c WHERE c."userId" = u.id),
       (SELECT count(*) FROM accounts a WHERE a."userId" = u.id AND a.provider = 'google'),
       (SELECT count(*) FROM api_keys k WHERE k."userId" = u.id),
       s."stripeSubscriptionId", s.status::text, s.plan::text
FROM users u LEFT JOIN subscription_records s ON s."userId" = u.id
WHERE u.id = ANY(%s)
"""


class LegacyUser(NamedTuple):
    id: str
    email_raw: str
    name: str
    avatar: str | None
    password_hash: str
    plan: str
    stripe_id: str | None
    role: str
    created: datetime
    updated: datetime
    deleted: datetime | None
    source_hash: str

    @property
    def email(self) -> str:
        return normalize_email(self.email_raw)

    @property
    def live(self) -> bool:
        return self.deleted is None


class Account(NamedTuple):
    """A legacy user's account here, as it is now."""

    user_id: str
    email: str
    deleted: bool
    role: str


def fetch_users(source) -> list[LegacyUser]:
    return [LegacyUser(*row) for row in source.fetch_all(USERS_SQL)]


def case_variant_groups(users: Iterable[LegacyUser]) -> dict[str, list[LegacyUser]]:
    """``address -> members`` for every address two or more live legacy users share."""
    groups: dict[str, list[LegacyUser]] = {}
    for user in users:
        if user.live and user.email:
            groups.setdefault(user.email, []).append(user)
    return {email: members for email, members in groups.items() if len(members) > 1}


def accounts_here(records: dict[str, str]) -> dict[str, Account]:
    """``legacy id -> Account`` for ``{legacy id: our user id}``, in one query."""
    by_pk = {
        str(pk): Account(str(pk), email, deleted_at is not None, role)
        for pk, email, deleted_at, role in User.objects.filter(
            pk__in=list(records.values())
        ).values_list("pk", "email", "deleted_at", "role")
    }
    return {lid: by_pk[uid] for lid, uid in records.items() if uid in by_pk}


@dataclass
class Claims:
    """Who may have each shared address from the import, and who is held back."""

    groups: dict[str, list[LegacyUser]]
    owner: dict[str, str | None] = field(default_factory=dict)  # address -> legacy id or None
    resolved: dict[str, str] = field(default_factory=dict)  # address -> staff's choice
    held: set[str] = field(default_factory=set)  # legacy ids held back

    def may_have(self, legacy_id: str, email: str) -> bool:
        """True unless ``email`` is shared and goes to another legacy user (or to nobody)."""
        return email not in self.groups or self.owner.get(email) == legacy_id


def claims(users: Sequence[LegacyUser], here: dict[str, Account], recorded: set[str]) -> Claims:
    """Apply the rule of this module's docstring. ``here`` is every imported legacy user's
    account (``accounts_here``), ``recorded`` every legacy user id an earlier run imported."""
    result = Claims(case_variant_groups(users))
    if not result.groups:
        return result
    result.resolved = dict(
        LegacyResolution.objects.filter(email__in=list(result.groups)).values_list(
            "email", "legacy_id"
        )
    )
    for email, members in result.groups.items():
        ids = {m.id for m in members}
        holder = next(
            (
                m.id
                for m in members
                if m.id in here and not here[m.id].deleted and here[m.id].email == email
            ),
            None,
        )
        chosen = result.resolved.get(email)
        result.owner[email] = holder or (chosen if chosen in ids else None)
        result.held.update(
            m.id for m in members if m.id not in recorded and m.id != result.owner[email]
        )
    return result


def held_back_report(source, result: Claims, owners: dict) -> list[dict]:
    """The report's ``held_back`` section: each address with held members, every member with
    its activity and what it owns in the old app. ``owners`` is ``Run.owners`` once the users
    are written."""
    groups = {
        email: members
        for email, members in result.groups.items()
        if any(m.id in result.held for m in members)
    }
    if not groups:
        return []
    ids = [m.id for members in groups.values() for m in members]
    details = {row[0]: row[1:] for row in source.fetch_all(MEMBERS_SQL, [ids])}
    entries = []
    for email, members in sorted(groups.items()):
        owner = result.owner.get(email)
        rendered = []
        for m in sorted(members, key=lambda m: m.id):
            last_active, content, google, keys, stripe_sub, status, plan = details[m.id]
            account = owners.get(m.id)
            if account is not None and account.user_id is not None:
                state = f"imported (account {account.user_id}, address {account.email})"
            elif m.id in result.held:
                state = "held back"
            else:
                state = f"not imported: {account.reason if account else 'see its conflicts'}"
            rendered.append(
                {
                    "legacy_id": m.id,
                    "email": m.email_raw,
                    "name": m.name,
                    "status": state,
                    "created_at": _iso(m.created),
                    "updated_at": _iso(m.updated),
                    "last_active_at": _iso(last_active),
                    "plan": m.plan,
                    "role": m.role,
                    "owns": {
                        "content_assets": content,
                        "google_accounts": google,
                        "api_keys": keys,
                        "subscription": (
                            {"stripe_subscription_id": stripe_sub, "status": status, "plan": plan}
                            if status
                            else None
                        ),
                    },
                }
            )
        entries.append(
            {
                "email": email,
                "legacy_ids": sorted(m.id for m in members),
                "resolved_to": owner,
                "members": rendered,
            }
        )
    return entries


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# --- staff's resolutions ------------------------------------------------------------------------


class ResolutionRefused(Exception):
    """``--resolve`` / ``--unresolve`` cannot do what was asked; the message is one line."""


def _imported(legacy_ids: Iterable[str]) -> dict[str, Account]:
    records = dict(
        LegacyRecord.objects.filter(source="users", legacy_id__in=list(legacy_ids)).values_list(
            "legacy_id", "object_id"
        )
    )
    return accounts_here(records)


@transaction.atomic
def resolution_record(*, users: Sequence[LegacyUser], legacy_id: str) -> str:
    """Record that legacy user ``legacy_id`` owns its address (replacing an earlier choice for
    that address); return what happens next, in one line. ``users`` is the source's."""
    user = next((u for u in users if u.id == legacy_id), None)
    if user is None:
        raise ResolutionRefused(f"no legacy user {legacy_id} in the old database")
    if not user.live:
        raise ResolutionRefused(f"legacy user {legacy_id} is deleted in the old app")
    members = case_variant_groups(users).get(user.email)
    if not members:
        raise ResolutionRefused(
            f"legacy user {legacy_id} is not held back: no other live legacy user shares "
            "its address up to case"
        )
    here = _imported(m.id for m in members)
    holder = next((m.id for m in members if m.id in here and here[m.id].email == user.email), None)
    if holder == legacy_id:
        raise ResolutionRefused(
            f"legacy user {legacy_id} already has {user.email} here (account "
            f"{here[legacy_id].user_id}): nothing to resolve"
        )
    if holder is not None:
        raise ResolutionRefused(
            f"{user.email} belongs here to legacy user {holder}'s account "
            f"({here[holder].user_id}); the import never moves an address, or anything else, "
            "from one account to another"
        )
    LegacyResolution.objects.filter(email=user.email).exclude(legacy_id=legacy_id).delete()
    LegacyResolution.objects.filter(legacy_id=legacy_id).exclude(email=user.email).delete()
    LegacyResolution.objects.update_or_create(legacy_id=legacy_id, defaults={"email": user.email})
    others = ", ".join(sorted(m.id for m in members if m.id != legacy_id))
    what = (
        "its account here takes the address at the next run"
        if legacy_id in here
        else "it is imported at the next run"
    )
    return f"{user.email} is resolved to legacy user {legacy_id}: {what}; {others} stay out"


@transaction.atomic
def resolution_withdraw(*, legacy_id: str) -> str:
    """Withdraw staff's choice of ``legacy_id`` before it took effect; return one line."""
    resolution = LegacyResolution.objects.select_for_update().filter(legacy_id=legacy_id).first()
    if resolution is None:
        raise ResolutionRefused(f"no resolution names legacy user {legacy_id}")
    account = _imported([legacy_id]).get(legacy_id)
    if account is not None and account.email == resolution.email:
        raise ResolutionRefused(
            f"legacy user {legacy_id} was imported with {resolution.email} (account "
            f"{account.user_id}): from now on it is found by its legacy id, so the choice "
            "can no longer be withdrawn"
        )
    resolution.delete()
    return (
        f"resolution of {resolution.email} to legacy user {legacy_id} withdrawn: its case "
        "variants are held back again at the next run"
    )
