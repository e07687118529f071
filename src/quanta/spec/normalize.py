"""Lenient reading (Postel's law): normalise older and book forms of ODCS to the v3.1.0 shape.

Every rewrite is recorded as a :class:`Rewrite` (old path → new path, with a note), reported by
``quanta lint --lenient`` as a warning and applied by ``quanta contract upgrade``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PathTuple = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One lenient rewrite.

    Attributes:
        old_path: where the field was, e.g. ``("schema", 0, "object")``.
        new_path: where it is now, e.g. ``("schema", 0, "name")``.
        note: what was done and why, in one sentence.
    """

    old_path: PathTuple
    new_path: PathTuple
    note: str


def normalize_contract(
    data: dict[str, Any], *, file: str | None = None
) -> tuple[dict[str, Any], list[Rewrite]]:
    """Return ``data`` normalised to ODCS v3.1.0 and the list of rewrites (work in progress)."""
    return data, []
