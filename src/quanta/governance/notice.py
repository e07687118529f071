"""What consumers must be told when a contract changes in a major way (the build sends it).

A major change publishes a new major version of the port next to the old one; the old one keeps being
built and served until its ``endOfSupport`` / ``endOfLife`` SLA dates. :func:`major_change_notice` says
what changed and until when the old version lives; :meth:`MajorChangeNotice.affects` tells, for an access
agreement's contract version, whether its holder must be notified. Listing the agreements is the access
layer's (``AccessStore.agreements(port=..., states=[...])``); the build, which sees both layers, joins
them and emits the notice through the product's event subscriptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quanta.errors import SpecError
from quanta.spec.diff import Change, diff_contracts, parse_semver
from quanta.spec.sunset import END_OF_LIFE, END_OF_SUPPORT, sla_value


@dataclass(frozen=True)
class MajorChangeNotice:
    """A major change of one contract, as consumers of the old version must hear it.

    Attributes:
        contract_id: the contract.
        old_version: the version consumers hold agreements on; ``new_version``: the new major version.
        end_of_support: the old version's ``endOfSupport`` SLA value (no fixes after it), if stated.
        end_of_life: the old version's ``endOfLife`` SLA value (no access after it), if stated.
        changes: the major changes, each with its path and reason.
    """

    contract_id: str
    old_version: str
    new_version: str
    end_of_support: str | None = None
    end_of_life: str | None = None
    changes: list[Change] = field(default_factory=list)

    def affects(self, agreement_contract_version: str | None) -> bool:
        """Whether an agreement granted on ``agreement_contract_version`` is on the old major version."""
        try:
            return parse_semver(agreement_contract_version)[0] < parse_semver(self.new_version)[0]
        except SpecError:
            return False

    def to_event(self) -> dict[str, Any]:
        """The payload of the ``contract.major_change`` event sent to the product's subscribers."""
        return {
            "type": "contract.major_change",
            "contractId": self.contract_id,
            "oldVersion": self.old_version,
            "newVersion": self.new_version,
            "endOfSupport": self.end_of_support,
            "endOfLife": self.end_of_life,
            "changes": [{"path": c.path, "kind": c.kind, "message": c.message} for c in self.changes],
        }


def major_change_notice(old: Any, new: Any) -> MajorChangeNotice | None:
    """The notice for consumers of ``old`` when ``new`` is a major change of it, else ``None``.

    Args:
        old: the published version (a :class:`quanta.spec.Contract` or its plain ``dict``).
        new: the new version.

    Raises:
        SpecError: a ``version`` is not SemVer.
    """
    result = diff_contracts(old, new)
    if result.required != "major":
        return None
    plain = old.to_plain() if hasattr(old, "to_plain") else old
    return MajorChangeNotice(
        contract_id=str(plain.get("id")),
        old_version=result.old_version,
        new_version=result.new_version,
        end_of_support=sla_value(plain, END_OF_SUPPORT),
        end_of_life=sla_value(plain, END_OF_LIFE),
        changes=[c for c in result.changes if c.level == "major"],
    )
