"""What the governance commands do, one function each (the CLI only parses and renders).

* :func:`evaluate_policy`: evaluate one policy on one product or every product (``quanta policy test``);
* :func:`product_certification`: the last recorded certification, or a fresh one from the files
  (``quanta certify``); :func:`store_certification` records one (the build calls it);
* :func:`diff_files`, :func:`diff_against_git`, :func:`diff_against_registry`: ``quanta diff``;
* :func:`lint_diagnostics`: the governance part of ``quanta lint`` inside a mesh;
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quanta.errors import Diagnostic, UsageError
from quanta.governance.certify import Certification, PolicyVerdict, certify
from quanta.governance.loading import ProductFiles, find_product, find_products, lint_policies, load_policies
from quanta.spec.diff import DiffResult, diff_contracts


def _reader(mesh_root: Path) -> Any:
    """The mesh's registry reader, or ``None`` when its SQLite file does not exist yet (nothing was
    ever built: opening it would create it)."""
    from quanta.mesh import load_mesh_config

    url = load_mesh_config(mesh_root).registry_url(mesh_root)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        return None
    from quanta.registry import open_reader

    return open_reader(url, base_dir=mesh_root)


def last_published(
    reader: Any,
    domain: str,
    product: str,
    descriptor: Any,
    contract_ids: list[str],
    *,
    loaded: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The last published version of each of a product's contracts, read from the registry.

    For an output contract, it is the text recorded for the contract version of the port's newest valid
    snapshot, as it was when that snapshot was recorded (so a later edit of the same version, recorded by
    a build that was then blocked, is not taken for the published text). For any other contract (a source
    contract) it is the newest recorded text. Contracts never published are left out.

    Args:
        reader: an open :class:`quanta.registry.RegistryReader` (or ``Registry``).
        domain: the product's domain; ``product``: its name (folder).
        descriptor: the ODPS descriptor (document or ``dict``): its output ports name the contracts.
        contract_ids: the contracts to look up.
        loaded: contracts already loaded from files, by their exact text; a recorded text found here is
            not parsed again (a build passes the product's own contract files: an unchanged contract is
            the same document).

    Returns:
        ``{contract id: Contract}``.
    """
    from quanta.spec import load_contract

    plain = descriptor.to_plain() if hasattr(descriptor, "to_plain") else descriptor
    ports = {
        str(p.get("contractId")): str(p.get("name"))
        for p in plain.get("outputPorts") or []
        if isinstance(p, dict)
    }
    out = {}
    for contract_id in contract_ids:
        text = None
        if contract_id in ports:
            snapshot = reader.latest_snapshot(domain, product, ports[contract_id])
            if snapshot is not None and snapshot.contract_version is not None:
                recorded = reader.contracts(contract_id, snapshot.contract_version)
                before = [c for c in recorded if c.recorded_at <= snapshot.recorded_at]
                chosen = before[0] if before else (recorded[-1] if recorded else None)
                text = chosen.raw_yaml if chosen is not None else None
        else:
            recorded = reader.contracts(contract_id)
            text = recorded[0].raw_yaml if recorded else None
        if text is not None:
            known = (loaded or {}).get(text)
            out[contract_id] = known if known is not None else load_contract(text)
    return out


def published_contracts(mesh_root: Path, product: ProductFiles) -> dict[str, Any]:
    """:func:`last_published` for a product of the mesh at ``mesh_root`` (empty without a registry)."""
    reader = _reader(mesh_root)
    if reader is None:
        return {}
    return last_published(reader, product.domain, product.name, product.product, list(product.contracts))


def certify_files(mesh_root: Path, product: ProductFiles, *, today: dt.date | None = None) -> Certification:
    """Certify a product from its files, against the last published contracts in the registry."""
    policies = load_policies(mesh_root)
    previous = published_contracts(mesh_root, product)
    return certify(
        policies, product.product, product.contracts, previous, domain=product.domain_info, today=today
    )


@dataclass(frozen=True)
class CertificationView:
    """A certification and where it came from: ``registry`` (recorded by a build) or ``files``."""

    product: str
    certification: Certification
    source: str
    recorded_at: str | None = None


