"""allauth's MFA adapter (``MFA_ADAPTER``): TOTP secrets and recovery-code seeds encrypted at
rest, so a copy of the database (a backup, a dump) does not hand out every second factor.

allauth stores them through ``encrypt()`` / ``decrypt()``, which it leaves as the identity.
Here they are Fernet tokens (AES-128-CBC + HMAC-SHA-256, ``cryptography``) under a key derived
from ``MFA_ENCRYPTION_KEYS`` (the first encrypts, every one decrypts: rotate by putting a new key
first and keeping the old one until the users have re-enrolled), or ``DJANGO_SECRET_KEY`` when
that is unset. Losing the key locks two-factor users out (``manage.py mfa_disable``).
"""

from __future__ import annotations

import base64
import hashlib

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(b"huntaze.mfa.v1:" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _cipher() -> MultiFernet:
    keys = [key for key in settings.MFA_ENCRYPTION_KEYS if key] or [settings.SECRET_KEY]
    return MultiFernet([_fernet(key) for key in keys])


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return _cipher().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return _cipher().decrypt(encrypted_text.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                "A two-factor secret cannot be decrypted: MFA_ENCRYPTION_KEYS (or "
                "DJANGO_SECRET_KEY) changed without keeping the old key (docs/auth.md)."
            ) from None
