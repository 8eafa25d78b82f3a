"""The admin in a real browser (headless Debian Chromium), as staff see it (docs/admin.md).

- the invite list at 1366x768 shows every column, "used by" included, with no horizontal
  scroll, and the cards above it;
- the bulk page works in French and in English (labels, results, the "already a member" flag);
- the Send button of an invite's page sends the email and the page then offers Resend;
- the index, the users' "never came back" list and a user's page render.

With ``ADMIN_SCREENSHOTS=docs/screenshots`` the pages visited are saved as full-page PNGs
(``make admin-screenshots``); docs/admin.md shows them.
"""

from __future__ import annotations

import pytest
from django.core import mail
from selenium.webdriver.common.by import By

from invites.models import BetaInvite
from tests import browser
from tests.queue import run_jobs

pytestmark = [pytest.mark.slow, browser.needs_browser]

INVITES = "/admin/invites/betainvite/"


def _open(driver, live_server, staff_session, path):
    browser.sign_in(driver, live_server.url, staff_session)
    driver.get(live_server.url + path)
    assert "/admin/login/" not in driver.current_url, driver.current_url


def _layout(driver) -> dict:
    return driver.execute_script(
        """
        const results = document.querySelector('#changelist .results');
        const headers = [...document.querySelectorAll('#result_list thead th')].map(th => {
          const r = th.getBoundingClientRect();
          return {name: th.className, text: th.innerText.trim(), left: r.left, right: r.right};
        });
        return {
          innerWidth: window.innerWidth,
          pageScrollWidth: document.documentElement.scrollWidth,
          resultsScrollWidth: results.scrollWidth,
          resultsClientWidth: results.clientWidth,
          headers: headers,
        };
        """
    )


def test_invite_list_at_1366x768_shows_used_by_without_scrolling(
    live_server, beta, staff_session, chromium
):
    driver = chromium(width=1366, height=768)
    _open(driver, live_server, staff_session, INVITES)
    layout = _layout(driver)
    headers = {
        next((c for c in h["name"].split() if c.startswith("column-")), h["name"]): h
        for h in layout["headers"]
    }
    used_by = headers["column-used_by_link"]
    assert used_by["text"].upper() == "UTILISÉE PAR"
    assert used_by["right"] <= layout["innerWidth"], layout
    # Nothing hides behind a horizontal scroll: neither the page nor the table.
    assert layout["pageScrollWidth"] <= layout["innerWidth"], layout
    assert layout["resultsScrollWidth"] <= layout["resultsClientWidth"], layout
    for column in (
        "column-email",
        "column-status_badge",
        "column-sent_column",
        "column-expires_column",
        "column-used_at_column",
    ):
        assert headers[column]["right"] <= layout["innerWidth"], (column, layout)
    # Who signed up, readable in the row: the creator's address in the used-by cell.
    cells = driver.find_elements(By.CSS_SELECTOR, "#result_list td.field-used_by_link a")
    assert {cell.text for cell in cells} >= {
        "camille.dubois@gmail.com",
        "hugo.lefebvre.creations-video@outlook.fr",
    }
    cards = {
        card.get_attribute("id"): card.text
        for card in driver.find_elements(By.CSS_SELECTOR, "#invite-cards .card")
    }
    assert "PAS ENCORE ENVOYÉES\n2" in cards["card-not-sent"]  # never sent + the failed one
    assert "ENVOIS EN ÉCHEC\n1" in cards["card-failed"]
    browser.screenshot(driver, "invites-list-fr")
    # A card opens the list filtered on it.
    browser.submit(driver, driver.find_element(By.ID, "card-failed"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1 and "jules.moreau@exemple-inexistant.fr" in rows[0].text


def test_invite_list_in_english(live_server, beta, staff_session, chromium):
    driver = chromium(width=1366, height=768, language="en-US")
    _open(driver, live_server, staff_session, INVITES)
    layout = _layout(driver)
    texts = [h["text"].upper() for h in layout["headers"] if h["text"]]
    assert texts == [
        "EMAIL ADDRESS",
        "STATUS",
        "SENT",
        "EXPIRES",
        "USED BY",
        "USED",
    ]
    assert layout["pageScrollWidth"] <= layout["innerWidth"], layout
    assert driver.title.startswith("Beta invites |")
    browser.screenshot(driver, "invites-list-en")


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "fr-FR",
            {
                "submit": "Créer les invitations",
                "skipped": "déjà inscrite : ignorée",
                "invalid": "adresse email invalide",
                "line": "Ligne 3 :",
            },
        ),
        (
            "en-US",
            {
                "submit": "Create the invites",
                "skipped": "already a member: skipped",
                "invalid": "invalid email address",
                "line": "Line 3:",
            },
        ),
    ],
)
def test_bulk_page_in_both_languages(live_server, beta, staff_session, chromium, language, labels):
    driver = chromium(width=1366, height=900, language=language)
    _open(driver, live_server, staff_session, INVITES + "bulk/")
    submit = driver.find_element(By.ID, "invite-bulk-submit")
    assert submit.get_attribute("value") == labels["submit"]
    driver.find_element(By.NAME, "emails").send_keys(
        "emma.roux@gmail.com\nCamille.Dubois@gmail.com\nnot-an-address\nadam.lambert@icloud.com"
    )
    browser.submit(driver, submit)
    table = driver.find_element(By.ID, "bulk-results").text
    assert "emma.roux@gmail.com" in table and "adam.lambert@icloud.com" in table
    assert labels["skipped"] in table and "camille.dubois@gmail.com" in table
    invalid = driver.find_element(By.ID, "bulk-invalid").text
    assert labels["line"] in invalid and labels["invalid"] in invalid
    assert not BetaInvite.objects.filter(email="camille.dubois@gmail.com", used_at=None).exists()
    assert BetaInvite.objects.filter(email="emma.roux@gmail.com").count() == 1
    browser.screenshot(driver, f"invites-bulk-{language[:2]}")


