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
        """Return the lineage of ``product``: upstream and downstream products, sources and ports, and
        the access agreements that connect it to its consumers (``agreements``: the edges of the mesh
        that consumption makes, see ``docs/access-control.md``)."""
        from quanta.build.history import lineage

        tree = lineage(self.workspace, product)
        tree["agreements"] = self.agreement_edges(tree["product"])
        return tree

    def agreement_edges(self, product: str) -> list[dict[str, str]]:
        """Return the active agreements on ``product``'s output ports and those ``product`` holds.

        Args:
            product: ``domain.product``.

        Returns:
            ``[{"consumer", "port", "agreement", "direction"}]`` where ``direction`` is ``"consumes"``
            when the agreement is on one of the product's ports and ``"holds"`` when the product itself
            is the consumer; empty when the mesh has no registry yet.
        """
        from quanta.access import open_access

        url = self.workspace.config.registry_url(self.workspace.root)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
            return []  # nothing built yet: do not create a registry just to read it
        edges = []
        for consumer, port, agreement in open_access(self.root).edges():
            direction = (
                "consumes" if port.startswith(f"{product}.") else "holds" if consumer == product else ""
            )
            if direction:
                edges.append(
                    {"consumer": consumer, "port": port, "agreement": agreement, "direction": direction}
                )
        return edges