def product_certification(mesh_root: Path, selector: str, *, fresh: bool = False) -> CertificationView:
    """The certification of one product: the last one a build recorded, else (or with ``fresh``) one
    evaluated now from the mesh's files.

    Raises:
        UsageError: no such product.
        ConfigError: a policy or the mesh is invalid.
    """
    product = find_product(mesh_root, selector)
    if not fresh:
        reader = _reader(mesh_root)
        records = reader.certifications(product.domain, product.name, limit=1) if reader is not None else []
        if records and records[0].report.get("verdicts") is not None:
            record = records[0]
            return CertificationView(
                product.key,
                Certification.from_dict(record.report),
                "registry",
                record.certified_at.isoformat(),
            )
    return CertificationView(product.key, certify_files(mesh_root, product), "files")


def all_certifications(mesh_root: Path, *, fresh: bool = False) -> list[CertificationView]:
    """:func:`product_certification` for every product of the mesh."""
    return [product_certification(mesh_root, p.key, fresh=fresh) for p in find_products(mesh_root)]


def store_certification(
    registry: Any, certification: Certification, domain: str, product: str, *, run_id=None
) -> None:
    """Record a certification in the registry (``Registry.record_certification``) with its full report.

    Args:
        registry: an open :class:`quanta.registry.Registry`.
        certification: from :func:`quanta.governance.certify`.
        domain: the product's domain folder name; ``product``: its folder name.
        run_id: the build run that produced it, if any.
    """
    registry.record_certification(
        domain,
        product,
        certification.status,
        certification.to_dict(),
        version=certification.version,
        run_id=run_id,
    )


def evaluate_policy(
    mesh_root: Path, policy_id: str, target: str | None = None, *, today: dt.date | None = None
) -> list[tuple[str, PolicyVerdict]]:
    """Evaluate one policy on one product (``target``) or on every product of the mesh.

    Returns:
        ``(domain.product, verdict)`` pairs; a product whose domain does not see the policy is left out.

    Raises:
        UsageError: no such policy or product.
    """
    policies = load_policies(mesh_root)
    if not any(p.id == policy_id for p in policies.all()):
        known = ", ".join(sorted({p.id for p in policies.all()})) or "none"
        raise UsageError(f"no policy {policy_id!r} in the mesh (policies: {known})")
    products = [find_product(mesh_root, target)] if target else find_products(mesh_root)
    out = []
    for product in products:
        previous = published_contracts(mesh_root, product)
        result = certify(
            policies,
            product.product,
            product.contracts,
            previous,
            domain=product.domain_info,
            today=today,
            policies=[policy_id],
        )
        out.extend((product.key, verdict) for verdict in result.verdicts)
    return out


def lint_diagnostics(mesh_root: Path, *, today: dt.date | None = None) -> list[Diagnostic]:
    """What ``quanta lint`` reports for governance inside a mesh: every problem of the policy files, then
    every failed or unevaluable lint-time policy (all scopes but ``build``) of every product, each as a
    :class:`Diagnostic` at the deciding field (``error`` when it would block publication, else ``warning``).
    Change control runs against the registry's last published contracts when there is a registry.
    """
    policy_set = lint_policies(mesh_root)
    out = list(policy_set.diagnostics)
    for product in find_products(mesh_root):
        previous = published_contracts(mesh_root, product)
        result = certify(
            policy_set, product.product, product.contracts, previous, domain=product.domain_info, today=today
        )
        for verdict in result.verdicts:
            if verdict.verdict not in ("failed", "error"):
                continue
            for evidence in verdict.evidence:
                if evidence.outcome == "passed":
                    continue
                message = f"{verdict.title}: {evidence.message or verdict.message}"
                if verdict.remediation:
                    message += f" ({verdict.remediation})"
                out.append(
                    Diagnostic(
                        f"policy.{verdict.policy}",
                        message,
                        "error" if verdict.blocking else "warning",
                        evidence.path,
                        evidence.line,
                        evidence.column,
                        evidence.file,
                    )
                )
    return out


