"""Legacy users (docs/migration.md, "Users").

* A legacy user imported once is found by its legacy id from then on (``legacy.identity``):
  name, avatar, plan, dates and password (while still an imported one) follow the old app.
  A new address follows only when it is free here and not shared, up to case, with another
  live legacy user (unless staff gave it to this one); otherwise the row is not updated,
  reported (``email_change_not_applied``), and the report repeats it at every run.
* Case variants with nobody owning their address are held back (``legacy.identity``).
* An address that already belongs to an account made in this product is left to that
  account: the legacy user is not imported (reported, with the address).
* Soft-deleted legacy users arrive soft-deleted under this product's rule: the email is a
  placeholder derived from the new user id, the password unusable, no allauth address or
  social account (so they cannot sign in and their address is free). A user deleted in the old
  app after its import is soft-deleted here with ``user_soft_delete``, unless our row changed
  since the last run (kept, reported).
* Staff rights are never granted by a run: every account is imported as a creator, the role
  is never updated, and a legacy ADMIN (first import, promotion or demotion) is reported
  (``role_change_not_applied``) for staff to settle in the admin.
* Passwords: a bcryptjs hash is kept as ``bcrypt$<hash>`` (``legacy.hashers``); an empty one
  (a Google-only user) becomes an unusable password; anything else too, reported. A re-run
  replaces our password only while it is still an imported or unusable one: once a creator
  has signed in here (an Argon2 hash) it is never downgraded.
"""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction

from accounts.models import Role, User
from accounts.services.users import user_soft_delete
from legacy.identity import (
    Account,
    Claims,
    LegacyUser,
    accounts_here,
    claims,
    fetch_users,
    held_back_report,
)
from legacy.models import LegacyRecord
from legacy.rules import deleted_email_placeholder, email_owners, emails_taken
from legacy.run import OWNER_HELD, Owner, Run
from legacy.writer import Planned, Record, Target, existing_records

