"""Federation: global policies set once, domain policies added or made stricter, mandatory ones kept.

Global policies come from the mesh's policy folders (``policies:`` in ``mesh.yaml``, ``policies/`` by
default; ``quanta:builtin`` names the built-in pack); each domain may add policies in
``domains/<domain>/policies/``. A domain file whose ``id`` is a global policy's id **overrides** it: it gives
only the fields it changes, the others are inherited.

* A non-mandatory global policy is a default a domain may tune, stricter or looser, or switch off
  (``status: deprecated``).
* A mandatory global policy may only be made stricter: a higher ``severity``, a status closer to
  ``enforced``, an earlier ``enforcedFrom``, ``params`` moved the way ``stricter`` says. Anything that
  disables or weakens it, and any change of its rule, is a lint error (``policy.weakens-mandatory``).
* ``mandatory`` is a global field: a domain policy that sets it is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from quanta.errors import Diagnostic
from quanta.governance.policy import SEVERITIES, STATUSES, Policy, PolicyFile, build_policy, missing_fields

#: How strongly each status holds, for the "stricter" comparison (deprecated = switched off).
_STATUS_STRENGTH = {"deprecated": 0, "draft": 1, "grace": 2, "enforced": 3}


@dataclass
class PolicySet:
    """Every policy of a mesh after federation.

    Attributes:
        global_policies: the global policies, by id.
        domain_policies: for each domain, its own policies and its overrides (already merged), by id.
        diagnostics: every problem found while loading (errors make :meth:`ok` false).
    """

    global_policies: dict[str, Policy] = field(default_factory=dict)
    domain_policies: dict[str, dict[str, Policy]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no policy has an error."""
        return not any(d.severity == "error" for d in self.diagnostics)

    def for_domain(self, domain: str | None) -> list[Policy]:
        """The policies in force for products of ``domain``: globals (with the domain's overrides), then
        the domain's own, in id order."""
        merged = dict(self.global_policies)
        merged.update(self.domain_policies.get(domain or "", {}))
        return [merged[key] for key in sorted(merged)]

    def all(self) -> list[Policy]:
        """Every policy: the globals, then each domain's overrides and additions."""
        out = [self.global_policies[key] for key in sorted(self.global_policies)]
        for domain in sorted(self.domain_policies):
            out.extend(self.domain_policies[domain][key] for key in sorted(self.domain_policies[domain]))
        return out

    def get(self, policy_id: str, domain: str | None = None) -> Policy | None:
        """The policy ``policy_id`` as it applies in ``domain`` (the global one when ``domain`` is None)."""
        if domain and policy_id in self.domain_policies.get(domain, {}):
            return self.domain_policies[domain][policy_id]
        return self.global_policies.get(policy_id)


def federate(global_files: list[PolicyFile], domain_files: dict[str, list[PolicyFile]]) -> PolicySet:
    """Build a :class:`PolicySet` from linted policy files and check the federation rules.

    Args:
        global_files: the global policy files, in load order (a later duplicate id is an error).
        domain_files: each domain's policy files.

    Returns:
        The policy set; its ``diagnostics`` hold the federation problems (duplicate ids, a domain
        weakening a mandatory policy, ``mandatory`` set by a domain, missing fields).
    """
    result = PolicySet()
    for pf in global_files:
        problems = missing_fields(pf)
        if pf.id in result.global_policies:
            first = result.global_policies[pf.id].file
            problems.append(
                _at(pf, "id", "policy.duplicate-id", f"policy id {pf.id!r} is already defined in {first}")
            )
        result.diagnostics.extend(problems)
        if not problems:
            result.global_policies[pf.id] = build_policy(pf, origin="global")
    for domain, files in sorted(domain_files.items()):
        mine: dict[str, Policy] = {}
        for pf in files:
            problems: list[Diagnostic] = []
            if "mandatory" in pf.data:
                problems.append(
                    _at(
                        pf,
                        "mandatory",
                        "policy.domain-mandatory",
                        "`mandatory` can only be set on a global policy; remove it from the domain policy",
                    )
                )
            if pf.id in mine:
                problems.append(
                    _at(
                        pf,
                        "id",
                        "policy.duplicate-id",
                        f"policy id {pf.id!r} is defined twice in domain {domain}",
                    )
                )
            base = result.global_policies.get(pf.id)
            if base is None:
                problems.extend(missing_fields(pf))
                policy = None if problems else build_policy(pf, origin="domain", domain=domain)
            else:
                problems.extend(weakening(base, pf))
                policy = None if problems else _override(base, pf, domain)
            result.diagnostics.extend(problems)
            if policy is not None:
                mine[pf.id] = policy
        if mine:
            result.domain_policies[domain] = mine
    return result


