"""Secrets: the start-up loader and the runtime cache (SPEC section 7). The only boto3 importer.

Foundation placeholder with the final interface; issue 6 builds the AWS Secrets Manager side.

- ``load_database_url()`` is called by settings at start-up with ``SECRETS_BACKEND=aws``.
- ``runtime_secret(name)`` returns the current value of a run-time secret (``STRIPE_SECRET_KEY``,
  ``STRIPE_WEBHOOK_SECRET``, ``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_ENDPOINT`` …), or ``""``
  when it is not configured. Callers turn ``""`` into 503 ``service_unavailable``. Never log it.
"""

from __future__ import annotations

from django.conf import settings


def load_database_url() -> str:
    return ""


def runtime_secret(name: str) -> str:
    return str(getattr(settings, name, "") or "")
