"""The thin façade over a mesh folder used by the CLI, the API and Python users.

Each method is a few lines that delegate to one lower layer (see ``docs/architecture.md``); per-call
options are arguments, not constructor keywords.

Example:
    >>> from quanta.facade import Mesh
    >>> mesh = Mesh("examples/nycflights")        # doctest: +SKIP
    >>> result = mesh.build(["+carrier_punctuality"], jobs=2)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quanta.build import BuildResult, ProgressCallback
    from quanta.mesh import BuildPlan, Workspace


class Mesh:
    """A mesh folder (the nearest folder upwards holding ``mesh.yaml``) and what can be done with it.

    Args:
        root: the mesh folder, or any folder inside it.

    Raises:
        ConfigError: (on first use) no ``mesh.yaml`` upwards, or an invalid mesh.
    """

    def __init__(self, root: str | Path = ".") -> None:
        self.root = Path(root)

    @cached_property
    def workspace(self) -> Workspace:
        """The loaded workspace (domains, products, contracts, transforms)."""
        from quanta.mesh import load_workspace

        return load_workspace(self.root)

    def plan(self, selectors: Iterable[str] = (), *, force: bool = False) -> BuildPlan:
        """Return what ``build`` would do (see :func:`quanta.build.plan`)."""
        from quanta.build import plan

        return plan(self.workspace, selectors, force=force)

    def build(
        self,
        selectors: Iterable[str] = (),
        *,
        jobs: int = 1,
        force: bool = False,
        on_event: ProgressCallback | None = None,
    ) -> BuildResult:
        """Build the selected products (see :func:`quanta.build.build`)."""
        from quanta.build import build, ignore

        return build(self.workspace, selectors, jobs=jobs, force=force, on_event=on_event or ignore)

    def status(self) -> list[dict[str, Any]]:
        """Return the last build of every product, its freshness and its open warnings."""
        from quanta.build.history import status

        return status(self.workspace)

    def runs(self, product: str | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
        """Return the most recent build runs, newest first (of one product when given)."""
        from quanta.build.history import runs

        return runs(self.workspace, product, limit=limit)

    def lineage(self, product: str) -> dict[str, Any]:
        """Return the lineage of ``product``: upstream and downstream products, sources and ports."""
        from quanta.build.history import lineage

        return lineage(self.workspace, product)
