"""The password hasher of the Prisma-era accounts (docs/migration.md, "Passwords").

The old app hashed passwords with bcryptjs at cost 12 (``$2a$12$…`` from bcryptjs 2.x,
``$2b$12$…`` from 3.x). The import stores them as Django's ``bcrypt$`` + the hash, which
Django's ``BCryptPasswordHasher`` reads, with one difference kept here: bcryptjs silently used
only the first 72 UTF-8 bytes of a password, while the ``bcrypt`` package (5.x) raises
``ValueError`` on a longer one. This hasher truncates the way bcryptjs did, so a creator whose
password is longer than 72 bytes still signs in, and any malformed input or stored hash is a
failed check, never an exception (a 500).

It is listed after Argon2 in ``PASSWORD_HASHERS``: Django's ``check_password`` re-hashes a
password with the first hasher after a successful check whose hasher is not the first, so a
creator's first sign-in replaces the bcrypt hash with an Argon2 one. It never makes new hashes
in practice (it is never first); it only verifies imported ones until every creator has signed
in once.
"""

from __future__ import annotations

from django.contrib.auth.hashers import BCryptPasswordHasher

BCRYPTJS_MAX_BYTES = 72


class BcryptjsPasswordHasher(BCryptPasswordHasher):
    algorithm = "bcrypt"  # the stored format stays Django's own: ``bcrypt$$2a$12$…``

    def encode(self, password: str, salt: bytes) -> str:
        bcrypt = self._load_library()
        # bcryptjs hashed the UTF-8 bytes, cut at 72 (possibly inside a character).
        data = bcrypt.hashpw(password.encode()[:BCRYPTJS_MAX_BYTES], salt)
        return f"{self.algorithm}${data.decode('ascii')}"

    def verify(self, password: str, encoded: str) -> bool:
        try:
            return super().verify(password, encoded)
        except (ValueError, TypeError):
            # A lone surrogate in the password (UnicodeEncodeError is a ValueError) or a stored
            # hash bcrypt cannot parse ("Invalid salt"): not a match.
            return False