EMAIL_MAX = 254
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
    # ``role`` is written once, as CREATOR, and never updated: staff rights are staff's.
    update_columns=(
        "email",
        "name",
        "avatar",
        "password",
        "subscription",
        "stripe_customer_id",
        "created_at",
        "updated_at",
    ),
    hash_columns=(
        "email",
        "name",
        "avatar",
        "subscription",
        "stripe_customer_id",
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


class _Plan:
    """The users of one run: what to write, and what to soft-delete after."""

    def __init__(self, run: Run, users: list[LegacyUser]):
        self.run = run
        self.records = existing_records(USERS, [u.id for u in users])
        self.here = accounts_here({lid: r.object_id for lid, r in self.records.items() if r.exists})
        self.claims: Claims = claims(users, self.here, set(self.records))
        self.taken = emails_taken(
            u.email
            for u in users
            if u.live and u.id not in self.records and u.id not in self.claims.held
        )
        # Holders of the new addresses of imported users, to tell a free address from a taken one.
        self.holders = email_owners(
            u.email
            for u in users
            if u.live and u.id in self.here and u.email != self.here[u.id].email
        )
        self.stripe_holders = dict(
            User.objects.filter(
                stripe_customer_id__in=[u.stripe_id for u in users if u.stripe_id]
            ).values_list("stripe_customer_id", "id")
        )
        self.planned: list[Planned] = []
        self.soft_deletes: list[tuple[LegacyUser, Record]] = []

    # --- already imported: found by legacy id -------------------------------------------------

    def known(self, user: LegacyUser, record: Record) -> None:
        run = self.run
        account = self.here.get(user.id)
        if account is None:
            run.owners[user.id] = Owner(None, "its account was deleted in this product")
            run.skip(
                "users",
                user.id,
                "deleted_here",
                "deleted in this product after an earlier import; not re-created",
            )
            return
        owner = Owner(
            uuid.UUID(account.user_id),
            deleted=account.deleted,
            email="" if account.deleted else account.email,
            plan=user.plan,
        )
        run.owners[user.id] = owner
        if record.source_hash == user.source_hash:
            run.report.count("users", "unchanged")
            return
        if not account.deleted:
            self._report_role(user, account.role)
        if not user.live and not account.deleted:
            if record.untouched:
                self.soft_deletes.append((user, record))
            else:
                run.skip_conflict(
                    "users",
                    user.id,
                    "deletion_not_applied",
                    "deleted in the old app, but changed in this product since the last "
                    "import: the account is kept; soft-delete it in the admin if it should go",
                )
            return
        if not record.untouched:
            run.skip_conflict(
                "users",
                user.id,
                "changed_on_both_sides",
                "changed in the old app and in this product since the last import; "
                "this product's version is kept",
            )
            return
        if user.live and account.deleted:
            run.skip_conflict(
                "users",
                user.id,
                "restored_in_old_app",
                "restored in the old app after it was imported deleted; restore it here "
                "from the admin",
            )
            return
        if user.live and (not user.email or len(user.email) > EMAIL_MAX):
            run.skip("users", user.id, "invalid_email", "the new email is empty or too long")
            return
        if user.live and user.email != account.email and not self._address_free(user, account):
            return
        if user.live:
            owner.email = user.email
        self._plan(user, record, owner)

    def _address_free(self, user: LegacyUser, account: Account) -> bool:
        why = None
        if not self.claims.may_have(user.id, user.email):
            others = sorted(m.id for m in self.claims.groups[user.email] if m.id != user.id)
            why = (
                f"is shared, up to case, with legacy user(s) {', '.join(others)}, and staff "
                "did not give it to this one"
            )
        elif self.holders.get(user.email, set()) - {account.user_id}:
            why = "belongs to another account here"
        if why is None:
            return True
        self.run.skip_conflict(
            "users",
            user.id,
            "email_change_not_applied",
            f"its new address {user.email} {why}; the account keeps {account.email} and is "
            "not updated (reported at every run until settled)",
            email=user.email,
            email_here=account.email,
        )
        return False

    # --- never imported -----------------------------------------------------------------------

    def new(self, user: LegacyUser) -> None:
        run = self.run
        if user.live and (not user.email or len(user.email) > EMAIL_MAX):
            why = "empty" if not user.email else f"longer than {EMAIL_MAX} characters"
            run.owners[user.id] = Owner(None, "its user has no usable email")
            run.skip("users", user.id, "invalid_email", f"the email is {why}")
            return
        if user.id in self.claims.held:
            members = self.claims.groups[user.email]
            run.owners[user.id] = Owner(
                None,
                f"held back: its address {user.email} is shared up to case with another "
                "legacy user, until staff resolve it",
                kind=OWNER_HELD,
            )
            run.skip_conflict(
                "users",
                user.id,
                "case_variant_held",
                f"{user.email} is shared, up to case, with another live legacy user: two "
                "people for the old app, one account here. Held back with its content, Google "
                "accounts, subscription and invites (see held_back); staff resolve it with "
                "import_legacy --resolve LEGACY_ID",
                legacy_ids=sorted(m.id for m in members),
                email=user.email,
                resolved_to=self.claims.owner.get(user.email),
            )
            return
        if user.live and user.email in self.taken:
            run.owners[user.id] = Owner(
                None, f"{user.email} already has an account in this product"
            )
            run.skip_conflict(
                "users",
                user.id,
                "email_taken",
                f"{user.email} already has an account made in this product; that account is "
                "kept untouched",
                email=user.email,
            )
            return
        owner = Owner(
            uuid.uuid4(),
            deleted=not user.live,
            email=user.email if user.live else "",
            plan=user.plan,
        )
        run.owners[user.id] = owner
        self._report_role(user, Role.CREATOR)
        self._plan(user, None, owner)

    # --- both ---------------------------------------------------------------------------------

    def _report_role(self, user: LegacyUser, role_here: str) -> None:
        if not user.live or user.role == role_here:
            return
        promotion = user.role == Role.ADMIN
        self.run.report.conflict(
            "users",
            user.id,
            "role_change_not_applied",
            (
                "ADMIN in the old app: an import never grants staff rights; grant them in the "
                "admin (user, role) if this person should have them"
                if promotion
                else "no longer ADMIN in the old app, still staff here: remove the staff role "
                "in the admin if this person should lose it"
            ),
            legacy_role=user.role,
            role_here=role_here,
        )

    def _plan(self, user: LegacyUser, record: Record | None, owner: Owner) -> None:
        run = self.run
        stripe_id = user.stripe_id
        holder = self.stripe_holders.get(stripe_id) if stripe_id else None
        if holder is not None and holder != owner.user_id:
            run.report.conflict(
                "users",
                user.id,
                "stripe_customer_taken",
                f"Stripe customer {stripe_id} already belongs to another account here; the user "
                "is imported without it",
            )
            stripe_id = None
        password = _password(run, user.id, user.password_hash)
        owner.passwordless = user.live and not user.password_hash
        email = (
            user.email
            if user.live
            else deleted_email_placeholder(user=SimpleNamespace(pk=owner.user_id))
        )
        self.planned.append(
            Planned.of(
                legacy_id=user.id,
                source_hash=user.source_hash,
                record=record,
                object_id=owner.user_id,
                values=(
                    email,
                    user.name,
                    user.avatar,
                    password if user.live else make_password(None),
                    user.plan,
                    stripe_id,
                    Role.CREATOR,
                    user.live,
                    user.deleted,
                    user.created,
                    user.updated,
                ),
            )
        )


def import_users(run: Run) -> set[str]:
    """Plan and write every legacy user; return the legacy ids read (for deletions)."""
    users = fetch_users(run.source)
    run.report.count("users", "read", len(users))
    plan = _Plan(run, users)
    for user in users:
        record = plan.records.get(user.id)
        if record is not None:
            plan.known(user, record)
        else:
            plan.new(user)
    run.held_emails = {email for email, owner in plan.claims.owner.items() if owner is None}
    written = run.write(USERS, plan.planned, after_write=_email_addresses)
    run.tally(USERS, plan.planned, written)
    done = {row.legacy_id for row in written}
    for row in plan.planned:
        if row.legacy_id not in done and not run.dry_run and row.op == "insert":
            run.owners[row.legacy_id] = Owner(None, "its user could not be imported")
    for user, record in plan.soft_deletes:
        _soft_delete(run, user, record)
    run.report.held_back = held_back_report(run.source, plan.claims, run.owners)
    return {user.id for user in users}


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


def _soft_delete(run: Run, user: LegacyUser, record: Record) -> None:
    """A user deleted in the old app since it was imported: this product's soft delete (one
    atomic action: placeholder email, tokens, keys, allauth rows), dated as in the old app,
    unless our row changed meanwhile."""
    owner = run.owners[user.id]
    owner.deleted, owner.email = True, ""
    if run.dry_run:
        run.report.count("users", "updated")
        run.report.deleted("users", user.id, "soft_deleted", str(owner.user_id), count=False)
        return
    try:
        with transaction.atomic():
            if not soft_delete_untouched(
                user_ids=[str(owner.user_id)], dates=(user.deleted, user.updated)
            ):
                run.skip_conflict(
                    "users",
                    user.id,
                    "deletion_not_applied",
                    "deleted in the old app, but changed here while the import ran: kept",
                )
                return
            _rehash(user.id, str(owner.user_id), user.source_hash)
    except DatabaseError as exc:
        run.skip("users", user.id, "cannot_store", f"soft delete failed: {exc}")
        return
    run.report.count("users", "updated")
    run.report.deleted("users", user.id, "soft_deleted", str(owner.user_id), count=False)


def soft_delete_untouched(*, user_ids: list[str], dates: tuple | None = None) -> list[str]:
    """Soft-delete (``user_soft_delete``) those of ``user_ids`` whose imported columns are as
    the import left them, locking them first; ``dates`` = the old app's ``(deletedAt,
    updatedAt)`` when known. Returns the ids deleted. Call inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM users t JOIN legacy_records m "  # noqa: S608
            "ON m.source = 'users' AND m.object_id = t.id::text "
            f"WHERE t.id = ANY(%s::uuid[]) AND {USERS.target_hash('t')} = m.target_hash "
            "FOR UPDATE OF t",
            [user_ids],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for user in User.objects.filter(pk__in=ids):
        user_soft_delete(user=user)
        if dates is not None:
            User.objects.filter(pk=user.pk).update(deleted_at=dates[0], updated_at=dates[1])
    return [str(pk) for pk in ids]


def _rehash(legacy_id: str, user_id: str, source_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {USERS.target_hash('t')} FROM users t WHERE t.id = %s",  # noqa: S608
            [user_id],
        )
        target_hash = cursor.fetchone()[0]
    LegacyRecord.objects.filter(source="users", legacy_id=legacy_id).update(
        source_hash=source_hash, target_hash=target_hash
    )
