"""The Beta dashboard in a real headless browser (Debian's ``chromium`` and ``chromedriver``).

``check_dashboard`` signs in through the admin's login form, opens ``/admin/beta/`` and checks
what a person would see: every section, every chart drawn with a size, no browser console
error, and nothing fetched from another origin (the admin must work offline). It can save a
full-page screenshot.

``make dashboard-screenshot`` runs it as a script against a fresh ``runserver`` on a free port
(migrate, seed, seed_beta_activity) and writes ``docs/dashboard.png``;
``tests/dashboard/test_browser.py`` runs it against pytest-django's live server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

from tests import browser

SECTIONS = ("signups", "funnel", "activity", "ai", "plans", "database")
REPO = Path(__file__).resolve().parents[2]


def check_dashboard(
    base_url: str, email: str, password: str, screenshot: Path | None = None
) -> dict:
    """Sign in, open the dashboard, check it; return what was seen."""
    from selenium.webdriver.common.by import By

    driver = browser.start(width=1400, height=1000, console_log=True)
    try:
        driver.get(base_url + "/admin/login/?next=/admin/")
        driver.find_element(By.NAME, "username").send_keys(email)
        driver.find_element(By.NAME, "password").send_keys(password)
        browser.submit(driver, driver.find_element(By.CSS_SELECTOR, "input[type=submit]"))
        browser.submit(driver, driver.find_element(By.CSS_SELECTOR, "#beta-dashboard-link a"))
        assert urlsplit(driver.current_url).path == "/admin/beta/", driver.current_url
        seen = {"title": driver.title, "sections": {}, "charts": []}
        for section in SECTIONS:
            element = driver.find_element(By.ID, section)
            seen["sections"][section] = element.text
        for svg in driver.find_elements(By.CSS_SELECTOR, "#beta-dashboard svg.chart"):
            size = svg.size
            seen["charts"].append((svg.get_attribute("aria-label"), size["width"], size["height"]))
        seen["console_errors"] = [
            entry["message"]
            for entry in driver.get_log("browser")
            if entry.get("level") == "SEVERE" and "favicon.ico" not in entry["message"]
        ]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        seen["foreign_resources"] = [r for r in resources if not r.startswith(origin)]
        if screenshot is not None:
            height = driver.execute_script(
                "return Math.max(document.documentElement.scrollHeight,"
                " document.getElementById('content').scrollHeight + 200)"
            )
            driver.set_window_size(1400, max(int(height) + 40, 800))
            time.sleep(0.3)
            driver.save_screenshot(str(screenshot))
        return seen
    finally:
        driver.quit()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    """``make dashboard-screenshot``: a fresh dev server with the seeded data, then the check."""
    import secrets

    password = os.environ.get("SEED_PASSWORD") or "Screenshot-" + secrets.token_urlsafe(12)
    env = {**os.environ, "DJANGO_DEBUG": "true", "SEED_PASSWORD": password}
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["seed"], ["seed_beta_activity"]):
        subprocess.run(manage + command, cwd=REPO, env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urlopen(base + "/api/health/live", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        target = REPO / "docs" / "dashboard.png"
        seen = check_dashboard(base, "admin@huntaze.test", password, screenshot=target)
    finally:
        server.terminate()
        server.wait(15)
    problems = seen["console_errors"] + seen["foreign_resources"]
    print(f"{len(seen['charts'])} charts, sections: {', '.join(seen['sections'])}")
    print(f"screenshot: {target.relative_to(REPO)}")
    if problems:
        print("problems:", *problems, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
