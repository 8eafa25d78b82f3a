"""The invite admin's cards, an invite's own page (Send / Resend / Revoke) and the bulk page's
"already a member" rule, through Django's test client as a logged-in ADMIN (docs/admin.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from invites.models import BetaInvite

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invites_betainvite_changelist")
BULK = reverse("admin:invites_betainvite_bulk")


@pytest.fixture
def staff(client, make_admin):
    client.force_login(make_admin())
    return client


def _page(invite: BetaInvite) -> str:
    return reverse("admin:invites_betainvite_change", args=[invite.pk])


def _cards(response) -> dict[str, dict]:
    return {card["key"]: card for card in response.context["cards"]}


@pytest.fixture
def mixed(make_invite, make_user):
    now = timezone.now()
    return [
        make_invite(email="a1@brand.test"),  # pending, never sent
        make_invite(email="a2@brand.test", sent_at=now, send_count=2),  # pending, sent twice
        make_invite(
            email="a3@brand.test",
            last_send_error="SMTPRecipientsRefused: 550",
            email_status="failed",
        ),
        make_invite(email="a4@brand.test", used_at=now, used_by=make_user(), sent_at=now),
        make_invite(email="b1@other.test", expires_in=timedelta(seconds=-1)),
        make_invite(email="b2@other.test", revoked_at=now),
    ]


def test_cards_count_every_status_and_link_to_the_filtered_list(staff, mixed):
    response = staff.get(CHANGELIST)
    cards = _cards(response)
    counts = {key: card["value"] for key, card in cards.items() if key != "conversion"}
    assert counts == {
        "issued": 6,
        "pending": 3,
        "not-sent": 2,
        "failed": 1,
        "sent": 2,
        "used": 1,
        "expired": 1,
        "revoked": 1,
    }
    assert cards["conversion"]["value"] == "16,7\u00a0%"  # a non-breaking space, French style
    # Each card opens the list filtered on what it counts.
    for key, expected in (("pending", 3), ("not-sent", 2), ("failed", 1), ("expired", 1)):
        listed = staff.get(CHANGELIST + cards[key]["url"])
        assert listed.context["cl"].result_count == expected, key
        assert _cards(listed)[key]["active"] is True


def test_cards_follow_the_active_search_and_filters(staff, mixed):
    response = staff.get(CHANGELIST, {"q": "other.test"})
    counts = {k: c["value"] for k, c in _cards(response).items()}
    assert (counts["issued"], counts["pending"], counts["expired"], counts["revoked"]) == (
        2,
        0,
        1,
        1,
    )
    # The links keep the search: the "expired" card of a search lists the expired among it.
    query = parse_qs(urlsplit(_cards(response)["expired"]["url"]).query)
    assert query == {"q": ["other.test"], "status": ["expired"]}
    sent_only = staff.get(CHANGELIST, {"sent": "yes"})
    assert _cards(sent_only)["issued"]["value"] == 2


def test_list_shows_deliveries_failures_and_never_sent(staff, mixed):
    html = staff.get(CHANGELIST).content.decode()
    assert re.search(r"2\u00d7 · \d\d/\d\d/\d{4} \d\d:\d\d", html)
    assert "pas encore envoyée" in html
    assert 'title="SMTPRecipientsRefused: 550"' in html
    english = staff.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not sent yet" in english and "Expires" in english and "Used by" in english


@pytest.mark.django_db(transaction=True)
def test_send_button_queues_then_offers_resend_once_sent(client, make_admin, make_invite, run_jobs):
    client.force_login(make_admin())
    invite = make_invite(email="one@example.test")
    page = client.get(_page(invite)).content.decode()
    assert 'id="invite-send"' in page and "Envoyer l'invitation" in page
    response = client.post(reverse("admin:invites_betainvite_send", args=[invite.pk]), follow=True)
    assert response.redirect_chain[-1][0] == _page(invite)
    html = response.content.decode()
    assert "1 email en file d&#x27;envoi" in html and 'id="invite-email-queued"' in html
    assert mail.outbox == []
    run_jobs()
    assert [m.to for m in mail.outbox] == [["one@example.test"]]
    invite.refresh_from_db()
    assert invite.send_count == 1 and invite.sent_at is not None
    html = client.get(_page(invite)).content.decode()
    assert "Renvoyer l'invitation" in html and "Envoyée 1 fois." in html
    assert 'id="invite-email-queued"' not in html
    client.post(reverse("admin:invites_betainvite_send", args=[invite.pk]))
    run_jobs()
    invite.refresh_from_db()
    assert invite.send_count == 2 and len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_shown_on_the_invite_page_until_a_resend_works(
    client, make_admin, make_invite, settings, run_jobs
):
    client.force_login(make_admin())
    invite = make_invite(email="nobody@rejected.test")
    settings.EMAIL_BACKEND = "tests.invites.mail_backends.RejectingBackend"
    client.post(reverse("admin:invites_betainvite_send", args=[invite.pk]))
    run_jobs()  # a 550 answer: failed at once
    html = client.get(_page(invite)).content.decode()
    assert re.search(r'id="invite-delivery-error">SMTPRecipientsRefused: .*550', html)
    assert re.search(r'id="invite-email-state">[^<]*chec', html)
    invite.refresh_from_db()
    assert invite.send_count == 0 and invite.sent_at is None and invite.last_send_error_at
    # The address is corrected at the mail server's end; a resend works and clears the error.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(reverse("admin:invites_betainvite_send", args=[invite.pk]))
    run_jobs()
    invite.refresh_from_db()
    assert invite.send_count == 1 and invite.last_send_error == ""
    assert invite.last_send_error_at is None
    assert 'id="invite-delivery-error"' not in client.get(_page(invite)).content.decode()


def test_revoke_button_asks_then_revokes(staff, make_invite):
    invite = make_invite(email="bye@example.test")
    revoke = reverse("admin:invites_betainvite_revoke", args=[invite.pk])
    assert f'href="{revoke}"' in staff.get(_page(invite)).content.decode()
    confirm = staff.get(revoke)
    assert confirm.status_code == 200 and "bye@example.test" in confirm.content.decode()
    invite.refresh_from_db()
    assert invite.revoked_at is None  # a GET changes nothing
    response = staff.post(revoke, follow=True)
    assert "Invitation révoquée." in response.content.decode()
    invite.refresh_from_db()
    assert invite.status == "revoked"
    page = staff.get(_page(invite)).content.decode()
    assert 'id="invite-send"' not in page and 'id="invite-revoke"' not in page


def test_a_used_invite_can_be_neither_sent_nor_revoked(staff, make_invite, make_user):
    invite = make_invite(used_at=timezone.now(), used_by=make_user())
    page = staff.get(_page(invite)).content.decode()
    assert 'id="invite-send"' not in page and 'id="invite-revoke"' not in page
    sent = staff.post(reverse("admin:invites_betainvite_send", args=[invite.pk]), follow=True)
    assert "n&#x27;est plus en attente" in sent.content.decode() and mail.outbox == []
    revoked = staff.post(reverse("admin:invites_betainvite_revoke", args=[invite.pk]), follow=True)
    assert "déjà été utilisée" in revoked.content.decode()
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_send_and_revoke_of_an_unknown_or_malformed_id_are_404(staff):
    for name in ("send", "revoke"):
        for pk in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
            url = reverse(f"admin:invites_betainvite_{name}", args=[pk])
            assert staff.post(url).status_code == 404


def test_a_creator_cannot_send_or_revoke(client, make_user, make_invite):
    invite = make_invite()
    client.force_login(make_user())
    for name in ("send", "revoke"):
        response = client.post(reverse(f"admin:invites_betainvite_{name}", args=[invite.pk]))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    invite.refresh_from_db()
    assert invite.revoked_at is None and mail.outbox == []


def test_bulk_page_flags_and_skips_addresses_that_already_have_an_account(staff, make_user):
    member = make_user(email="member@example.test")
    response = staff.post(
        BULK, {"emails": "Member@example.test\nnew@example.test", "expires_in_days": 30}
    )
    assert response.status_code == 200
    assert set(BetaInvite.objects.values_list("email", flat=True)) == {"new@example.test"}
    rows = {row["email"]: row for row in response.context["rows"]}
    assert rows["member@example.test"]["skipped"] is True
    assert rows["member@example.test"]["member_url"] == reverse(
        "admin:accounts_user_change", args=[member.pk]
    )
    assert rows["new@example.test"]["created"] is True
    html = response.content.decode()
    assert "déjà inscrite : ignorée" in html
    assert "1 adresse déjà inscrite ignorée" in html


def test_bulk_page_invites_members_when_asked(staff, make_user):
    make_user(email="member@example.test")
    response = staff.post(
        BULK,
        {"emails": "member@example.test", "expires_in_days": 30, "include_members": "on"},
    )
    assert BetaInvite.objects.filter(email="member@example.test").count() == 1
    row = response.context["rows"][0]
    assert row["skipped"] is False and row["created"] is True and row["member_url"]
    assert "déjà inscrite" in response.content.decode()


def test_bulk_page_speaks_english_too(staff, make_user):
    make_user(email="member@example.test")
    page = staff.get(BULK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="Create the invites"' in page and "Also invite addresses" in page
    response = staff.post(
        BULK,
        {"emails": "member@example.test\nnope", "expires_in_days": 30},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "already a member: skipped" in html and "Line 2" in html
    assert "invalid email address" in html
