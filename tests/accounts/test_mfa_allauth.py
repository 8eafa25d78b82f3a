"""The allauth MFA internals accounts/services/mfa.py builds on (django-allauth has no public
Python API for them): fail here, not in production, when an upgrade changes them."""

from __future__ import annotations

import base64

import pytest
from allauth.mfa import app_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

from accounts.services import mfa
from tests.totp import PERIOD, totp

pytestmark = pytest.mark.django_db


def test_totp_settings_are_rfc6238_defaults_with_one_step_of_drift():
    assert (app_settings.TOTP_PERIOD, app_settings.TOTP_DIGITS) == (PERIOD, 6)
    assert app_settings.TOTP_TOLERANCE == 1
    assert app_settings.RECOVERY_CODE_COUNT == 10
    assert app_settings.TOTP_INSECURE_BYPASS_CODE is None


def test_allauth_hotp_matches_rfc6238():
    secret = base64.b32encode(b"12345678901234567890").decode()
    for step in (1, 37037036, 41152263):
        assert format_hotp_value(hotp_value(secret, step)) == totp(secret, step)


def test_allauth_yields_the_current_step_and_one_either_side():
    steps = list(yield_hotp_counters_from_time())
    assert len(steps) == 3 and steps[1] - steps[0] == 1 == steps[2] - steps[1]


def test_recovery_codes_are_ten_single_use_eight_digit_codes(user):
    codes = RecoveryCodes.activate(user)
    values = codes.generate_codes()
    assert len(values) == 10 and all(len(v) == 8 and v.isdigit() for v in values)
    assert codes.validate_code(values[0]) is True
    assert codes.validate_code(values[0]) is False
    assert len(codes.get_unused_codes()) == 9


def test_the_qr_code_is_inline_svg(user):
    setup = mfa.totp_setup_begin(user=user)
    svg = setup.qr_svg()
    assert svg.lstrip().startswith("<?xml") or svg.lstrip().startswith("<svg")
    assert "<svg" in svg and "http" not in svg.split("<svg", 1)[1].split(">", 1)[0].replace(
        "http://www.w3.org", ""
    )
