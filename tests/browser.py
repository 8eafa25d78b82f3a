"""The one headless Chromium harness (Debian's ``chromium`` and ``chromedriver``, driven by
selenium) of the browser tests (``tests/admin_ui``, ``tests/dashboard``) and their screenshots.

``make test`` installs Chromium when it is missing and run as root (Makefile ``browser``) and
CI always does (``.ci/run``): with ``CI`` set the tests never skip. Elsewhere, without the
browser, they are skipped with the install hint (``needs_browser``).
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Set to a folder (e.g. docs/screenshots) to save full-page screenshots of the pages visited.
SCREENSHOTS_ENV = "ADMIN_SCREENSHOTS"
INSTALL_HINT = (
    "the browser tests need Debian's chromium and chromedriver: "
    "apt-get install -y chromium chromium-driver (make test does it when run as root)"
)


def browser_available() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


# Mark a browser test: runs in CI always (a missing browser fails there), skipped elsewhere.
needs_browser = pytest.mark.skipif(
    not browser_available() and not os.environ.get("CI"), reason=INSTALL_HINT
)


def chromium_paths() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise RuntimeError(INSTALL_HINT)
    return chromium, driver


def start(*, width: int, height: int, language: str = "fr-FR", console_log: bool = False):
    """A headless Chromium whose pages are ``width`` x ``height`` and which asks for
    ``language`` (``Accept-Language``); ``console_log`` keeps the page's console messages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--lang={language}",
    ):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


def submit(driver, element, timeout: float = 20) -> None:
    """Click ``element`` (a submit button or a link) and wait for the page it loads.

    A click returns as soon as the event is dispatched; on a busy machine the next
    ``find_element`` could still read the old page. Waiting for the clicked element to go stale
    (the old document is gone) and the new one to be complete closes that race.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def old_document_gone(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # Asked in the middle of the navigation, chromedriver may answer this instead of
            # "stale element" (selenium's staleness_of lets it through): the same fact.
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    element.click()
    wait = WebDriverWait(driver, timeout)
    wait.until(old_document_gone)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def sign_in(driver, base_url: str, session_key: str) -> None:
    """Use an existing Django session (``Client.force_login``): no login form per test, so the
    admin login's rate limit is never in the way."""
    driver.get(base_url + "/admin/login/")
    driver.add_cookie({"name": "sessionid", "value": session_key, "path": "/"})


def screenshot(driver, name: str) -> Path | None:
    """A full-page PNG of the current page in ``$ADMIN_SCREENSHOTS/<name>.png``, if set."""
    folder = os.environ.get(SCREENSHOTS_ENV)
    if not folder:
        return None
    target = (REPO / folder / f"{name}.png").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    # DevTools' capture beyond the viewport: a window taller than the screen is not possible in
    # headless mode, so resizing the window cut long pages.
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    target.write_bytes(base64.b64decode(shot["data"]))
    return target
