"""Federated computational governance: policies as code (YAML + CEL), federation, certification,
breaking-change control and lifecycle. See ``docs/governance.md``.

The build calls three functions (all pure with respect to the registry; the caller stores results):

* :func:`load_policies` ``(mesh_root) -> PolicySet`` once per build (raises ``ConfigError`` on a bad policy);
* :func:`check_contract_change` ``(old, new) -> DiffResult`` before publishing a contract version
  (``result.bump_ok`` false: refuse, the message is in ``result.changes``);
* :func:`certify` ``(policy_set, product, contracts, previous_contracts, build_results) -> Certification``
  after the gate (``certification.blocks_publication`` true: publish nothing, like a failed gate).
"""

from quanta.governance.certify import Certification, Evidence, Outcome, PolicyVerdict, certify
from quanta.governance.federation import PolicySet
from quanta.governance.lifecycle import LifecycleProblem, check_lifecycle, check_transition
from quanta.governance.loading import (
    BUILTIN,
    builtin_dir,
    find_products,
    install_builtin_pack,
    lint_policies,
    load_policies,
)
from quanta.governance.notice import MajorChangeNotice, major_change_notice
from quanta.governance.policy import Policy
from quanta.spec.diff import Change, DiffResult, diff_contracts


def check_contract_change(old, new) -> DiffResult:
    """Compare the last published version of a contract (``old``) with the new one (``new``).

    Args:
        old: a :class:`quanta.spec.Contract` or its plain ``dict``.
        new: same forms.

    Returns:
        The :class:`quanta.spec.diff.DiffResult`: ``changes`` (path, class, message each), ``required``
        bump, ``bump`` made, ``bump_ok`` and ``suggested_version``.

    Raises:
        SpecError: a ``version`` is missing or not SemVer.
    """
    return diff_contracts(old, new)


__all__ = [
    "BUILTIN",
    "Certification",
    "Change",
    "DiffResult",
    "Evidence",
    "LifecycleProblem",
    "MajorChangeNotice",
    "Outcome",
    "Policy",
    "PolicySet",
    "PolicyVerdict",
    "builtin_dir",
    "certify",
    "check_contract_change",
    "check_lifecycle",
    "check_transition",
    "find_products",
    "install_builtin_pack",
    "lint_policies",
    "load_policies",
    "major_change_notice",
]
