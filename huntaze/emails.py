"""The one email normalisation of the product (docs/data-model.md: emails are stored
lower-cased and unique case-insensitively). Every app, command and import goes through it."""

from __future__ import annotations


def normalize_email(email: str | None) -> str:
    """``"  Ann@X.com "`` → ``"ann@x.com"``; None → ``""``."""
    return (email or "").strip().lower()
