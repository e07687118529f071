"""Credentials: no password, token or secret key written into a contract or product."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from quanta.spec.rules._base import (
    Finding,
    PathTuple,
)

_SECRET_KEYS = {
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "clientsecret",
    "accesstoken",
    "refreshtoken",
    "secretaccesskey",
    "sessiontoken",
    "awssecretaccesskey",
    "connectionstring",
}


_ENV_REFERENCE = re.compile(
    r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*|env:[A-Za-z_][A-Za-z0-9_]*)$"
)


def check_credentials(data: dict[str, Any]) -> Iterator[Finding]:
    """No password, token or secret key is written into the contract (name an environment variable)."""
    stack: list[tuple[Any, PathTuple]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            prop = node.get("property")
            if isinstance(prop, str) and _is_secret_name(prop) and _is_secret_value(node.get("value")):
                yield Finding(
                    "odcs.credentials",
                    f"custom property {prop!r} holds a credential; contracts are "
                    "shared and versioned, so name an environment variable (e.g. '${PG_PASSWORD}') "
                    "instead",
                    (*path, "value"),
                )
            for key, value in node.items():
                if isinstance(key, str) and _is_secret_name(key) and _is_secret_value(value):
                    yield Finding(
                        "odcs.credentials",
                        f"{key!r} holds a credential; contracts are shared and "
                        "versioned, so name an environment variable (e.g. '${PG_PASSWORD}') instead",
                        (*path, key),
                    )
                else:
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))


@cache
def _is_secret_name(name: str) -> bool:
    return re.sub(r"[^a-z]", "", name.lower()) in _SECRET_KEYS


def _is_secret_value(value: Any) -> bool:
    if value is None or isinstance(value, bool | dict | list):
        return False
    text = str(value).strip()
    return bool(text) and not _ENV_REFERENCE.match(text)