def test_send_button_on_an_invite_page(live_server, beta, staff_session, chromium):
    invite = beta["invites"]["not_sent"]
    driver = chromium(width=1366, height=900)
    _open(driver, live_server, staff_session, f"{INVITES}{invite.pk}/change/")
    button = driver.find_element(By.ID, "invite-send")
    assert button.text == "Envoyer l'invitation"
    assert driver.find_element(By.ID, "invite-revoke").is_displayed()
    browser.submit(driver, button)
    message = driver.find_element(By.CSS_SELECTOR, "ul.messagelist li.success").text
    assert message == "1 email en file d'envoi : il part dans un instant."
    assert driver.find_element(By.ID, "invite-email-queued").is_displayed()
    run_jobs()  # the worker's part
    assert [m.to for m in mail.outbox] == [["nathan.petit@proton.me"]]
    driver.refresh()
    assert driver.find_element(By.ID, "invite-send").text == "Renvoyer l'invitation"
    assert "Envoyée 1 fois." in driver.find_element(By.ID, "invite-delivery").text
    invite.refresh_from_db()
    assert invite.send_count == 1 and invite.sent_at is not None
    # The failed one shows its last delivery error.
    failed = beta["invites"]["failed"]
    driver.get(f"{live_server.url}{INVITES}{failed.pk}/change/")
    error = driver.find_element(By.ID, "invite-delivery-error").text
    assert error.startswith("SMTPRecipientsRefused") and "550" in error
    browser.screenshot(driver, "invite-page-fr")


def test_index_users_and_a_user_page(live_server, beta, staff_session, chromium):
    driver = chromium(width=1366, height=768)
    _open(driver, live_server, staff_session, "/admin/")
    assert driver.find_element(By.ID, "site-name").text == "Huntaze · administration de la bêta"
    sections = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#content-main caption a")]
    assert sections[:2] == ["BÊTA", "CONTENUS"] or sections[:2] == ["Bêta", "Contenus"]
    browser.screenshot(driver, "admin-index-fr")

    driver.get(live_server.url + "/admin/accounts/user/?activity=never_back")
    rows = driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "th").text for r in rows] == [
        "hugo.lefebvre.creations-video@outlook.fr"
    ]
    layout = _layout(driver)
    assert layout["pageScrollWidth"] <= layout["innerWidth"], layout
    browser.screenshot(driver, "users-never-came-back-fr")

    camille = beta["creators"][0]
    driver.get(f"{live_server.url}/admin/accounts/user/{camille.pk}/change/")
    page = driver.find_element(By.ID, "content-main").text
    for needle in ("12", "4 générations", "Donner l'accès staff", "Invitation utilisée"):
        assert needle in page, needle
    browser.screenshot(driver, "user-page-fr")
