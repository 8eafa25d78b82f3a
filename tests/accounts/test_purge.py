"""manage.py purge_deleted_users --days N and purge_expired_tokens (docs/api.md, Operations)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiKey, RefreshToken, User
from accounts.services.users import user_soft_delete
from billing.models import SubscriptionRecord
from content.models import ContentAsset
from invites.models import BetaInvite
from tests.factories import make_refresh_token

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _deleted_days_ago(user, days):
    user_soft_delete(user=user)
    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now() - timedelta(days=days))


def test_purge_deleted_users_removes_old_ones_with_their_data(
    make_user, make_asset, make_api_key, make_invite
):
    old = make_user()
    recent = make_user()
    alive = make_user()
    for u in (old, recent, alive):
        make_asset(user=u)
        make_api_key(user=u)
        make_refresh_token(user=u)
        SubscriptionRecord.objects.create(user=u)
    invite = make_invite(email="x@example.test", used_by=old, used_at=timezone.now())
    _deleted_days_ago(old, 31)
    _deleted_days_ago(recent, 5)

    assert "would purge 1 " in _run("purge_deleted_users", "--days", "30", "--dry-run")
    assert User.objects.filter(pk=old.pk).exists()

    assert "purged 1 " in _run("purge_deleted_users", "--days", "30")
    assert not User.objects.filter(pk=old.pk).exists()
    for model in (ContentAsset, ApiKey, RefreshToken, SubscriptionRecord):
        assert not model.objects.filter(user_id=old.pk).exists(), model
        assert model.objects.filter(user_id=recent.pk).exists(), model
        assert model.objects.filter(user_id=alive.pk).exists(), model
    # The invite stays (the beta funnel), without its link to the purged user.
    invite.refresh_from_db()
    assert invite.used_by_id is None and invite.used_at is not None
    assert User.objects.filter(pk=recent.pk).exists() and User.objects.filter(pk=alive.pk).exists()


def test_purge_deleted_users_days_zero_purges_every_deleted_user(make_user):
    deleted, alive = make_user(), make_user()
    _deleted_days_ago(deleted, 0)
    assert "purged 1 " in _run("purge_deleted_users", "--days", "0")
    assert list(User.objects.values_list("pk", flat=True)) == [alive.pk]


def test_purge_deleted_users_needs_days():
    with pytest.raises(CommandError):
        call_command("purge_deleted_users")
    with pytest.raises(CommandError):
        call_command("purge_deleted_users", "--days", "-1")


def test_purge_expired_tokens_deletes_expired_and_keeps_live_spent_and_revoked(user):
    now = timezone.now()
    expired = make_refresh_token(user=user, expires_in=timedelta(days=-1))
    expired_long_ago = make_refresh_token(user=user, expires_in=timedelta(days=-10))
    live = make_refresh_token(user=user)
    spent = make_refresh_token(user=user, used_at=now)
    revoked = make_refresh_token(user=user, revoked_at=now)

    assert "purged 1 " in _run("purge_expired_tokens", "--days", "5")
    assert set(RefreshToken.objects.values_list("pk", flat=True)) == {
        expired.pk,
        live.pk,
        spent.pk,
        revoked.pk,
    }
    assert expired_long_ago.pk not in set(RefreshToken.objects.values_list("pk", flat=True))

    assert "would purge 1 " in _run("purge_expired_tokens", "--dry-run")
    assert "purged 1 " in _run("purge_expired_tokens")
    assert set(RefreshToken.objects.values_list("pk", flat=True)) == {
        live.pk,
        spent.pk,
        revoked.pk,
    }
    assert "purged 0 " in _run("purge_expired_tokens")


def test_purge_does_not_touch_invites(make_invite):
    make_invite()
    _run("purge_expired_tokens")
    assert BetaInvite.objects.count() == 1
