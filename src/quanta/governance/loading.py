"""Reading policies and products from a mesh folder.

* Global policy folders: ``policies:`` in ``mesh.yaml`` (default ``[policies]``), relative to the mesh
  root; the entry ``quanta:builtin`` names the built-in pack shipped inside the package.
* Domain policies: ``domains/<domain>/policies/*.yaml``.
* Products (for ``quanta certify`` outside a build) come from :func:`quanta.mesh.load_workspace`.
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


def builtin_dir() -> Path:
    """The folder of the built-in policy pack (package data)."""
    return Path(__file__).with_name("builtin")


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def policy_folders(mesh_root: Path | str) -> list[Path]:
    """The global policy folders of a mesh, in order (``policies:`` of ``mesh.yaml``).

    Raises:
        ConfigError: ``mesh.yaml`` is invalid.
    """
    from quanta.mesh import load_mesh_config

    root = Path(mesh_root)
    entries = load_mesh_config(root).policies
    return [builtin_dir() if entry == BUILTIN else root / str(entry) for entry in entries]


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
    """One product of a mesh, as governance evaluates it.

    Attributes:
        domain: the domain name; ``name``: the product folder name.
        folder: the product folder.
        product: the ODPS document.
        contracts: its contracts (``contracts/*.odcs.yaml``) by ``id``.
        domain_info: what ``domain.yaml`` says (``name``, ``description``, ``owner``): the CEL ``domain``.
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
    """Every product of the mesh at (or above) ``mesh_root``, in ``domain.product`` order.

    Raises:
        ConfigError: the mesh cannot be loaded (see :func:`quanta.mesh.load_workspace`).
        SpecError: a descriptor or contract is not loadable YAML.
    """
    from quanta.mesh import load_workspace

    workspace = load_workspace(mesh_root)
    out = []
    for spec in workspace.products.values():
        domain = workspace.domains.get(spec.domain)
        info = {"name": spec.domain}
        if domain is not None and domain.description:
            info["description"] = domain.description
        if domain is not None and domain.owner:
            info["owner"] = domain.owner
        contracts = dict(spec.contracts)
        out.append(ProductFiles(spec.domain, spec.name, spec.path, spec.descriptor, contracts, info))
    return sorted(out, key=lambda p: p.key)


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
    names = ", ".join(p.key for p in matches)
    raise UsageError(f"{selector!r} names several products ({names}); use domain.product")


__all__ = [
    "BUILTIN",
    "ProductFiles",
    "builtin_dir",
    "find_product",
    "find_products",
    "install_builtin_pack",
    "lint_policies",
    "load_policies",
    "policy_folders",
]
