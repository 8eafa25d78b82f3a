"""TOTP codes for tests, computed here from the secret (RFC 6238: HMAC-SHA-1, 6 digits, 30 s),
independently of the code under test, and a helper that turns two-factor on for a user."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

PERIOD = 30


def totp(secret: str, step: int, digits: int = 6) -> str:
    """The code of time step ``step`` (RFC 4226 dynamic truncation)."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def current_step() -> int:
    """The current step, at least 8 s from its end: a test computing codes relative to it does
    not cross a step boundary while its requests run."""
    left = PERIOD - time.time() % PERIOD
    if left < 8:
        time.sleep(left + 0.05)
    return int(time.time()) // PERIOD


def enable_totp(user) -> tuple[str, list[str]]:
    """Turn TOTP on for ``user`` through the services; return (secret, recovery codes). The
    set-up is confirmed with the previous step's code, so the current one is still unused."""
    from accounts.services import mfa

    setup = mfa.totp_setup_begin(user=user)
    codes = mfa.totp_setup_confirm(user=user, code=totp(setup.secret, current_step() - 1))
    return setup.secret, codes
