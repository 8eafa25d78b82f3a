"""The one rate-limiting mechanism of the product (docs/api.md, Rate limits).

Design:

* **Fixed-window counters in Django's default cache** (the database cache, or Redis with
  ``REDIS_URL``), so every worker process of an instance shares one bucket. A bucket key is
  ``rl:<scope>:<sha256(identity)>:<window index>``: identities (IPs, emails, user ids) are
  hashed so the cache never holds an email in clear. A fixed window lets at most twice the rate
  through around a window boundary; that is the accepted price of one counter per bucket.
* **Atomic increments.** Redis ``INCR`` is atomic, and so is the database cache's ``incr``
  (huntaze/cache.py: Django's get-then-set lost updates under parallel requests, so a parallel
  brute force slipped through). DRF's own throttles (``ScopedRateThrottle``,
  ``UserRateThrottle``) keep a list of timestamps with the same get-then-set, so none is used.
* **Redis unavailable** (``REDIS_URL`` set): the database cache counts instead
  (huntaze/redis_cache.py), so the limits hold and a limited endpoint never fails for it.
* **Rates** come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (read per request, so
  settings overrides apply) and accept a multiplier on the period: ``"5/5min"``,
  ``"3/hour"``, ``"10/m"``, ``"100/2h"``.
* **Client IP** is ``REMOTE_ADDR``, or, with ``TRUSTED_PROXY_COUNT = n > 0``, the address the
  n-th proxy from the right of ``X-Forwarded-For`` saw (DRF's ``NUM_PROXIES`` rule, read from
  settings at request time). Addresses a client prepends to the header are ignored, so a
  forged header does not reset a limit.

A view declares its limits as ``rate_limits = [RateLimit("signin_ip", per=PER_IP)]``;
``RateLimitThrottle`` (the only throttle class, set in ``DEFAULT_THROTTLE_CLASSES``) counts them
before the view runs. Limits that depend on the parsed body (per email) are counted by the view
with ``limit_enforce`` / ``limit_check`` / ``limit_hit``. A refused request is DRF's
``Throttled`` (429 ``throttled`` with ``Retry-After``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from huntaze import metrics
from huntaze.hashing import sha256_hex

_RATE_RE = re.compile(
    r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hr|hour|d|day)s?\s*$", re.I
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """``"5/5min"`` → ``(5, 300)``: (requests allowed, window in seconds)."""
    match = _RATE_RE.match(rate or "")
    if not match:
        raise ValueError(f"invalid rate {rate!r}")
    count, multiplier, unit = match.groups()
    seconds = _UNIT_SECONDS[unit[0].lower()] * int(multiplier or 1)
    return int(count), seconds


def rate_for(scope: str) -> tuple[int, int] | None:
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    return rate_parse(rate) if rate else None


def client_ip(request) -> str:
    """The client address, trusting ``X-Forwarded-For`` through TRUSTED_PROXY_COUNT only."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not xff:
        return remote
    addrs = [a.strip() for a in xff.split(",") if a.strip()]
    if not addrs:
        return remote
    return addrs[-min(proxies, len(addrs))]


def _bucket(scope: str, identity: str, window: int) -> tuple[str, float]:
    now = time.time()
    index = int(now // window)
    digest = sha256_hex(identity)[:32]
    return f"rl:{scope}:{digest}:{index}", (index + 1) * window - now


def _incr(key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def limit_hit(scope: str, identity: str, *, rate_scope: str | None = None) -> float | None:
    """Count one request; return the seconds to wait when the bucket is over its rate.

    ``rate_scope`` names the rate setting when the bucket has its own name (admin login).
    """
    rate = rate_for(rate_scope or scope)
    if rate is None or not identity:
        return None
    allowed, window = rate
    key, remaining = _bucket(scope, identity, window)
    count = _incr(key, window + 1)
    if count > allowed:
        metrics.rate_limited(scope)
        return remaining
    return None


def limit_peek(scope: str, identity: str) -> float | None:
    """Like ``limit_hit`` but without counting: the wait when the bucket is already full."""
    rate = rate_for(scope)
    if rate is None or not identity:
        return None
    allowed, window = rate
    key, remaining = _bucket(scope, identity, window)
    if (cache.get(key) or 0) >= allowed:
        metrics.rate_limited(scope)
        return remaining
    return None


def limit_enforce(scope: str, identity: str) -> None:
    """Count one request and raise ``Throttled`` when over the rate."""
    wait = limit_hit(scope, identity)
    if wait is not None:
        raise Throttled(wait=_retry_after(wait))


def limit_check(scope: str, identity: str) -> None:
    """Raise ``Throttled`` when the bucket is full, without counting this request."""
    wait = limit_peek(scope, identity)
    if wait is not None:
        raise Throttled(wait=_retry_after(wait))


PER_IP = "ip"
PER_USER = "user"


@dataclass(frozen=True)
class RateLimit:
    """One limit a view declares: the rate setting ``scope``, counted per client IP or user."""

    scope: str
    per: str = PER_IP

    def identity(self, request) -> str:
        if self.per == PER_USER:
            user = getattr(request, "user", None)
            return str(user.pk) if user is not None and user.is_authenticated else ""
        return client_ip(request)


class RateLimitThrottle(BaseThrottle):
    """DRF's hook into this module: counts every ``RateLimit`` of the view's ``rate_limits``.

    Every limit of the view is counted (a request refused by one still spends the others, like
    DRF's own throttles); the answer waits for the longest.
    """

    def allow_request(self, request, view) -> bool:
        waits = [
            limit_hit(limit.scope, limit.identity(request))
            for limit in getattr(view, "rate_limits", ())
        ]
        self._wait = max((w for w in waits if w is not None), default=None)
        return self._wait is None

    def wait(self) -> float | None:
        return _retry_after(self._wait or 0)


def _retry_after(wait: float) -> int:
    return max(1, int(wait + 0.999))


# Per-email limits depend on the parsed body, so views call these after validation.
SIGNIN_EMAIL_FAILURES = "signin_email_failures"
PASSWORD_RESET_EMAIL = "password_reset_email"


def admin_login_rate_limited(login_view):
    """Wrap ``admin.site.login``: POSTs count per client IP at the sign-in rate.

    Installed by ``AccountsConfig.ready``. A refused attempt is a plain 429 with Retry-After
    (the admin is HTML, not the API).
    """

    @wraps(login_view)
    def view(request, extra_context=None):
        if request.method == "POST":
            wait = limit_hit("admin_login_ip", client_ip(request), rate_scope="signin_ip")
            if wait is not None:
                seconds = _retry_after(wait)
                response = HttpResponse(
                    _("Trop de tentatives de connexion. Réessayez dans %(seconds)s secondes.")
                    % {"seconds": seconds},
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(seconds)
                return response
        return login_view(request, extra_context)

    view.rate_limited = True
    return view
