from __future__ import annotations

import secrets

from rest_framework.test import APIClient

from accounts.authentication import hash_secret
from accounts.models import ApiKey, User


def api_key_client(user: User, scopes: list[str]) -> APIClient:
    """An APIClient sending ``Authorization: Api-Key <key>`` for a key with ``scopes``."""
    prefix = secrets.token_hex(4)
    plain = f"hz_{prefix}_{secrets.token_urlsafe(24)}"
    ApiKey.objects.create(
        user=user, name="test", prefix=prefix, key_hash=hash_secret(plain), permissions=scopes
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return client
