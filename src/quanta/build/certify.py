"""Certification during a build: the governance policies and the version-bump check, before publishing.

The build certifies every product that reaches its gate (issue 7, "Certification"):

* the ``certify`` data stage (:class:`quanta.build.stages.Certify`, between ``gate`` and ``publish``) calls
  :func:`certify_run`: the contracts' version bumps are checked against the last published contracts
  (:func:`quanta.governance.check_contract_change`), then every policy in force is evaluated
  (:func:`quanta.governance.certify`) with the gate's test reports as ``build`` results. A failed
  enforced ``error`` policy or a too-small version bump blocks the product exactly like a failed gate:
  nothing is published, the previous version stays served and downstream products are skipped;
* the :class:`RecordCertification` finisher stores the certification in the registry
  (:func:`quanta.governance.service.store_certification`), also for a product its gate blocked (it is
  certified then), so the gateway's ``certify/report`` shows why a product is ``NOT COMPLIANT``.

Policies are loaded once per build (:class:`Governance`, built by :func:`quanta.build.record.finishers`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from quanta.build.stages import Stage

if TYPE_CHECKING:
    from quanta.build.context import ProductRun
    from quanta.governance import Certification, PolicySet
    from quanta.registry import Registry
    from quanta.spec.diff import DiffResult


@dataclass(frozen=True)
class BumpProblem:
    """A contract whose new ``version`` bumps less than its changes require.

    Attributes:
        contract_id: the contract ``id``.
        file: the contract file (relative to the mesh root when inside it).
        diff: the comparison with the last published version.
    """

    contract_id: str
    file: str
    diff: DiffResult

    @property
    def message(self) -> str:
        """What is wrong and how to fix it: the file, the changes and the bump they require."""
        diff = self.diff
        shown = [c for c in diff.changes if c.level == diff.required] or list(diff.changes)
        listed = "; ".join(f"{c.path}: {c.message} ({c.level})" for c in shown[:5])
        more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        made = "a lower version" if diff.bump == "downgrade" else f"a {diff.bump} bump"
        return (
            f"{self.file}: version {diff.old_version} -> {diff.new_version} is {made}, but the changes "
            f"since the last published version require a {diff.required} bump: {listed}{more}; "
            f"set version: {diff.suggested_version} (quanta diff {self.file} --published lists every change)"
        )


@dataclass
class Governance:
    """What certification needs during one build: the mesh's policies and the open registry.

    Attributes:
        policies: from :func:`quanta.governance.load_policies` (loaded once per build).
        registry: the build's open :class:`quanta.registry.Registry`.
        lock: serialises this module's registry reads and writes between the build's worker threads.
    """

    policies: PolicySet
    registry: Registry
    lock: Any = field(default_factory=threading.Lock, repr=False)


def _relative(run: ProductRun, path: Any) -> str:
    path = Path(path)
    try:
        return path.relative_to(run.workspace.root).as_posix()
    except ValueError:
        return str(path)


def bump_problems(run: ProductRun, previous: dict[str, Any]) -> list[BumpProblem]:
    """Compare each contract of the product with its last published version; return the too-small bumps.

    Args:
        run: the product's run.
        previous: ``{contract id: Contract}`` from :func:`quanta.governance.service.last_published`.

    Raises:
        SpecError: a ``version`` is not SemVer.
    """
    from quanta.governance import check_contract_change

    problems = []
    for contract_id, contract in run.product.contracts.items():
        if contract_id not in previous:
            continue
        diff = check_contract_change(previous[contract_id], contract)
        if not diff.bump_ok:
            file = _relative(run, run.product.contract_files.get(contract_id, contract_id))
            problems.append(BumpProblem(contract_id, file, diff))
    return problems


def evaluate(run: ProductRun, governance: Governance) -> tuple[Certification, list[BumpProblem]]:
    """Certify the product of ``run`` against the last published contracts, with its gate reports.

    Returns:
        The certification and the contracts whose version bump is too small.
    """
    from quanta.governance import certify
    from quanta.governance.service import last_published

    spec = run.product
    # The product's contract files as loaded by the workspace: an unchanged contract is not parsed again.
    loaded = {
        path.read_text(encoding="utf-8"): spec.contracts[cid]
        for cid, path in spec.contract_files.items()
        if cid in spec.contracts
    }
    with governance.lock:  # one registry read at a time; certification itself runs in parallel
        previous = last_published(
            governance.registry, spec.domain, spec.name, spec.descriptor, list(spec.contracts), loaded=loaded
        )
    from quanta.build.notify import major_notices

    run.pending_notices = major_notices(run, previous)
    domain = run.workspace.domains.get(spec.domain)
    certification = certify(
        governance.policies,
        spec.descriptor,
        spec.contracts,
        previous,
        build_results=dict(run.reports),
        domain={
            "name": spec.domain,
            "owner": domain.owner if domain else None,
            "description": domain.description if domain else None,
        },
    )
    return certification, bump_problems(run, previous)


def certify_run(run: ProductRun) -> dict[str, Any]:
    """The ``certify`` stage: certify the product and refuse publication when it must not publish.

    Sets ``run.certification``. Without governance (a run outside :func:`quanta.build.build`, which has
    no registry) nothing is evaluated.

    Returns:
        The stage's detail: ``certification`` (``OK`` / ``NOT COMPLIANT``) and the verdict counts.

    Raises:
        StageFailed: (``blocked``) a blocking policy failed, or a contract's version bump is too small.
    """
    from quanta.build.results import StageFailed

    governance = run.governance
    if governance is None:
        return {"certification": None}
    certification, problems = evaluate(run, governance)
    run.certification = certification
    detail = {"certification": certification.status, "policies": certification.summary()}
    reasons = [p.message for p in problems]
    for verdict in certification.blocking:
        reasons.append(f"policy {verdict.policy} ({verdict.title}) failed: {verdict.message}")
    if reasons:
        raise StageFailed("certify", run.key, "; ".join(reasons), blocked=True)
    return detail


def finding(verdict: Any, root: Path | None = None) -> dict[str, Any]:
    """A failed or unevaluable policy verdict as a build finding (the shape of the gate's check dicts).

    Args:
        verdict: a ``quanta.governance.PolicyVerdict``.
        root: the mesh root; the evidence's file is shown relative to it.
    """
    first = next((e for e in verdict.evidence if e.outcome != "passed"), None)
    where = ""
    if first is not None and first.file:
        file = Path(first.file)
        if root is not None and file.is_relative_to(root):
            file = file.relative_to(root)
        where = f"{file.as_posix()}:{first.line}:{first.column}" if first.line else file.as_posix()
    return {
        "rule": f"policy:{verdict.policy}",
        "name": verdict.title,
        "kind": "policy",
        "element": where or (first.target if first is not None else verdict.scope),
        "dimension": "governance",
        "severity": verdict.effective_severity,
        "status": verdict.verdict,
        "metricValue": None,
        "operator": None,
        "threshold": None,
        "unit": None,
        "expectation": verdict.title,
        "message": verdict.message + (f" ({verdict.remediation})" if verdict.remediation else ""),
        "blocking": verdict.blocking,
        "durationMs": 0.0,
    }


def certification_summary(
    certification: Certification | None, root: Path | None = None
) -> dict[str, Any] | None:
    """What the build result shows of a certification: status, counts and each failed policy.

    Args:
        certification: the product's certification in this build, if any.
        root: the mesh root (evidence files are shown relative to it).

    Returns:
        ``{"status", "blocksPublication", "summary", "findings": [check dict...]}``, or ``None`` when the
        product was not certified in this build.
    """
    if certification is None:
        return None
    failed = [v for v in certification.verdicts if v.verdict in ("failed", "error")]
    return {
        "status": certification.status,
        "blocksPublication": certification.blocks_publication,
        "summary": certification.summary(),
        "findings": [finding(v, root) for v in failed],
    }


@dataclass(frozen=True)
class RecordCertification(Stage):
    """Store the product's certification in the registry (a finisher: runs whatever happened).

    A product its gate blocked never reached the ``certify`` stage: it is certified here, so that its
    stored certification says which policies it fails. A product that stopped before its gate (an
    unavailable source, a transform error) has nothing to certify.
    """

    name: ClassVar[str] = "certification"
    governance: Governance | None = None

    def on_start(self, run: ProductRun) -> None:
        """Give the product's run the build's governance (for the ``certify`` stage)."""
        run.governance = self.governance

    def execute(self, run: ProductRun) -> dict[str, Any]:
        from quanta.governance.service import store_certification

        if self.governance is None:
            return {"certification": None}
        if run.certification is None:
            gated = bool(run.reports) and len(run.reports) == len(run.product.output_ports)
            if not gated:
                return {"certification": None, "reason": "stopped before the gate"}
            run.certification = evaluate(run, self.governance)[0]
        with self.governance.lock:
            store_certification(
                self.governance.registry,
                run.certification,
                run.product.domain,
                run.product.name,
                run_id=run.run_id,
            )
        return {"certification": run.certification.status, "recorded": True}
