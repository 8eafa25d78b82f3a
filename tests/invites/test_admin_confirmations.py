"""Nothing changes many invites in two clicks (docs/invites.md, Admin): revoking asks first
(tests/invites/test_admin.py), and so does sending more than SEND_CONFIRM_ABOVE emails at once,
from the list's action and from the bulk page. A revoked or used invite's expiry is read-only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from invites.admin_bulk import SEND_CONFIRM_ABOVE
from invites.models import BetaInvite

CHANGELIST = reverse("admin:invites_betainvite_changelist")
BULK = reverse("admin:invites_betainvite_bulk")


@pytest.fixture
def staff(client, make_admin):
    client.force_login(make_admin())
    return client


def _send_action(client, invites, **extra):
    return client.post(
        CHANGELIST,
        {"action": "send_invites", "_selected_action": [str(i.pk) for i in invites], **extra},
        follow=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_handful_is_sent_at_once(staff, make_invite, run_jobs):
    invites = [make_invite(email=f"p{n}@example.test") for n in range(SEND_CONFIRM_ABOVE)]
    response = _send_action(staff, invites, index=0)
    assert f"{SEND_CONFIRM_ABOVE} emails en file d&#x27;envoi" in response.content.decode()
    run_jobs()
    assert len(mail.outbox) == SEND_CONFIRM_ABOVE


@pytest.mark.django_db(transaction=True)
def test_sending_more_asks_first_listing_who_gets_an_email(staff, make_invite, run_jobs):
    count = SEND_CONFIRM_ABOVE + 1
    invites = [make_invite(email=f"p{n}@example.test") for n in range(count - 1)]
    invites.append(make_invite(email="again@example.test", sent_at=timezone.now(), send_count=2))
    used = make_invite(email="used@example.test", used_at=timezone.now())
    page = _send_action(staff, [*invites, used], index=0)
    assert page.templates[0].name == "admin/action_confirmation.html"
    html = page.content.decode()
    assert f"Envoyer {count} emails d&#x27;invitation ?" in html
    assert "Dont 1 renvoi" in html
    assert "again@example.test" in html and "déjà envoyée 2 fois" in html
    skip = html[html.index('id="confirmation-skip"') :]
    assert "used@example.test" in skip
    assert mail.outbox == []
    carried = re.findall(r'name="_selected_action" value="([^"]+)"', html)
    assert sorted(carried) == sorted(str(i.pk) for i in invites)
    response = _send_action(staff, invites, confirm="yes")
    assert f"{count} emails en file d&#x27;envoi" in response.content.decode()
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.email for i in invites)


def test_selecting_nothing_pending_sends_nothing(staff, make_invite):
    used = make_invite(used_at=timezone.now())
    response = _send_action(staff, [used], index=0)
    assert "Aucune invitation en attente" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_bulk_page_asks_before_sending_many(staff, make_invite, run_jobs):
    make_invite(email="sent.before@example.test", sent_at=timezone.now())
    emails = [f"new{n}@example.test" for n in range(SEND_CONFIRM_ABOVE + 1)]
    form = {
        "emails": "\n".join([*emails, "sent.before@example.test"]),
        "expires_in_days": 30,
        "send": "on",
    }
    page = staff.post(BULK, form)
    html = page.content.decode()
    assert f"Envoyer {len(emails)} emails d&#x27;invitation ?" in html
    listed = re.search(r'<ul class="bulk-confirmation-emails">(.*?)</ul>', html, re.S).group(1)
    assert "new0@example.test" in listed and "sent.before@example.test" not in listed
    assert not BetaInvite.objects.filter(email__startswith="new").exists()
    digest = re.search(r'name="confirm" value="([0-9a-f]+)"', html).group(1)
    # The list edited after the question: asked again, nothing created.
    edited = {**form, "emails": form["emails"] + "\nlate@example.test", "confirm": digest}
    again = staff.post(BULK, edited)
    assert "Envoyer 7 emails" in again.content.decode()
    assert not BetaInvite.objects.filter(email__startswith="new").exists()
    done = staff.post(BULK, {**form, "confirm": digest})
    assert done.context["results"] is not None
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(emails)
    # One banner for the whole result, not one per fact.
    assert len(list(done.context["messages"])) == 1


def test_the_bulk_page_without_sending_does_not_ask(staff):
    emails = [f"quiet{n}@example.test" for n in range(SEND_CONFIRM_ABOVE + 3)]
    response = staff.post(BULK, {"emails": "\n".join(emails), "expires_in_days": 30})
    assert response.context["results"] is not None
    assert BetaInvite.objects.filter(email__startswith="quiet").count() == len(emails)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "editable"),
    [
        ({}, True),
        ({"expires_in": timedelta(days=-1)}, True),  # expired: staff may extend it
        ({"revoked_at": "now"}, False),
        ({"used_at": "now"}, False),
    ],
)
def test_only_a_live_invite_has_an_editable_expiry(staff, make_invite, state, editable):
    state = {k: timezone.now() if v == "now" else v for k, v in state.items()}
    invite = make_invite(**state)
    url = reverse("admin:invites_betainvite_change", args=[invite.pk])
    html = staff.get(url).content.decode()
    assert ('name="expires_at_0"' in html) is editable
    if not editable:
        before = BetaInvite.objects.get(pk=invite.pk).expires_at
        staff.post(url, {"expires_at_0": "01/01/2030", "expires_at_1": "10:00:00"})
        assert BetaInvite.objects.get(pk=invite.pk).expires_at == before
