"""The invite admin through Django's test client, as a logged-in ADMIN (docs/api.md, Admin)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from invites.models import BetaInvite
from invites.services import invite_send

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invites_betainvite_changelist")
BULK = reverse("admin:invites_betainvite_bulk")


@pytest.fixture
def staff(client, make_admin):
    admin = make_admin()
    client.force_login(admin)
    client.user = admin
    return client


@pytest.fixture
def invites(make_invite, make_user):
    now = timezone.now()
    return {
        "pending": make_invite(email="pending@example.test", sent_at=now),
        "expired": make_invite(email="expired@example.test", expires_in=timedelta(seconds=-1)),
        "revoked": make_invite(email="revoked@example.test", revoked_at=now),
        "used": make_invite(
            email="used@example.test",
            used_at=now,
            used_by=make_user(email="member@example.test"),
            sent_at=now,
        ),
    }


def action(client, name: str, invites, **extra):
    return client.post(
        CHANGELIST,
        {"action": name, "_selected_action": [str(i.pk) for i in invites], "index": 0},
        **extra,
    )


def test_list_renders_columns_filters_and_funnel(staff, invites):
    response = staff.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for invite in invites.values():
        assert invite.email in html
    assert "member@example.test" in html  # used by whom
    headers = re.findall(r'<div class="text"><a [^>]*>(.*?)</a></div>', html)
    assert headers == [
        "Adresse email",
        "Statut",
        "Envoyée",
        "Expire le",
        "Utilisée par",
        "Utilisée le",
    ]
    for status in ("pending", "used", "expired", "revoked"):
        assert f"?status={status}" in html
    assert "?sent=yes" in html
    funnel = response.context["funnel"]
    assert (funnel["issued"], funnel["sent"], funnel["used"]) == (4, 2, 1)
    assert (funnel["pending"], funnel["expired"], funnel["revoked"]) == (1, 1, 1)
    assert funnel["conversion"] == 25.0 and funnel["used_of_sent"] == 50.0
    assert re.search(r'id="card-conversion">.*?25,0\s%', html, re.S)
    assert BULK in html
    assert "<title>Invitations bêta |" in html


@pytest.mark.parametrize("status", ["pending", "used", "expired", "revoked"])
def test_status_filter(staff, invites, status):
    response = staff.get(CHANGELIST, {"status": status})
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [invites[status]]


def test_list_sorts_by_status(staff, invites):
    response = staff.get(CHANGELIST, {"o": "2"})  # the status column
    assert response.status_code == 200
    statuses = [i.status_sql for i in response.context["cl"].result_list]
    assert statuses == sorted(statuses)


def test_search_by_email_and_code(staff, invites):
    by_email = staff.get(CHANGELIST, {"q": "REVOKED@"})
    assert list(by_email.context["cl"].result_list) == [invites["revoked"]]
    by_code = staff.get(CHANGELIST, {"q": invites["used"].code.lower()})
    assert list(by_code.context["cl"].result_list) == [invites["used"]]


def test_change_page_renders_and_add_goes_to_the_bulk_page(staff, invites):
    invite = invites["used"]
    response = staff.get(reverse("admin:invites_betainvite_change", args=[invite.pk]))
    assert response.status_code == 200 and invite.code in response.content.decode()
    add = staff.get(reverse("admin:invites_betainvite_add"))
    assert add.status_code == 302 and add["Location"] == BULK


def test_bulk_page_creates_good_lines_and_reports_bad_ones(staff, make_invite):
    existing = make_invite(email="known@example.test")
    assert staff.get(BULK).status_code == 200
    response = staff.post(
        BULK,
        {
            "emails": "New1@example.test\nnot-an-email\n\nknown@example.test\nnew2@example.test, x@\n",
            "expires_in_days": 14,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert set(BetaInvite.objects.values_list("email", flat=True)) == {
        "known@example.test",
        "new1@example.test",
        "new2@example.test",
    }
    new1 = BetaInvite.objects.get(email="new1@example.test")
    assert new1.created_by == staff.user
    assert timedelta(days=13, hours=23) < new1.expires_at - timezone.now() <= timedelta(days=14)
    assert new1.code in html and existing.code in html
    assert "En attente" in html  # the status label, not its raw value
    results = response.context["results"]
    assert [(r.email, r.created) for r in results] == [
        ("new1@example.test", True),
        ("known@example.test", False),
        ("new2@example.test", True),
    ]
    assert response.context["invalid"] == [(2, "not-an-email"), (5, "x@")]
    assert "Ligne 2" in html and "not-an-email" in html
    # The box keeps only the bad lines, ready to be corrected.
    assert response.context["form"].initial["emails"] == "not-an-email\nx@"
    assert mail.outbox == []


def test_bulk_page_with_nothing_valid_creates_nothing(staff):
    response = staff.post(BULK, {"emails": "nope\nalso-nope", "expires_in_days": 30})
    assert response.status_code == 200
    assert response.context["form"].errors["emails"]
    assert not BetaInvite.objects.exists()
    bad_days = staff.post(BULK, {"emails": "a@example.test", "expires_in_days": 400})
    assert bad_days.context["form"].errors["expires_in_days"]
    assert not BetaInvite.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bulk_page_can_send_the_new_invites(client, make_admin, make_invite, run_jobs):
    client.force_login(make_admin())
    make_invite(email="already@example.test", sent_at=timezone.now())
    response = client.post(
        BULK,
        {"emails": "s1@example.test\nalready@example.test", "expires_in_days": 30, "send": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 email en file d&#x27;envoi" in response.content.decode()
    assert mail.outbox == []  # the page answered before any delivery
    run_jobs()
    assert [m.to for m in mail.outbox] == [["s1@example.test"]]
    assert BetaInvite.objects.get(email="s1@example.test").sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_send_action_queues_pending_and_reports_the_rest(
    client, make_admin, make_invite, make_user, run_jobs
):
    client.force_login(make_admin())
    pending = make_invite(email="p@example.test")
    resend = make_invite(email="r@example.test", sent_at=timezone.now() - timedelta(days=3))
    revoked = make_invite(email="x@example.test", revoked_at=timezone.now())
    response = action(client, "send_invites", [pending, resend, revoked], follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 emails en file d&#x27;envoi" in html and "1 invitation ignorée" in html
    assert html.count('class="invite-email-queued"') == 2  # the list shows them queued
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == ["p@example.test", "r@example.test"]
    pending.refresh_from_db()
    resend.refresh_from_db()
    assert pending.sent_at is not None
    assert resend.sent_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_a_failing_send_shows_queued_then_failed_with_its_error_and_keeps_the_invite(
    client, make_admin, make_invite, mail_server_down, settings, run_jobs
):
    client.force_login(make_admin())
    invite = make_invite()
    action(client, "send_invites", [invite], follow=True)
    run_jobs()  # the mail server is down: another try is scheduled
    invite.refresh_from_db()
    assert invite.email_state == "queued" and invite.sent_at is None
    assert invite.last_send_error.startswith("ConnectionRefusedError")
    html = client.get(CHANGELIST).content.decode()
    assert 'class="invite-email-queued"' in html and "nouvel essai" in html

    settings.EMAIL_RETRY_DELAYS = []  # the tries are spent: the next failure is final
    invite_send(invites=[invite])
    run_jobs()
    invite.refresh_from_db()
    assert invite.email_state == "failed" and invite.status == "pending"
    assert invite.send_count == 0 and invite.last_send_error_at is not None
    html = client.get(CHANGELIST).content.decode()
    assert 'class="invite-email-failed"' in html and "ConnectionRefusedError" in html


def test_revoke_action_asks_first_then_revokes(staff, invites):
    selected = [invites["pending"], invites["expired"], invites["used"], invites["revoked"]]
    page = action(staff, "revoke_invites", selected)
    assert page.status_code == 200
    assert page.templates[0].name == "admin/action_confirmation.html"
    html = page.content.decode()
    assert "Révoquer 2 invitations ?" in html
    revoke = html[
        html.index('id="confirmation-revoke"') : html.index('id="confirmation-unchanged"')
    ]
    assert "pending@example.test" in revoke and "expired@example.test" in revoke
    unchanged = html[html.index('id="confirmation-unchanged"') :]
    assert "used@example.test — Utilisée" in unchanged.replace("</span>", "").replace(
        '<span class="detail">', ""
    )
    # Nothing changed yet, and "Yes" carries only the invites it will revoke.
    assert not BetaInvite.objects.filter(email="pending@example.test", revoked_at__isnull=False)
    carried = re.findall(r'name="_selected_action" value="([^"]+)"', html)
    assert sorted(carried) == sorted(str(i.pk) for i in (invites["pending"], invites["expired"]))
    response = staff.post(
        CHANGELIST,
        {"action": "revoke_invites", "_selected_action": carried, "confirm": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 invitations révoquées." in response.content.decode()
    for name in ("pending", "expired", "used"):
        invites[name].refresh_from_db()
    assert invites["pending"].status == "revoked" and invites["expired"].status == "revoked"
    assert invites["used"].status == "used" and invites["used"].revoked_at is None


def test_revoke_confirmed_after_a_sign_up_reports_the_used_invite(staff, invites, make_user):
    """The confirmation page and "Yes" are two requests: an invite used in between stays used."""
    invites["pending"].used_at = timezone.now()
    invites["pending"].used_by = make_user(email="late@example.test")
    invites["pending"].save()
    response = staff.post(
        CHANGELIST,
        {
            "action": "revoke_invites",
            "_selected_action": [str(invites["pending"].pk)],
            "confirm": "yes",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "1 invitation déjà utilisée : non révoquée." in html and "révoquée." not in html.replace(
        "non révoquée.", ""
    )


def test_revoking_nothing_revocable_says_so_without_a_page(staff, invites):
    response = action(staff, "revoke_invites", [invites["used"], invites["revoked"]], follow=True)
    assert response.redirect_chain  # back to the list, no confirmation page
    assert "Aucune invitation à révoquer" in response.content.decode()


def _csv(response, delimiter: str) -> dict[str, dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    # UTF-8 with a byte-order mark: Excel reads accents right in every locale.
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    key = next(iter(rows[0]))
    return {row[key]: row for row in rows}


def test_export_csv_for_english_excel_and_scripts(staff, invites, make_invite):
    """The stable columns, status codes and UTC times (what scripts already read)."""
    formula = make_invite(email="=cmd@example.test")
    response = action(staff, "export_csv_comma", [invites["used"], invites["pending"], formula])
    assert response.content.startswith(b"\xef\xbb\xbfemail,code,status,created_at")
    by_email = _csv(response, ",")
    assert set(by_email) == {"used@example.test", "pending@example.test", "'=cmd@example.test"}
    used = by_email["used@example.test"]
    assert used["code"] == invites["used"].code
    assert used["status"] == "used" and used["used_by"] == "member@example.test"
    assert used["used_at"] == invites["used"].used_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert used["sent_at"] and used["send_count"] == "0"
    assert by_email["pending@example.test"]["status"] == "pending"
    assert by_email["pending@example.test"]["used_by"] == ""


@pytest.mark.parametrize("accept_language", ["fr", "en"])
def test_export_csv_for_french_excel_is_in_french(staff, invites, make_invite, accept_language):
    """Headers and statuses in French, times in Paris as the admin writes them (a date for a
    French Excel), whatever the admin's language; formulas still neutralised."""
    formula = make_invite(email="=cmd@example.test")
    response = action(
        staff,
        "export_csv_semicolon",
        [invites["used"], invites["pending"], formula],
        HTTP_ACCEPT_LANGUAGE=accept_language,
    )
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header == (
        "Adresse email;Code;Statut;Créée le (Europe/Paris);Expire le (Europe/Paris);"
        "Envoyée le (Europe/Paris);Utilisée le (Europe/Paris);Utilisée par;"
        "Révoquée le (Europe/Paris);Envois;Dernière erreur d'envoi"
    )
    by_email = _csv(response, ";")
    assert set(by_email) == {"used@example.test", "pending@example.test", "'=cmd@example.test"}
    used = by_email["used@example.test"]
    assert used["Statut"] == "Utilisée" and by_email["pending@example.test"]["Statut"] == (
        "En attente"
    )
    paris = invites["used"].used_at.astimezone(ZoneInfo("Europe/Paris"))
    assert used["Utilisée le (Europe/Paris)"] == paris.strftime("%d/%m/%Y %H:%M")
    assert used["Utilisée par"] == "member@example.test"


def test_invites_cannot_be_deleted_from_the_admin(staff, invites):
    response = staff.get(reverse("admin:invites_betainvite_delete", args=[invites["pending"].pk]))
    assert response.status_code == 403
    assert BetaInvite.objects.count() == 4


def test_a_creator_is_refused(client, make_user, invites):
    client.force_login(make_user())
    for url in (CHANGELIST, BULK):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(BULK, {"emails": "sneaky@example.test", "expires_in_days": 30})
    assert response.status_code == 302
    action(client, "revoke_invites", [invites["pending"]])
    assert not BetaInvite.objects.filter(email="sneaky@example.test").exists()
    invites["pending"].refresh_from_db()
    assert invites["pending"].revoked_at is None


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(BULK)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
