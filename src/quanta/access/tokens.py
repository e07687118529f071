"""API tokens: generated once, shown once, stored only as a salted HMAC-SHA256 digest.

A token reads ``qt_<id>_<secret>``: ``id`` (16 hex characters) finds the stored record, ``secret`` (43
URL-safe characters, 256 random bits) proves possession. The registry keeps the id, a random per-token
salt and ``HMAC-SHA256(key=salt, msg=secret)``; verification recomputes the digest and compares it in
constant time. Because the secret is 256 random bits, a fast keyed hash is as strong as a slow password
hash here, and it keeps each API request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from quanta.errors import QuantaError

__all__ = ["InvalidToken", "NewToken", "digest", "generate", "parse"]

PREFIX = "qt"
_TOKEN = re.compile(r"^qt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class InvalidToken(QuantaError):
    """A token is malformed, unknown, expired or revoked."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly generated token; :attr:`token` is the only time the secret exists in clear.

    Attributes:
        id: the public identifier (stored).
        token: the full token to hand to the user (never stored, never logged).
        salt: the per-token salt, hex (stored).
        digest: the HMAC-SHA256 of the secret, hex (stored).
    """

    id: str
    token: str
    salt: str
    digest: str

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"NewToken(id={self.id!r}, token='***')"


def digest(secret: str, salt: str) -> str:
    """Return ``HMAC-SHA256(key=bytes.fromhex(salt), msg=secret)`` as hex."""
    return hmac.new(bytes.fromhex(salt), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def generate() -> NewToken:
    """Create a new random token and the values to store for it."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return NewToken(token_id, f"{PREFIX}_{token_id}_{secret}", salt, digest(secret, salt))


def parse(token: str) -> tuple[str, str]:
    """Split a token into ``(id, secret)``.

    Raises:
        InvalidToken: the text is not a Quanta token (the message never repeats it).
    """
    match = _TOKEN.match(token.strip())
    if match is None:
        raise InvalidToken(
            "the token is not a Quanta API token (qt_<id>_<secret>): create one with `quanta token create`"
        )
    return match.group(1), match.group(2)


def matches(secret: str, salt: str, stored_digest: str) -> bool:
    """Whether ``secret`` hashes to ``stored_digest`` with ``salt`` (constant-time comparison)."""
    return hmac.compare_digest(digest(secret, salt), stored_digest)