def _override(base: Policy, pf: PolicyFile, domain: str) -> Policy:
    """Merge a domain override onto its global policy."""
    data = {**_as_data(base), **{k: v for k, v in pf.data.items() if k != "mandatory"}}
    merged = build_policy(PolicyFile(data, pf.file, pf.positions), origin="domain", domain=domain)
    return replace(merged, mandatory=base.mandatory)


def _as_data(policy: Policy) -> dict[str, Any]:
    data = policy.to_dict()
    for key in ("origin", "domain", "file"):
        data.pop(key, None)
    data.setdefault("params", policy.params)
    return data


def weakening(base: Policy, pf: PolicyFile) -> list[Diagnostic]:
    """The ways a domain override ``pf`` weakens the mandatory global policy ``base`` (empty when it
    does not, or when ``base`` is not mandatory)."""
    if not base.mandatory:
        return []
    data, out = pf.data, []

    def weaker(key: str, what: str) -> None:
        message = (
            f"domain policy weakens the mandatory global policy {base.id!r} ({base.file}): {what}; "
            "a domain may only make a mandatory policy stricter"
        )
        out.append(_at(pf, key, "policy.weakens-mandatory", message))

    if data.get("severity") in SEVERITIES and SEVERITIES.index(data["severity"]) < SEVERITIES.index(
        base.severity
    ):
        weaker("severity", f"severity lowered from {base.severity} to {data['severity']}")
    if data.get("status") in STATUSES and _STATUS_STRENGTH[data["status"]] < _STATUS_STRENGTH[base.status]:
        weaker("status", f"status changed from {base.status} to {data['status']}")
    if "enforcedFrom" in data and base.enforced_from is not None:
        from quanta.governance.policy import _parse_date

        day = _parse_date(data["enforcedFrom"])
        if day is not None and day > base.enforced_from:
            weaker("enforcedFrom", f"enforcedFrom delayed from {base.enforced_from} to {day}")
    if "rule" in data and _rule_of(data["rule"]) != base.rule_text:
        weaker("rule", "its rule was replaced (add a new policy with its own id for an extra rule)")
    if "when" in data and (str(data["when"]).strip() or None) != base.when:
        weaker("when", "its `when` filter was changed")
    if "scope" in data and data["scope"] != base.scope:
        weaker("scope", f"scope changed from {base.scope} to {data['scope']}")
    for name, value in (data.get("params") or {}).items() if isinstance(data.get("params"), dict) else ():
        old = base.params.get(name)
        way = base.stricter.get(name)
        if value == old:
            continue
        try:
            ok = (way == "higher" and value >= old) or (way == "lower" and value <= old)
        except TypeError:
            ok = False
        if not ok:
            how = (
                f"the policy declares stricter.{name}: {way}"
                if way
                else "the policy declares no direction for it"
            )
            weaker("params", f"param {name} changed from {old!r} to {value!r} ({how})")
    return out


def _rule_of(rule: Any) -> str:
    if isinstance(rule, dict) and "python" in rule:
        return f"python: {rule['python']}"
    if isinstance(rule, dict):
        return str(rule.get("cel", "")).strip()
    return str(rule).strip()


def _at(pf: PolicyFile, key: str, code: str, message: str) -> Diagnostic:
    line, column = pf.where(key)
    return Diagnostic(code, message, path=key, line=line, column=column, file=pf.file)
