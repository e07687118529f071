"""Local accounts: a password sign-in for the marketplace UI, as an alternative to an API token.

The username is the name of an existing principal. Only an scrypt hash is stored, with its parameters and
a per-account random salt (``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``); the password never is. Written
by :mod:`quanta.access.accounts`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from quanta.registry.models.base import Base


class LocalAccount(Base):
    """A principal's password sign-in: the scrypt hash of the password and whether it is disabled."""

    __tablename__ = "local_accounts"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
