from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def api_key_client(db):
    """``api_key_client(user, ["content:read"])``: an APIClient sending ``Api-Key <key>``."""
    return factories.scoped_key_client
