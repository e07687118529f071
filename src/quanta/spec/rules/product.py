"""Products (ODPS): at least one output port; port names unique per direction and version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from quanta.spec.rules._base import (
    Finding,
)


def check_product(data: dict[str, Any]) -> Iterator[Finding]:
    """A product has at least one output port, and port names are unique per direction."""
    outputs = data.get("outputPorts")
    if not isinstance(outputs, list) or not outputs:
        yield Finding(
            "odps.no-output-port",
            "the product has no outputPorts; a data product serves at least "
            "one output port (with the contractId of its ODCS contract)",
            (),
        )
    for field in ("inputPorts", "outputPorts"):
        ports = data.get(field)
        if not isinstance(ports, list):
            continue
        seen: dict[tuple[str, str], int] = {}
        for i, port in enumerate(ports):
            name = port.get("name") if isinstance(port, dict) else None
            if isinstance(name, str):
                key = (name, str(port.get("version")))
                if key in seen:
                    yield Finding(
                        "odps.duplicate-name",
                        f"{field} name {name!r} with version {key[1]} is "
                        f"used twice (first at index {seen[key]})",
                        (field, i, "name"),
                    )
                seen.setdefault(key, i)
