"""The workspace: a mesh folder (``mesh.yaml``, domains, products), its product graph and build plans.

Nothing here runs SQL or reads data: the mesh layer turns files into a frozen :class:`BuildPlan` that the
build layer executes.
"""

from quanta.mesh.config import MeshConfig, load_mesh_config
from quanta.mesh.graph import Edge, ProductGraph, build_graph
from quanta.mesh.plan import BuildPlan, PlannedPort, PlannedProduct, PriorState, make_plan
from quanta.mesh.selection import select
from quanta.mesh.workspace import (
    Domain,
    InputPort,
    OutputPort,
    ProductSpec,
    Workspace,
    find_mesh_root,
    load_workspace,
)

__all__ = [
    "BuildPlan",
    "Domain",
    "Edge",
    "InputPort",
    "MeshConfig",
    "OutputPort",
    "PlannedPort",
    "PlannedProduct",
    "PriorState",
    "ProductGraph",
    "ProductSpec",
    "Workspace",
    "build_graph",
    "find_mesh_root",
    "load_mesh_config",
    "load_workspace",
    "make_plan",
    "select",
]
