"""``make bench-email``: emails off the request path, measured (docs/jobs.md, Targets).

On a fresh database, the Procfile's two lines run as in production — ``web:`` (gunicorn, gevent
workers) and ``worker:`` (``manage.py worker``) — with the mail going to a local SMTP server that
takes ``BENCH_SMTP_DELAY`` seconds (1 by default) to accept each message. Then:

1. staff send ``BENCH_EMAIL_INVITES`` invites (50) from the admin's bulk page, "send" ticked:
   the time of the page's answer, and the time until the last email reached the server;
2. ``BENCH_EMAIL_RESETS`` password resets (40), alternately for an address with an account and
   for an unknown one: the median time of each, and the difference.

Targets: the page answers in under 1 s; the 50 emails arrive within 60 s; the two medians are
within 20 ms. ``JOB_WORKER_CONCURRENCY`` (default 4) is the worker's concurrency. Run it on an
idle machine; ``BENCH_EMAIL_INVITES=5 BENCH_EMAIL_RESETS=6 BENCH_SMTP_DELAY=0.2`` checks that it
works in a few seconds.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import statistics
import subprocess
import sys
import time
from html import unescape
from urllib.parse import urlencode

from bench.run import (
    REPO,
    drop_database,
    free_port,
    recreate_database,
    server_url,
    with_database,
)
from tests.jobs.smtp import SmtpServer
from tests.totp import current_step, totp

DATABASE = os.environ.get("BENCH_EMAIL_DATABASE", "huntaze_bench_email")
PASSWORD = secrets.token_urlsafe(16)
STAFF, MEMBER = "staff@bench.test", "member@bench.test"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _procfile(name: str) -> list[str]:
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            argv = shlex.split(line[len(name) + 1 :])
            if argv[0] == "gunicorn":
                return [sys.executable, "-m", "gunicorn", *argv[1:]]
            if argv[0] == "python":
                return [sys.executable, *argv[1:]]
            return argv
    raise SystemExit(f"Procfile has no {name}: line")


def _env(database_url: str, port: int, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "BENCH_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=env.get("WEB_CONCURRENCY", "2"),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        # The measure is of the work done, not of the limits that protect it.
        RATE_PASSWORD_RESET_IP="100000/min",
        RATE_PASSWORD_RESET_EMAIL="100000/min",
        LOG_LEVEL="WARNING",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"[bench-email] manage.py {args[0]} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


class Browser:
    """Just enough of a browser for the admin over plain HTTP behind a pretend TLS proxy
    (``X-Forwarded-Proto: https``, as the load balancer sends): cookies kept by hand, since the
    production cookies are ``Secure``."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, float]:
        body = urlencode(form, doseq=True).encode() if form is not None else None
        headers = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = "https://127.0.0.1"
            headers["Referer"] = f"https://127.0.0.1{path}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text, elapsed

    def csrf(self, path: str) -> str:
        _status, html, _elapsed = self.request("GET", path)
        return unescape(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))


def _wait_http(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("[bench-email] the server exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health/live")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("[bench-email] the server did not start")


def _post_json(port: int, path: str, payload: dict) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=json.dumps(payload),
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"},
    )
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 202:
        raise SystemExit(f"[bench-email] {path} answered {response.status}")
    return elapsed


