"""Reading policies and products from a mesh folder.

* Global policy folders: ``policies:`` in ``mesh.yaml`` (default ``[policies]``), relative to the mesh
  root; the entry ``quanta:builtin`` names the built-in pack shipped inside the package.
* Domain policies: ``domains/<domain>/policies/*.yaml``.
* Products (for ``quanta certify`` outside a build): ``domains/<domain>/<product>/product.odps.yaml`` and
  ``contracts/*.odcs.yaml`` next to it, with ``domains/<domain>/domain.yaml``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanta.errors import ConfigError, Diagnostic, UsageError
from quanta.governance.federation import PolicySet, federate
from quanta.governance.policy import PolicyFile, read_policy_file

#: The ``policies:`` entry that names the built-in pack.
BUILTIN = "quanta:builtin"
MESH_FILE = "mesh.yaml"


def builtin_dir() -> Path:
    """The folder of the built-in policy pack (package data)."""
    return Path(__file__).with_name("builtin")


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_mesh_settings(mesh_root: Path | str) -> dict[str, Any]:
    """``mesh.yaml`` as a plain mapping (empty when the file is absent).

    Raises:
        ConfigError: the file is not a YAML mapping.
    """
    from quanta.errors import SpecError
    from quanta.spec.loader import load_yaml

    path = Path(mesh_root) / MESH_FILE
    if not path.is_file():
        return {}
    try:
        return dict(load_yaml(path).data)
    except SpecError as error:
        raise ConfigError(error.message, diagnostics=error.diagnostics) from error


def policy_folders(mesh_root: Path | str) -> list[Path]:
    """The global policy folders of a mesh, in order (see the module docstring)."""
    root = Path(mesh_root)
    entries = read_mesh_settings(root).get("policies", ["policies"])
    if isinstance(entries, str):
        entries = [entries]
    return [builtin_dir() if entry == BUILTIN else root / str(entry) for entry in entries or []]


def _read_folder(folder: Path, diagnostics: list[Diagnostic]) -> list[PolicyFile]:
    files = []
    for path in _yaml_files(folder):
        policy_file, problems = read_policy_file(path)
        diagnostics.extend(problems)
        if policy_file is not None and not any(d.severity == "error" for d in problems):
            files.append(policy_file)
    return files


def lint_policies(mesh_root: Path | str) -> PolicySet:
    """Read, lint and federate every policy of a mesh; never raises for a policy's mistake.

    Returns:
        The :class:`PolicySet` of the valid policies, with every problem in ``diagnostics`` (YAML and
        field errors, CEL syntax errors with line and column, federation errors).
    """
    root = Path(mesh_root)
    diagnostics: list[Diagnostic] = []
    global_files: list[PolicyFile] = []
    for folder in policy_folders(root):
        global_files.extend(_read_folder(folder, diagnostics))
    domain_files = {}
    for domain_dir in sorted((root / "domains").glob("*/")) if (root / "domains").is_dir() else []:
        files = _read_folder(domain_dir / "policies", diagnostics)
        if files:
            domain_files[domain_dir.name] = files
    policy_set = federate(global_files, domain_files)
    policy_set.diagnostics[:0] = diagnostics
    return policy_set


def load_policies(mesh_root: Path | str) -> PolicySet:
    """Load the policies of a mesh for evaluation.

    Raises:
        ConfigError: a policy is invalid (every problem is in the error's ``diagnostics``); run
            ``quanta lint`` or ``quanta policy list`` to see them.
    """
    policy_set = lint_policies(mesh_root)
    if not policy_set.ok:
        errors = [d for d in policy_set.diagnostics if d.severity == "error"]
        raise ConfigError(
            f"{len(errors)} problem(s) in the mesh's policies; fix them first", diagnostics=errors
        )
    return policy_set


def install_builtin_pack(mesh_root: Path | str, folder: str = "policies") -> list[Path]:
    """Copy the built-in policy pack into ``<mesh_root>/<folder>/`` (what ``quanta init`` does), so a
    team sees and can tune the policies it is held to. Existing files are kept.

    Returns:
        The files written.
    """
    target = Path(mesh_root) / folder
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in _yaml_files(builtin_dir()):
        destination = target / source.name
        if not destination.exists():
            shutil.copyfile(source, destination)
            written.append(destination)
    return written


@dataclass
class ProductFiles:
    """One product of a mesh, read from its files.

    Attributes:
        domain: the domain folder name; ``name``: the product folder name.
        product: the ODPS document.
        contracts: its contracts (``contracts/*.odcs.yaml``) by ``id``.
        domain_info: ``domain.yaml`` content (``name`` at least).
    """

    domain: str
    name: str
    folder: Path
    product: Any
    contracts: dict[str, Any] = field(default_factory=dict)
    domain_info: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``domain.product``."""
        return f"{self.domain}.{self.name}"


def find_products(mesh_root: Path | str) -> list[ProductFiles]:
    """Every product of a mesh, in ``domain.product`` order.

    Raises:
        SpecError: a descriptor or contract cannot be loaded (the message names the file).
    """
    from quanta.spec import load_contract, load_product
    from quanta.spec.loader import load_yaml

    root = Path(mesh_root)
    out = []
    for descriptor in sorted(root.glob("domains/*/*/product.odps.yaml")):
        folder = descriptor.parent
        domain_file = folder.parent / "domain.yaml"
        domain_info = dict(load_yaml(domain_file).data) if domain_file.is_file() else {}
        domain_info.setdefault("name", folder.parent.name)
        contracts = {}
        for path in sorted((folder / "contracts").glob("*.odcs.yaml")):
            contract = load_contract(path)
            contracts[str(contract.id)] = contract
        out.append(
            ProductFiles(
                folder.parent.name, folder.name, folder, load_product(descriptor), contracts, domain_info
            )
        )
    return out


def find_product(mesh_root: Path | str, selector: str) -> ProductFiles:
    """The product named ``selector``: ``domain.product``, the product folder name, or its ODPS ``id``.

    Raises:
        UsageError: no product, or several, match.
    """
    products = find_products(mesh_root)
    matches = [p for p in products if selector in (p.key, p.name, str(p.product.id))]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(p.key for p in products) or "none"
        raise UsageError(f"no product {selector!r} in the mesh at {mesh_root} (products: {known})")
    raise UsageError(
        f"{selector!r} names several products ({', '.join(p.key for p in matches)}); use domain.product"
    )


def find_mesh_root(start: Path | str = ".") -> Path:
    """The nearest folder at or above ``start`` holding ``mesh.yaml``.

    Raises:
        UsageError: there is none.
    """
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / MESH_FILE).is_file():
            return folder
    raise UsageError(f"no {MESH_FILE} in {here} or above; run inside a mesh or pass --mesh DIR")


__all__ = [
    "BUILTIN",
    "ProductFiles",
    "builtin_dir",
    "find_mesh_root",
    "find_product",
    "find_products",
    "install_builtin_pack",
    "lint_policies",
    "load_policies",
    "policy_folders",
]
