"""The admin as staff in Paris use it, in headless Chromium at 1366x768, in French and English:

- select every invite, choose "revoke", press the action's button: a confirmation page lists
  what will be revoked and what will not, nothing changes until "Yes" (and the button no
  longer reads "Envoyer");
- sending more than a handful of emails at once asks first, with the count;
- the header's language switch turns the admin English (or back) and the choice stays;
- times are Paris times, in one format per language, and the header names the zone;
- the dashboard's figures are grouped by language (4 737 / 4,737), its count axes whole.

With ``ADMIN_SCREENSHOTS=docs/screenshots`` the pages are saved (``make admin-screenshots``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from content.models import AiBudgetMonth
from content.selectors import usage_month
from invites.models import BetaInvite
from tests import browser
from tests.queue import run_jobs

pytestmark = [pytest.mark.slow, browser.needs_browser]

INVITES = "/admin/invites/betainvite/"
LABELS = {
    "fr-FR": {
        "run": "Exécuter",
        "question": "Révoquer 5 invitations ?",
        "yes": "Oui, révoquer 5 invitations",
        "done": "5 invitations révoquées.",
        "send_question": "Envoyer 6 emails d'invitation ?",
        "sent": "6 emails en file d'envoi : ils partent dans un instant.",
        "zone": "Heures : Europe/Paris (UTC+01:00)",
    },
    "en-US": {
        "run": "Run",
        "question": "Revoke 5 invites?",
        "yes": "Yes, revoke 5 invites",
        "done": "5 invites revoked.",
        "send_question": "Send 6 invite emails?",
        "sent": "6 emails queued: they leave in a moment.",
        "zone": "Times: Europe/Paris (UTC+01:00)",
    },
}


def _open(driver, live_server, staff_session, path):
    browser.sign_in(driver, live_server.url, staff_session)
    driver.get(live_server.url + path)
    assert "/admin/login/" not in driver.current_url, driver.current_url


def _fits(driver, element=None) -> None:
    """No horizontal scroll; ``element`` (a button) visible without scrolling."""
    sizes = driver.execute_script(
        "return [window.innerWidth, window.innerHeight, document.documentElement.scrollWidth]"
    )
    assert sizes[2] <= sizes[0], sizes
    if element is not None:
        rect = element.rect
        assert rect["y"] + rect["height"] <= sizes[1], (rect, sizes)


def _run_action(driver, value: str, run_label: str) -> None:
    driver.find_element(By.ID, "action-toggle").click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(value)
    button = driver.find_element(By.CSS_SELECTOR, "#changelist-form button[name=index]")
    assert button.text == run_label  # never "Envoyer" next to "Révoquer"
    browser.submit(driver, button)


@pytest.mark.parametrize("language", ["fr-FR", "en-US"])
def test_bulk_revoke_asks_first(live_server, beta, staff_session, chromium, language):
    labels = LABELS[language]
    driver = chromium(width=1366, height=768, language=language)
    _open(driver, live_server, staff_session, INVITES)
    revoked_before = BetaInvite.objects.filter(revoked_at__isnull=False).count()
    _run_action(driver, "revoke_invites", labels["run"])

    # The confirmation page: the five unused invites, the four that will not change.
    assert driver.find_element(By.ID, "confirmation-question").text == labels["question"]
    revoke = driver.find_element(By.ID, "confirmation-revoke").text
    unchanged = driver.find_element(By.ID, "confirmation-unchanged").text
    for name in ("pending", "resent", "not_sent", "failed", "expired"):
        assert beta["invites"][name].email in revoke, name
    for name in ("camille", "hugo", "ines", "revoked"):
        assert beta["invites"][name].email in unchanged, name
    yes = driver.find_element(By.ID, "confirmation-yes")
    assert yes.get_attribute("value") == labels["yes"]
    _fits(driver, yes)
    assert BetaInvite.objects.filter(revoked_at__isnull=False).count() == revoked_before
    browser.screenshot(driver, f"invites-revoke-confirmation-{language[:2]}")

    browser.submit(driver, yes)
    banner = driver.find_element(By.CSS_SELECTOR, "ul.messagelist li").text
    assert banner == labels["done"]
    assert BetaInvite.objects.filter(revoked_at__isnull=False).count() == revoked_before + 5
    used = BetaInvite.objects.filter(used_at__isnull=False)
    assert not used.filter(revoked_at__isnull=False).exists()


def test_cancelling_the_confirmation_changes_nothing(live_server, beta, staff_session, chromium):
    driver = chromium(width=1366, height=768)
    _open(driver, live_server, staff_session, INVITES)
    _run_action(driver, "revoke_invites", "Exécuter")
    browser.submit(driver, driver.find_element(By.ID, "confirmation-cancel"))
    assert driver.current_url.split("?")[0].endswith(INVITES)
    assert BetaInvite.objects.filter(revoked_at__isnull=False).count() == 1


@pytest.mark.parametrize("language", ["fr-FR", "en-US"])
def test_sending_many_asks_first(live_server, beta, staff_session, chromium, language):
    labels = LABELS[language]
    for n in range(2):  # four pending invites in the demo beta, six with these
        BetaInvite.objects.create(
            email=f"extra{n}@exemple.fr",
            code=f"EXTRA{n:011d}",
            expires_at=timezone.now() + timedelta(days=30),
        )
    driver = chromium(width=1366, height=768, language=language)
    _open(driver, live_server, staff_session, INVITES)
    _run_action(driver, "send_invites", labels["run"])
    assert driver.find_element(By.ID, "confirmation-question").text == labels["send_question"]
    skipped = driver.find_element(By.ID, "confirmation-skip").text
    assert beta["invites"]["revoked"].email in skipped
    assert mail.outbox == []
    yes = driver.find_element(By.ID, "confirmation-yes")
    _fits(driver, yes)
    browser.screenshot(driver, f"invites-send-confirmation-{language[:2]}")
    browser.submit(driver, yes)
    assert labels["sent"] in driver.find_element(By.CSS_SELECTOR, "ul.messagelist li").text
    run_jobs()  # the worker's part
    assert len(mail.outbox) == 6


def _sent_cell(driver, email: str) -> str:
    row = next(
        r for r in driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr") if email in r.text
    )
    return row.find_element(By.CSS_SELECTOR, "td.field-sent_column").text


def test_language_switch_time_zone_and_numbers(live_server, beta, staff_session, chromium):
    """Paris times named in the header, one date format per language, the switch remembered
    across pages, the dashboard's figures grouped the language's way."""
    AiBudgetMonth.objects.create(month=usage_month(), prompt_tokens=4737, completion_tokens=12832)
    pending = beta["invites"]["pending"]
    paris = pending.sent_at.astimezone(ZoneInfo("Europe/Paris"))
    driver = chromium(width=1366, height=768, language="fr-FR")
    _open(driver, live_server, staff_session, INVITES)
    offset = paris.strftime("%z")
    zone = driver.find_element(By.ID, "display-zone").text
    assert zone == LABELS["fr-FR"]["zone"].replace("+01:00", f"{offset[:3]}:{offset[3:]}")
    assert _sent_cell(driver, pending.email) == f"1\u00d7 · {paris:%d/%m/%Y %H:%M}"

    # EN: the page, the dates, and every page after it (the browser still asks for French).
    switch = driver.find_element(By.CSS_SELECTOR, "#language-switch button[value=en]")
    browser.submit(driver, switch)
    assert driver.title.startswith("Beta invites |")
    assert _sent_cell(driver, pending.email) == f"1\u00d7 · {paris:%Y-%m-%d %H:%M}"
    driver.get(live_server.url + "/admin/beta/")
    assert driver.title.startswith("Beta dashboard")
    ai = driver.find_element(By.ID, "ai").text
    assert "4,737\nprompt tokens" in ai and "12,832\ncompletion tokens" in ai
    _fits(driver)
    _whole_ticks(driver)
    browser.screenshot(driver, "dashboard-en")

    browser.submit(
        driver, driver.find_element(By.CSS_SELECTOR, "#language-switch button[value=fr]")
    )
    assert driver.title.startswith("Tableau de bord de la bêta")
    ai = driver.find_element(By.ID, "ai").text
    # WebDriver reads the no-break space French groups with as a space.
    assert "4 737\njetons de prompt" in ai.replace("\u00a0", " ")
    plans = driver.find_element(By.ID, "plans").text
    assert "Gratuit" in plans and "FREE" not in plans
    _whole_ticks(driver)
    browser.screenshot(driver, "dashboard-fr")


def _whole_ticks(driver) -> None:
    for section in ("signups", "activity"):
        ticks = [
            t.get_attribute("textContent")
            for t in driver.find_elements(By.CSS_SELECTOR, f"#{section} svg text.tick")
        ]
        assert ticks and all(re.fullmatch(r"\d+([\u00a0 ,]\d{3})*", t) for t in ticks), ticks
