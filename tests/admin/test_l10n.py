"""The admin as staff in Paris read it (docs/admin.md, Time zone and formats; Languages):
times in ADMIN_TIME_ZONE with the zone named, the API still UTC, one date and number format
per language, a language switch, and the small things every page shows (favicon, empty
marker, the action button)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from invites.models import BetaInvite

pytestmark = pytest.mark.django_db

INVITES = reverse("admin:invites_betainvite_changelist")
# 17:06 UTC on a winter day is 18:06 in Paris (UTC+1); on a summer day 19:06 (UTC+2).
WINTER = dt.datetime(2026, 12, 7, 17, 6, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 7, 17, 6, tzinfo=dt.UTC)


@pytest.fixture
def staff(make_admin):
    client = Client()
    client.force_login(make_admin(email="lea.martin@huntaze.com"))
    return client


@pytest.fixture
def sent(make_invite):
    winter = make_invite(email="winter@example.test", sent_at=WINTER, send_count=1)
    summer = make_invite(email="summer@example.test", sent_at=SUMMER, send_count=1)
    return winter, summer


def test_admin_times_are_paris_times_and_the_page_names_the_zone(staff, sent):
    winter, _summer = sent
    html = staff.get(INVITES).content.decode()
    assert "07/12/2026 18:06" in html and "07/12/2026 17:06" not in html
    assert "07/07/2026 19:06" in html  # summer time
    assert re.search(r'id="display-zone"[^>]*>Heures : Europe/Paris \(UTC\+0[12]:00\)<', html)
    page = staff.get(reverse("admin:invites_betainvite_change", args=[winter.pk]))
    assert "07/12/2026 18:06" in page.content.decode()


def test_the_zone_is_a_setting(staff, sent, settings):
    settings.ADMIN_TIME_ZONE = "America/New_York"
    html = staff.get(INVITES).content.decode()
    assert "07/12/2026 12:06" in html  # UTC-5
    assert "Heures : America/New_York (UTC-05:00)" in html


def test_the_api_stays_utc_iso_8601(staff, sent, make_admin, auth_client):
    _winter, _summer = sent
    response = auth_client(make_admin()).get("/api/invites", {"status": "pending"})
    assert response.status_code == 200
    row = next(r for r in response.json()["results"] if r["email"] == "winter@example.test")
    assert row["sent_at"] in ("2026-12-07T17:06:00Z", "2026-12-07T17:06:00+00:00")


def test_one_date_format_per_language(staff, sent):
    """French 07/12/2026 18:06, English 2026-12-07 18:06: lists, object pages and the date
    inputs alike (English once mixed 12/07/2026, Dec. 7, 2026 and 2026-12-07)."""
    winter, _summer = sent
    change = reverse("admin:invites_betainvite_change", args=[winter.pk])
    html = staff.get(change, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2026-12-07 18:06" in html
    assert not re.search(r"\b\d\d/\d\d/\d{4}\b", html), re.findall(r"\b\d\d/\d\d/\d{4}\b", html)
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d", html)
    expires = winter.expires_at.astimezone(ZoneInfo("Europe/Paris"))
    assert f'value="{expires:%Y-%m-%d}"' in html  # the date input writes the same format
    french = staff.get(change).content.decode()
    assert f'value="{expires:%d/%m/%Y}"' in french
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", french.split("<script")[0])


def test_counts_are_grouped_by_language(staff, make_invite):
    BetaInvite.objects.bulk_create(
        [
            BetaInvite(email=f"n{i}@example.test", code=f"{i:016X}", expires_at=WINTER)
            for i in range(1001)
        ]
    )
    french = staff.get(INVITES).content.decode()
    assert re.search(r'id="card-issued"[^>]*>.*?class="value">1\u00a0001<', french, re.S)
    english = staff.get(INVITES, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'id="card-issued"[^>]*>.*?class="value">1,001<', english, re.S)


def test_the_language_switch(staff):
    """Django's set_language behind the header's FR / EN buttons: the choice is remembered
    (a cookie) over the browser's language."""
    html = staff.get("/admin/").content.decode()
    form = re.search(r'<form id="language-switch" action="([^"]+)" method="post"', html)
    assert form and form.group(1) == "/i18n/setlang/"
    assert re.search(r'value="fr"[^>]*aria-current="true"', html)
    response = staff.post(form.group(1), {"language": "en", "next": INVITES})
    assert response.status_code == 302 and response["Location"] == INVITES
    english = staff.get(INVITES, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<title>Beta invites |" in english
    assert re.search(r'value="en"[^>]*aria-current="true"', english)
    staff.post("/i18n/setlang/", {"language": "fr", "next": INVITES})
    assert "<title>Invitations bêta |" in staff.get(INVITES).content.decode()


def test_favicon(staff):
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in staff.get("/admin/").content.decode()


def test_one_empty_marker(staff, make_invite):
    invite = make_invite(email="pending@example.test")
    html = staff.get(reverse("admin:invites_betainvite_change", args=[invite.pk])).content
    html = html.decode()
    assert '<div class="readonly">—</div>' in html  # Django's own readonly fields too
    assert '<div class="readonly">-</div>' not in html


def test_the_action_button_says_what_it_does(staff, make_invite):
    make_invite()
    html = staff.get(INVITES).content.decode()
    assert re.search(r'<button type="submit" class="button"[^>]*name="index"[^>]*>Exécuter<', html)
    assert ">Envoyer</button>" not in html
    english = staff.get(INVITES, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'name="index"[^>]*>Run<', english)


def test_messages_keep_an_address_as_written(staff, make_user):
    creator = make_user(email="creator@example.test")
    response = staff.post(
        reverse("admin:accounts_user_role", args=[creator.pk]), {"role": "ADMIN"}, follow=True
    )
    html = response.content.decode()
    assert "creator@example.test est maintenant staff." in html
    assert "Creator@" not in html
