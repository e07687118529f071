"""Settings of ``quanta serve``: one pydantic model, filled from arguments and ``QUANTA_*`` variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

_ENV_PREFIX = "QUANTA_SERVE_"


class ServeSettings(BaseModel):
    """How the marketplace and product gateway serve a mesh.

    Every field can be set by an environment variable ``QUANTA_SERVE_<FIELD>`` (upper case), e.g.
    ``QUANTA_SERVE_ANONYMOUS_DISCOVERY=1``; explicit arguments win over the environment. The registry URL
    follows the mesh's rule: ``QUANTA_REGISTRY_URL``, then ``mesh.yaml``'s ``registry``.
    """

    mesh_root: Path = Field(
        Path("."), description="The mesh folder (holding mesh.yaml), or a folder inside it."
    )
    registry_url: str | None = Field(
        None, description="Registry URL; None uses QUANTA_REGISTRY_URL or mesh.yaml's `registry`."
    )
    anonymous_discovery: bool = Field(
        False,
        description="Let callers without a token read discovery metadata (product list, search, "
        "discover/*, observe/health, certify/status). Data, access and control always need a principal.",
    )
    secure_cookies: bool = Field(
        False, description="Mark the session cookie `Secure` (set it when serving over HTTPS)."
    )
    session_ttl_seconds: int = Field(8 * 3600, ge=60, description="Lifetime of a UI login session, seconds.")
    max_rows: int = Field(1_000_000, ge=1, description="Largest row limit a data or query request may ask.")
    sample_rows: int = Field(20, ge=1, le=1000, description="Rows shown as a product's sample in the UI.")
    webhook_attempts: int = Field(4, ge=1, le=10, description="Delivery attempts per webhook event.")
    webhook_backoff_seconds: float = Field(
        0.5, ge=0, description="First retry delay of a webhook; doubled after each failed attempt."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one webhook POST, seconds.")
    semantic: bool = Field(
        True,
        description="Rank search results by meaning too, with the embedding model of the optional extra "
        "`quanta[semantic]` (bundled in its wheel); without the extra, or when false, search is full-text.",
    )

    @classmethod
    def from_env(cls, **overrides: object) -> ServeSettings:
        """Build settings from ``QUANTA_SERVE_*`` variables, then ``overrides`` (``None`` values ignored).

        Raises:
            pydantic.ValidationError: a variable holds a value of the wrong type.
        """
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = os.environ.get(_ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
