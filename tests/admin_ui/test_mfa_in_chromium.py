"""Two-factor in the admin, in headless Chromium (docs/admin.md, Two-factor): with
STAFF_MFA_REQUIRED a staff member without TOTP signs in and lands on the set-up page (QR code
drawn inline, secret as text), turns it on with a code read from that page and sees the
recovery codes once; a staff member with TOTP passes the code step after the password.

With ``ADMIN_SCREENSHOTS=docs/screenshots`` the pages are saved (``mfa-*.png``)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from selenium.webdriver.common.by import By

from tests import browser, factories
from tests.totp import current_step, enable_totp, totp

pytestmark = [pytest.mark.slow, browser.needs_browser]

STAFF_EMAIL = "lea.martin@huntaze.com"


@pytest.fixture
def required(settings, transactional_db):
    settings.STAFF_MFA_REQUIRED = True


def _password_step(driver, live_server, path="/admin/"):
    driver.get(f"{live_server.url}/admin/login/?next={path}")
    driver.find_element(By.ID, "id_username").send_keys(STAFF_EMAIL)
    driver.find_element(By.ID, "id_password").send_keys(factories.DEFAULT_PASSWORD)
    browser.submit(driver, driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]"))


@pytest.mark.parametrize("language", ["fr-FR", "en-US"])
def test_staff_without_totp_set_it_up_before_any_admin_page(
    live_server, required, chromium, language
):
    staff = factories.make_admin(email=STAFF_EMAIL, name="Léa Martin")
    driver = chromium(width=1366, height=900, language=language)
    _password_step(driver, live_server, "/admin/invites/betainvite/")
    assert driver.current_url.endswith("/admin/mfa/setup/"), driver.current_url
    # Any other admin page sends back here.
    driver.get(live_server.url + "/admin/accounts/user/")
    assert driver.current_url.endswith("/admin/mfa/setup/")

    qr = driver.find_element(By.CSS_SELECTOR, "#mfa-qr svg")
    assert qr.size["width"] >= 150 and qr.size["height"] >= 150
    assert driver.find_element(By.ID, "mfa-required").is_displayed()
    # No resource from elsewhere: the page's images and scripts are this server's.
    external = driver.execute_script(
        "return [...document.querySelectorAll('script[src],img[src],link[href]')]"
        ".map(e => e.src || e.href).filter(u => !u.startsWith(location.origin))"
    )
    assert external == []
    secret = driver.find_element(By.ID, "mfa-secret").text.replace(" ", "")
    assert len(secret) == 32
    browser.screenshot(driver, f"mfa-setup-{language[:2]}")
    heading = driver.find_element(By.CSS_SELECTOR, "#content h1").text
    assert (
        heading
        == {
            "fr-FR": "Activer la double authentification",
            "en-US": "Turn on two-factor authentication",
        }[language]
    )

    field = driver.find_element(By.NAME, "code")
    field.send_keys(totp(secret, current_step()))
    browser.submit(driver, driver.find_element(By.ID, "mfa-setup-submit"))
    codes = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(codes) == 10 and all(len(c) == 8 for c in codes)
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    browser.screenshot(driver, f"mfa-recovery-codes-{language[:2]}")
    browser.submit(driver, driver.find_element(By.ID, "mfa-continue"))
    assert driver.current_url.endswith("/admin/")
    assert driver.find_element(By.ID, "site-name").is_displayed()


@pytest.mark.parametrize("language", ["fr-FR", "en-US"])
def test_staff_with_totp_pass_the_code_step(live_server, required, chromium, language):
    staff = factories.make_admin(email=STAFF_EMAIL, name="Léa Martin")
    secret, _codes = enable_totp(staff)
    driver = chromium(width=1366, height=768, language=language)
    _password_step(driver, live_server, "/admin/accounts/user/")
    assert driver.current_url.endswith("/admin/mfa/code/"), driver.current_url
    inputs = driver.find_elements(By.CSS_SELECTOR, "#mfa-code-form input:not([type=hidden])")
    assert [i.get_attribute("name") for i in inputs] == ["code", None] or [
        i.get_attribute("name") for i in inputs if i.get_attribute("type") != "submit"
    ] == ["code"]
    # Not signed in yet.
    driver.get(live_server.url + "/admin/")
    assert "/admin/login/" in driver.current_url
    driver.get(live_server.url + "/admin/mfa/code/")
    browser.screenshot(driver, f"mfa-code-step-{language[:2]}")

    step = current_step()
    wrong = "000000" if totp(secret, step) != "000000" else "111111"
    driver.find_element(By.NAME, "code").send_keys(wrong)
    browser.submit(driver, driver.find_element(By.ID, "mfa-code-submit"))
    error = driver.find_element(By.CSS_SELECTOR, "p.errornote").text
    assert (
        error
        == {
            "fr-FR": "Code incorrect ou déjà utilisé.",
            "en-US": "Wrong or already used code.",
        }[language]
    )
    driver.find_element(By.NAME, "code").send_keys(totp(secret, step))
    browser.submit(driver, driver.find_element(By.ID, "mfa-code-submit"))
    assert driver.current_url.endswith("/admin/accounts/user/"), driver.current_url
    # The list shows who has two-factor on.
    assert driver.find_elements(By.CSS_SELECTOR, "th.column-two_factor_column")
