"""Fixtures of the admin's browser tests: a beta that looks like the real one, a staff session,
and headless Chromium windows (tests/browser.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from content.models import AiUsage
from content.selectors import usage_month
from invites.models import BetaInvite
from tests import browser, factories

STAFF_EMAIL = "lea.martin@huntaze.com"


@pytest.fixture
def beta(transactional_db):
    """A few weeks into the beta: invites in every state (long addresses included), creators
    who signed up and came back or not, one delivery that failed."""
    now = timezone.now()
    staff = factories.make_admin(email=STAFF_EMAIL, name="Léa Martin")

    def creator(email, name, days_ago, came_back_days_ago=None, assets=0, ai=0):
        user = factories.make_user(
            email=email, name=name, created_at=now - timedelta(days=days_ago)
        )
        factories.make_refresh_token(user=user, created_at=now - timedelta(days=days_ago))
        if came_back_days_ago is not None:
            factories.make_refresh_token(
                user=user, created_at=now - timedelta(days=came_back_days_ago)
            )
        for n in range(assets):
            factories.make_asset(user=user, title=f"Publication {n + 1} de {name}")
        if ai:
            AiUsage.objects.create(user=user, month=usage_month(), count=ai)
        return user

    def invite(email, *, sent=None, sends=0, used_by=None, used_days_ago=None, **extra):
        return factories.make_invite(
            email=email,
            created_by=staff,
            sent_at=now - timedelta(days=sent) if sent is not None else None,
            send_count=sends,
            used_by=used_by,
            used_at=now - timedelta(days=used_days_ago) if used_days_ago is not None else None,
            **extra,
        )

    camille = creator("camille.dubois@gmail.com", "Camille Dubois", 20, 1, assets=12, ai=4)
    hugo = creator(
        "hugo.lefebvre.creations-video@outlook.fr", "Hugo Lefebvre", 18, assets=1
    )  # never came back
    ines = creator("ines.benali@studio-lumiere.fr", "Inès Benali", 9, 2, assets=5, ai=5)
    invites = {
        "camille": invite(camille.email, sent=21, sends=1, used_by=camille, used_days_ago=20),
        "hugo": invite(hugo.email, sent=19, sends=2, used_by=hugo, used_days_ago=18),
        "ines": invite(ines.email, sent=10, sends=1, used_by=ines, used_days_ago=9),
        "pending": invite("marie-charlotte.rousseau.photographie@gmail.com", sent=3, sends=1),
        "resent": invite("theo.garnier@yahoo.fr", sent=1, sends=3),
        "not_sent": invite("nathan.petit@proton.me"),
        "failed": invite(
            "jules.moreau@exemple-inexistant.fr",
            last_send_error="SMTPRecipientsRefused: {'jules.moreau@exemple-inexistant.fr': "
            "(550, b'5.1.1 mailbox unavailable')}",
            last_send_error_at=now - timedelta(hours=2),
            email_status="failed",
        ),
        "expired": invite(
            "lucas.fontaine@free.fr", sent=40, sends=1, expires_in=timedelta(days=-10)
        ),
        "revoked": invite("sarah.girard@laposte.net", sent=12, sends=1, revoked_at=now),
    }
    BetaInvite.objects.filter(pk=invites["camille"].pk).update(created_at=now - timedelta(days=22))
    return {"staff": staff, "invites": invites, "creators": [camille, hugo, ines]}


@pytest.fixture
def staff_session(beta) -> str:
    client = Client()
    client.force_login(beta["staff"])
    return client.cookies["sessionid"].value


@pytest.fixture
def chromium():
    """``open(width, height, language)`` → a signed-out headless Chromium, closed after."""
    drivers = []

    def open_window(*, width: int = 1366, height: int = 768, language: str = "fr-FR"):
        driver = browser.start(width=width, height=height, language=language)
        drivers.append(driver)
        return driver

    yield open_window
    for driver in drivers:
        driver.quit()
