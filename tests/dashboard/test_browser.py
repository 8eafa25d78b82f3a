"""The Beta dashboard in headless Chromium (Debian's chromium + chromedriver; see
tests/dashboard/browser.py). Skipped, saying so, on a machine without them."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command

from tests.dashboard.browser import SECTIONS, browser_available, check_dashboard
from tests.factories import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.slow,
    # CI installs the browser (.ci/run), so there it always runs; elsewhere it says why not.
    pytest.mark.skipif(
        not browser_available() and not os.environ.get("CI"),
        reason="needs Debian's chromium and chromedriver packages",
    ),
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