def lint_with_policies(paths: list[Path], results: list[Any]) -> list[Any]:
    """Add governance to ``quanta lint`` results: when the linted paths are inside a mesh, the problems of
    its policy files and the verdicts of its lint-time policies (:func:`lint_diagnostics`) that concern a
    linted file are added to that file's result (a new result for a file the spec lint did not list,
    such as a policy file). Outside a mesh, ``results`` is returned unchanged.

    Args:
        paths: the paths given to ``quanta lint``.
        results: the :class:`quanta.spec.lint.LintResult` list of the spec lint.
    """
    from quanta.errors import QuantaError
    from quanta.mesh import find_mesh_root
    from quanta.spec.lint import LintResult

    try:
        root = find_mesh_root(paths[0] if paths else Path("."))
    except QuantaError:
        return results
    scopes = [Path(p).resolve() for p in paths] or [root]
    try:
        diagnostics = lint_diagnostics(root)
    except QuantaError as error:
        note = Diagnostic(
            "policy.not-evaluated", f"governance policies were not evaluated: {error.message}", "warning"
        )
        return [*results, LintResult(str(root / "mesh.yaml"), None, None, [note])]
    by_file = {str(Path(r.file).resolve()): r for r in results}
    extra: dict[str, Any] = {}
    for diagnostic in diagnostics:
        where = Path(diagnostic.file or root).resolve()
        if not any(where == scope or scope in where.parents for scope in scopes):
            continue
        key = str(where)
        target = by_file.get(key) or extra.setdefault(
            key, LintResult(diagnostic.file or key, "Policy", None, [])
        )
        target.diagnostics.append(diagnostic)
    return [*results, *extra.values()]


def _load(path: Path, *, label: str) -> Any:
    from quanta.spec import load_contract

    if not path.is_file():
        raise UsageError(f"{label} contract {path} does not exist")
    return load_contract(path)


def diff_files(old: Path, new: Path) -> DiffResult:
    """Compare two contract files (``quanta diff OLD NEW``)."""
    return diff_contracts(_load(old, label="old"), _load(new, label="new"))


def diff_against_git(new: Path, ref: str) -> DiffResult:
    """Compare a contract file with its version at git revision ``ref`` (``quanta diff NEW --against REF``).

    Raises:
        UsageError: the file is not in a git repository, or not at ``ref``.
    """
    from quanta.spec import load_contract

    current = _load(new, label="new")
    folder = new.resolve().parent
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True, check=True
        )
        relative = new.resolve().relative_to(Path(top.stdout.strip()).resolve()).as_posix()
        shown = subprocess.run(
            ["git", "show", f"{ref}:{relative}"], cwd=folder, capture_output=True, text=True, check=True
        )
    except FileNotFoundError as error:
        raise UsageError("git is not installed; compare two files instead: quanta diff OLD NEW") from error
    except subprocess.CalledProcessError as error:
        reason = (error.stderr or "").strip().splitlines()[-1:] or ["git failed"]
        raise UsageError(f"cannot read {new} at {ref!r}: {reason[0]}") from error
    return diff_contracts(load_contract(shown.stdout), current)


def diff_against_registry(new: Path, mesh_root: Path) -> DiffResult:
    """Compare a contract file with the last version of the same contract recorded in the registry.

    Raises:
        UsageError: the registry holds no version of this contract.
    """
    current = _load(new, label="new")
    holder = next((p for p in find_products(mesh_root) if str(current.id) in p.contracts), None)
    previous = published_contracts(mesh_root, holder).get(str(current.id)) if holder is not None else None
    if previous is None:
        raise UsageError(
            f"the registry holds no published version of contract {current.id!r}; build it first"
        )
    return diff_contracts(previous, current)


__all__ = [
    "CertificationView",
    "all_certifications",
    "certify_files",
    "diff_against_git",
    "diff_against_registry",
    "diff_files",
    "evaluate_policy",
    "last_published",
    "lint_diagnostics",
    "lint_with_policies",
    "product_certification",
    "published_contracts",
    "store_certification",
]
