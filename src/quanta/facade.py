"""The thin façade over a mesh folder used by the CLI, the API and Python users.

Each method is a few lines that delegate to one lower layer (see ``docs/architecture.md``).
"""

from __future__ import annotations

from pathlib import Path


class Mesh:
    """A mesh folder (the nearest folder upwards holding ``mesh.yaml``) and what can be done with it.

    Args:
        root: the mesh folder, or any folder inside it.
    """

    def __init__(self, root: str | Path = ".") -> None:
        self.root = Path(root)