def main() -> int:
    invites = _int("BENCH_EMAIL_INVITES", 50)
    resets = _int("BENCH_EMAIL_RESETS", 40)
    smtp = SmtpServer()
    smtp.delay = float(os.environ.get("BENCH_SMTP_DELAY", "1"))
    server, _embedded = server_url()
    recreate_database(server, DATABASE)
    port = free_port()
    env = _env(with_database(server, DATABASE), port, smtp.port)
    processes: list[subprocess.Popen] = []
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        # Production settings: staff must have two-factor on to reach the admin
        # (STAFF_MFA_REQUIRED), so the staff user's TOTP is turned on through the services, as
        # the set-up page does, and the sign-in below passes the code step.
        secret = _manage(
            env,
            "shell",
            "-c",
            "from accounts.models import User; from tests.totp import enable_totp; "
            f"staff = User.objects.create_superuser(email='{STAFF}', password='{PASSWORD}', "
            "name='Staff'); "
            f"User.objects.create_user(email='{MEMBER}', password='{PASSWORD}', name='Member'); "
            "print(enable_totp(staff)[0])",
        ).split()[-1]
        smtp.start()
        web = subprocess.Popen(_procfile("web"), cwd=REPO, env=env)  # noqa: S603
        worker = subprocess.Popen(_procfile("worker"), cwd=REPO, env=env)  # noqa: S603
        processes += [web, worker]
        _wait_http(port, web)

        browser = Browser(port)
        token = browser.csrf("/admin/login/")
        status, _html, _t = browser.request(
            "POST",
            "/admin/login/",
            {"csrfmiddlewaretoken": token, "username": STAFF, "password": PASSWORD},
        )
        if status != 302:
            raise SystemExit(f"[bench-email] admin sign-in answered {status}")
        code_step = "/admin/mfa/code/"
        token = browser.csrf(code_step)
        code = totp(secret, current_step())
        status, _html, _t = browser.request(
            "POST", code_step, {"csrfmiddlewaretoken": token, "code": code}
        )
        if status != 302:
            raise SystemExit(f"[bench-email] the admin's code step answered {status}")
        bulk = "/admin/invites/betainvite/bulk/"
        token = browser.csrf(bulk)
        emails = "\n".join(f"invitee{n}@bench.test" for n in range(invites))
        form = {"csrfmiddlewaretoken": token, "emails": emails, "expires_in_days": 30, "send": "on"}
        # Sending to more than a handful asks first: the page names the recipients and its "Yes"
        # posts the same form again with their digest. What staff wait on is that second POST.
        status, html, _t = browser.request("POST", bulk, form)
        digest = re.search(r'name="confirm" value="([0-9a-f]+)"', html)
        if status != 200 or digest is None:
            raise SystemExit(f"[bench-email] the bulk page answered {status} without asking first")
        started = time.perf_counter()
        status, html, page_seconds = browser.request(
            "POST", bulk, {**form, "confirm": digest.group(1)}
        )
        if status != 200 or "file d&#x27;envoi" not in html:
            raise SystemExit(f"[bench-email] the bulk page answered {status} without queuing")
        smtp.wait_for(invites, timeout=600)
        all_seconds = time.perf_counter() - started

        times: dict[str, list[float]] = {"member": [], "unknown": []}
        for n in range(resets):
            kind = "member" if n % 2 == 0 else "unknown"
            email = MEMBER if kind == "member" else f"stranger{n}@bench.test"
            times[kind].append(_post_json(port, "/api/auth/password/reset", {"email": email}))
        medians = {k: statistics.median(v) * 1000 for k, v in times.items()}
        smtp.wait_for(invites + resets // 2 + resets % 2, timeout=600)  # the members' emails
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()
        drop_database(server, DATABASE)

    concurrency = env.get("JOB_WORKER_CONCURRENCY", "4 (default)")
    difference = abs(medians["member"] - medians["unknown"])
    result = {
        "smtp_delay_s": smtp.delay,
        "worker_concurrency": concurrency,
        "invites": invites,
        "bulk_page_s": round(page_seconds, 3),
        "all_invites_arrived_s": round(all_seconds, 1),
        "resets": resets,
        "reset_median_member_ms": round(medians["member"], 1),
        "reset_median_unknown_ms": round(medians["unknown"], 1),
        "reset_median_difference_ms": round(difference, 1),
        "targets": {
            "bulk page < 1 s": page_seconds < 1,
            f"{invites} emails within 60 s": all_seconds <= 60,
            "reset medians within 20 ms": difference <= 20,
        },
    }
    print(f"SMTP server: {smtp.delay} s a message; worker concurrency {concurrency}")
    print(f"Bulk page, {invites} invites with send: answered in {page_seconds:.3f} s")
    print(f"All {invites} invite emails arrived {all_seconds:.1f} s after the click")
    print(
        f"Password reset medians over {resets}: member {medians['member']:.1f} ms, unknown "
        f"{medians['unknown']:.1f} ms (difference {difference:.1f} ms)"
    )
    for target, ok in result["targets"].items():
        print(f"  {'PASS' if ok else 'MISS'}  {target}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
