"""The Beta dashboard in headless Chromium (Debian's chromium + chromedriver; see
tests/dashboard/browser.py and tests/browser.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser import needs_browser
from tests.dashboard.browser import SECTIONS, check_dashboard
from tests.factories import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.slow,
    needs_browser,
]


@pytest.mark.django_db(transaction=True)
def test_staff_see_every_chart_with_nothing_from_another_origin(live_server, make_admin):
    call_command("seed_beta_activity", force=True, verbosity=0)
    admin = make_admin(email="browser.admin@example.test", password=DEFAULT_PASSWORD)
    seen = check_dashboard(live_server.url, admin.email, DEFAULT_PASSWORD)
    assert seen["title"].startswith("Tableau de bord de la bêta")
    assert set(seen["sections"]) == set(SECTIONS)
    assert "24" in seen["sections"]["signups"]  # the demo creators
    assert len(seen["charts"]) == 6
    for label, width, height in seen["charts"]:
        assert width > 300 and height > 40, (label, width, height)
    assert seen["console_errors"] == []
    assert seen["foreign_resources"] == []
