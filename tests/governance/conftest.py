"""Fixtures of the governance tests: a small realistic mesh on disk, and policy files written into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.factory import write_mesh


@pytest.fixture()
def mesh(tmp_path: Path) -> Path:
    """The three-product mesh of :mod:`tests.governance.factory` with the built-in pack enabled."""
    return write_mesh(tmp_path / "mesh")


@pytest.fixture()
def bare_mesh(tmp_path: Path) -> Path:
    """The same mesh with only its own ``policies/`` folder (no built-in pack)."""
    return write_mesh(tmp_path / "mesh", builtin=False)


def write_policy(folder: Path, name: str, text: str) -> Path:
    """Write one policy file ``folder/name.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
