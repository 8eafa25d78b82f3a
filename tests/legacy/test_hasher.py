"""The bcryptjs hasher: real bcryptjs hashes of both prefixes verify through Django's framework,
with bcryptjs's 72-byte truncation, and bad input is a failed check, never an exception."""

from __future__ import annotations

import bcrypt
import pytest
from django.contrib.auth.hashers import check_password, identify_hasher

from legacy.hashers import BcryptjsPasswordHasher
from tests.legacy.prisma_db import HASHES


@pytest.mark.parametrize("key", sorted(HASHES))
def test_every_bcryptjs_fixture_hash_verifies_through_django(key):
    case = HASHES[key]
    encoded = "bcrypt$" + case["hash"]
    assert isinstance(identify_hasher(encoded), BcryptjsPasswordHasher)
    assert check_password(case["password"], encoded)
    assert not check_password(
        case["password"] + "x" if case["password_utf8_bytes"] < 72 else "x", encoded
    )


def test_both_prefixes_come_from_bcryptjs():
    assert HASHES["ann"]["hash"].startswith("$2a$12$") and HASHES["ann"]["bcryptjs"].startswith(
        "2."
    )
    assert HASHES["bob"]["hash"].startswith("$2b$12$") and HASHES["bob"]["bcryptjs"].startswith(
        "3."
    )


def test_a_2a_hash_verifies_like_the_2b_hash_of_the_same_salt():
    salt = bcrypt.gensalt(4)
    b_hash = bcrypt.hashpw(b"same-password", salt).decode()
    a_hash = b_hash.replace("$2b$", "$2a$", 1)
    assert check_password("same-password", "bcrypt$" + a_hash)
    assert check_password("same-password", "bcrypt$" + b_hash)


def test_over_72_bytes_uses_the_first_72_like_bcryptjs():
    case = HASHES["long"]
    assert case["password_utf8_bytes"] > 72
    encoded = "bcrypt$" + case["hash"]
    first_72 = case["password"].encode()[:72]
    # Anything with the same first 72 bytes matched in the old app, and still does.
    assert check_password(first_72.decode() + "-anything-after", encoded)
    # The pinned bcrypt refuses such a password outright: the truncation is ours.
    with pytest.raises(ValueError, match="72 bytes"):
        bcrypt.hashpw(case["password"].encode(), case["hash"].encode())


@pytest.mark.parametrize(
    ("password", "encoded"),
    [
        ("\ud800 lone surrogate", "bcrypt$" + HASHES["ann"]["hash"]),
        ("whatever", "bcrypt$$2a$12$not-a-valid-salt"),
        ("whatever", "bcrypt$"),
        ("nul\x00inside", "bcrypt$" + HASHES["bob"]["hash"]),
    ],
)
def test_malformed_input_is_a_failed_check_not_an_exception(password, encoded):
    assert check_password(password, encoded) is False
