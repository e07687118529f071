"""Local accounts: sign in to the marketplace UI with a username and password instead of an API token.

A local account belongs to an existing principal (a team member of the mesh or a principal recorded in
the registry; see :meth:`quanta.access.service.AccessService.principal`). The registry's
``local_accounts`` table keeps only ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``: an scrypt hash
(RFC 7914, :func:`hashlib.scrypt`) of the password under a random 16-byte salt per account, with the
parameters it was computed with so they can be raised later without invalidating old hashes.
Verification recomputes the hash and compares it in constant time (:func:`hmac.compare_digest`); an
unknown or disabled username costs the same scrypt computation as a wrong password, so timing does not
tell which usernames exist. No password is ever logged, stored or repeated in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from quanta.errors import AccessDenied, UsageError

if TYPE_CHECKING:
    from quanta.access.authorizer import PrincipalRef
    from quanta.access.service import AccessService

__all__ = [
    "MIN_LENGTH",
    "AccountError",
    "WrongPassword",
    "change_password",
    "disable",
    "hash_password",
    "password_matches",
    "set_password",
    "verify",
]

#: scrypt cost parameters (N, r, p): 2**14 * 8 * 128 bytes = 16 MiB of memory per hash (RFC 7914 §2).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
#: Length of the derived key, bytes.
KEY_LENGTH = 32
#: The shortest password :func:`set_password` accepts.
MIN_LENGTH = 8
_MAX_MEM = 64 * 1024 * 1024
_DUMMY_HASH: str | None = None


class AccountError(UsageError):
    """A local account cannot be created or changed (unknown principal, team, short password ...)."""


class WrongPassword(AccessDenied):
    """The current password given to change a password is not the account's (or there is no account)."""


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Hash ``password`` with scrypt under a fresh random salt.

    Args:
        password: the password in clear (UTF-8 encoded before hashing).
        n: scrypt CPU/memory cost (a power of two).
        r: scrypt block size.
        p: scrypt parallelisation.

    Returns:
        ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``: everything needed to verify, nothing to recover.
    """
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEM, dklen=KEY_LENGTH
    )
    return f"scrypt${n}${r}${p}${salt.hex()}${key.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (a :func:`hash_password` value); constant-time compare.

    Returns:
        ``False`` for a wrong password and for a malformed stored value.
    """
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(key)
        given = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAX_MEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(given, expected)


def set_password(service: AccessService, username: str, password: str) -> None:
    """Create the local account of principal ``username``, or replace its password (and re-enable it).

    Args:
        service: the access service of the mesh (its registry keeps the account).
        username: the name of an existing principal that is not a team.
        password: the new password, at least :data:`MIN_LENGTH` characters.

    Raises:
        UnknownPrincipal: ``username`` is no principal of the mesh or the registry.
        AccountError: the principal is a team, or the password is too short.
    """
    from sqlalchemy.orm import Session

    from quanta.access.identity_store import utcnow
    from quanta.registry.models.accounts import LocalAccount

    ref = service.principal(username)
    if ref.kind == "team":
        raise AccountError(
            f"{username!r} is a team: give each member an account (a team signs in with an API token)"
        )
    if len(password) < MIN_LENGTH:
        raise AccountError(f"the password is too short: use at least {MIN_LENGTH} characters")
    hashed = hash_password(password)
    service.store.add_principal(ref.name, ref.kind)
    now = utcnow()
    engine = service.store.engine.execution_options(quanta_write=True)
    with Session(engine) as session, session.begin():
        account = session.get(LocalAccount, ref.name)
        if account is None:
            session.add(
                LocalAccount(
                    username=ref.name, password_hash=hashed, disabled=False, created_at=now, updated_at=now
                )
            )
        else:
            account.password_hash, account.disabled, account.updated_at = hashed, False, now
    service._audit(ref.name, "account", "allow", reason="password set")


def change_password(service: AccessService, username: str, current: str, new: str) -> None:
    """Self-service: replace the password of ``username``'s local account, proving the current one first.

    Args:
        service: the access service of the mesh.
        username: the account's principal (the caller: one changes one's own password only).
        current: the password the account has now.
        new: the new password, at least :data:`MIN_LENGTH` characters and different from ``current``.

    Raises:
        WrongPassword: ``current`` is wrong, or ``username`` has no enabled account (same message and
            cost either way; the refusal is audited).
        AccountError: the new password is too short or is the current one.
    """
    if len(new) < MIN_LENGTH:
        raise AccountError(f"the new password is too short: use at least {MIN_LENGTH} characters")
    if new == current:
        raise AccountError("the new password is the current one: choose another")
    if verify(service, username, current) is None:
        service._audit(username, "account", "deny", reason="password change refused: wrong current password")
        raise WrongPassword(
            "the current password is wrong (an account without a password is set up by an administrator "
            f"with `quanta account set-password {username}`)"
        )
    set_password(service, username, new)


def disable(service: AccessService, username: str) -> None:
    """Disable the local account of ``username`` (its password no longer signs in).

    Raises:
        AccountError: ``username`` has no local account.
    """
    from sqlalchemy.orm import Session

    from quanta.access.identity_store import utcnow
    from quanta.registry.models.accounts import LocalAccount

    engine = service.store.engine.execution_options(quanta_write=True)
    with Session(engine) as session, session.begin():
        account = session.get(LocalAccount, username)
        if account is None:
            raise AccountError(
                f"{username!r} has no local account: create one with `quanta account set-password {username}`"
            )
        account.disabled, account.updated_at = True, utcnow()
    service._audit(username, "account", "allow", reason="account disabled")


def verify(service: AccessService, username: str, password: str) -> PrincipalRef | None:
    """Return the principal signing in with ``username`` and ``password``, or ``None``.

    ``None`` covers an unknown username, a disabled account and a wrong password alike (same cost, no
    hint which), so callers can answer with one generic message.

    Raises:
        UnknownPrincipal: the account exists but its principal left the mesh.
    """
    from sqlalchemy.orm import Session

    from quanta.registry.models.accounts import LocalAccount

    with Session(service.store.engine) as session:
        account = session.get(LocalAccount, username)
        stored = (account.password_hash, account.disabled) if account is not None else None
    if stored is None:
        password_matches(password, _dummy_hash())  # spend the same time as for a known username
        return None
    matched = password_matches(password, stored[0])
    if not matched or stored[1]:
        return None
    return service.principal(username)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH
