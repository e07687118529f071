"""Fixtures of the standards-layer tests: where the shared ODCS/ODPS conformance corpora are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, require

FIXTURES = Path(__file__).parent / "fixtures"


def find_shared() -> Path | None:
    """Return the folder holding ``odcs/manifest.json`` and ``odps/manifest.json``, or ``None``.

    Looked for in ``$QUANTA_SHARED_DIR``, then in a ``shared/`` folder beside the repository or beside
    any of its parent folders (a git worktree lives deeper than the main checkout).
    """
    candidates = [Path(os.environ["QUANTA_SHARED_DIR"])] if os.environ.get("QUANTA_SHARED_DIR") else []
    candidates += [parent / "shared" for parent in REPO_ROOT.parents]
    for candidate in candidates:
        if (candidate / "odcs" / "manifest.json").is_file() and (
            candidate / "odps" / "manifest.json"
        ).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared conformance corpora (skipped locally, failed in CI, when missing)."""
    found = find_shared()
    require(found is not None, "the shared ODCS/ODPS corpora (../shared/odcs, ../shared/odps)")
    return found
