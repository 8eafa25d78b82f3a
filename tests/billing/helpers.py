from __future__ import annotations

from tests.factories import scoped_key_client as api_key_client

__all__ = ["api_key_client"]
