"""A headless Chromium (Debian's ``chromium`` and ``chromedriver``) driven by selenium, for the
admin's browser tests (``tests/admin_ui``) and its screenshots (``docs/screenshots``).

``make test`` installs Chromium when it is missing (Makefile ``browser``); the tests fail with
that hint rather than skip when it is absent.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Set to a folder (e.g. docs/screenshots) to save full-page screenshots of the pages visited.
SCREENSHOTS_ENV = "ADMIN_SCREENSHOTS"
INSTALL_HINT = (
    "the browser tests need Debian's chromium and chromedriver: "
    "apt-get install -y chromium chromium-driver (make test does it when run as root)"
)


def chromium_paths() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise RuntimeError(INSTALL_HINT)
    return chromium, driver


def start(*, width: int, height: int, language: str):
    """A headless Chromium whose pages are ``width`` x ``height`` and which asks for
    ``language`` (``Accept-Language``)."""
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
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


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
