"""Plain factory functions for tests (exposed as fixtures by tests/conftest.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services.tokens import access_token_issue
from content.models import ContentAsset
from invites.models import BetaInvite
from invites.services import invite_code_generate

DEFAULT_PASSWORD = "Corr3ct-Horse-Battery"
_seq = itertools.count(1)


def make_user(
    *, email: str | None = None, password: str = DEFAULT_PASSWORD, role: str = Role.CREATOR, **extra
) -> User:
    email = email or f"creator{next(_seq)}@example.test"
    extra.setdefault("name", email.split("@")[0])
    return User.objects.create_user(email=email, password=password, role=role, **extra)


def make_admin(**kwargs) -> User:
    kwargs.setdefault("email", f"admin{next(_seq)}@example.test")
    return make_user(role=Role.ADMIN, **kwargs)


def make_invite(
    *,
    email: str | None = None,
    code: str | None = None,
    expires_in: timedelta = timedelta(days=30),
    **extra,
) -> BetaInvite:
    return BetaInvite.objects.create(
        email=email or f"invitee{next(_seq)}@example.test",
        code=code or invite_code_generate(),
        expires_at=timezone.now() + expires_in,
        **extra,
    )


def make_asset(*, user: User, **extra) -> ContentAsset:
    n = next(_seq)
    extra.setdefault("title", f"Asset {n}")
    extra.setdefault("content", f"Content body {n}")
    extra.setdefault("type", "POST")
    return ContentAsset.objects.create(user=user, **extra)


def auth_client(user: User) -> APIClient:
    """An APIClient that sends ``Authorization: Bearer <access token>`` for ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=user)}")
    return client


# --- users / API keys -------------------------------------------------------------------------


def make_api_key(
    *, user: User, permissions=("profile:read",), name: str = "script", **extra
) -> tuple:
    """``(ApiKey, plain key)`` created through the service, as POST /api/keys does."""
    from accounts.services.keys import api_key_create

    return api_key_create(user=user, name=name, permissions=list(permissions), **extra)


def api_key_client(raw_key: str) -> APIClient:
    """An APIClient sending ``Api-Key <raw_key>`` (a key the test already has)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def scoped_key_client(user: User, permissions) -> APIClient:
    """An APIClient sending ``Api-Key <key>`` for a new key of ``user`` with ``permissions``."""
    _key, raw = make_api_key(user=user, permissions=permissions)
    return api_key_client(raw)


def make_refresh_token(*, user: User, expires_in: timedelta = timedelta(days=30), **extra):
    """A refresh-token row (the plain token is not needed by tests that only revoke/purge)."""
    import hashlib
    import secrets
    import uuid

    from accounts.models import RefreshToken

    return RefreshToken.objects.create(
        user=user,
        token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        family=extra.pop("family", uuid.uuid4()),
        expires_at=timezone.now() + expires_in,
        **extra,
    )
