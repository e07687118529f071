"""A built copy of the test mesh with API tokens for three principals (for the consumption journeys)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.api.server import MESH


@dataclass(frozen=True)
class BuiltMesh:
    """The mesh folder and a token per principal: ``carl`` (analyst), ``olga`` (operations owner),
    ``rita`` (reference owner)."""

    root: Path
    tokens: dict[str, str]


def build_mesh(target: Path, prepare: Callable[[Path], None] | None = None) -> BuiltMesh:
    """Copy the test mesh to ``target``, build it with ``quanta build`` and create tokens.

    Args:
        target: where the copy goes (must not exist).
        prepare: called with the copy's root before the build, to change the mesh (e.g. a contract).
    """
    shutil.copytree(MESH, target)
    if prepare is not None:
        prepare(target)
    done = subprocess.run(
        [sys.executable, "-m", "quanta.cli.app", "build", "--mesh", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    from quanta.access.session import open_service

    service = open_service(target)
    tokens = {name: service.create_token(name).token for name in ("carl", "olga", "rita")}
    engine = getattr(service.store, "engine", None)
    if engine is not None:  # the server opens its own connections
        engine.dispose()
    return BuiltMesh(target, tokens)
