"""Semantic rules the JSON Schemas cannot express, each with its own diagnostic code.

Every rule takes the plain document data and yields :class:`Finding` records (code, message, JSON path,
severity); :func:`quanta.spec.validate.validate` adds file positions. Codes (see ``docs/standards.md``):

=============================  ==========================================================================
``odcs.version``               ``version`` is not SemVer ``MAJOR.MINOR.PATCH`` (ODCS fundamentals)
``odcs.status``                ``status`` outside proposed/draft/active/deprecated/retired (warning)
``odcs.duplicate-name``        two schema objects, or two properties of one object, share a name
``odcs.duplicate-id``          two elements share an ``id`` (ODCS v3.1 stable ids)
``odcs.key-position``          ``primaryKeyPosition``/``partitionKeyPosition`` not 1..n without gaps
``odcs.logical-type-options``  ``logicalTypeOptions`` that do not fit the ``logicalType``
``odcs.quality-operator``      a quality rule with no operator (v3.1 library/sql) or more than one
``odcs.between``               ``mustBeBetween``/``mustNotBeBetween`` not two ascending numbers
``odcs.relationship-target``   a relationship whose ``from``/``to`` names no existing property
``odcs.sla-dates``             lifecycle dates not in order (generalAvailability < endOfSupport ≤ endOfLife)
``odcs.credentials``           a password, token or secret key written into the contract
``odps.no-output-port``        a data product without output ports
``odps.duplicate-name``        two ports of one product share a name and a version
=============================  ==========================================================================
"""

from __future__ import annotations

from typing import Any

from quanta.spec.rules._base import Finding, PathTuple
from quanta.spec.rules.fundamentals import SEMVER, STATUSES, check_status, check_version
from quanta.spec.rules.lifecycle import check_sla_dates
from quanta.spec.rules.product import check_product
from quanta.spec.rules.quality import OPERATORS, check_quality
from quanta.spec.rules.relationships import check_relationships
from quanta.spec.rules.secrets import check_credentials
from quanta.spec.rules.structure import (
    LOGICAL_TYPE_OPTIONS,
    check_ids,
    check_key_positions,
    check_logical_type_options,
    check_names,
)

__all__ = [
    "LOGICAL_TYPE_OPTIONS",
    "OPERATORS",
    "SEMVER",
    "STATUSES",
    "Finding",
    "PathTuple",
    "check_credentials",
    "check_ids",
    "check_key_positions",
    "check_logical_type_options",
    "check_names",
    "check_product",
    "check_quality",
    "check_relationships",
    "check_sla_dates",
    "check_status",
    "check_version",
    "run_rules",
]


CONTRACT_RULES = (
    check_version,
    check_status,
    check_names,
    check_ids,
    check_key_positions,
    check_logical_type_options,
    check_quality,
    check_relationships,
    check_sla_dates,
    check_credentials,
)


PRODUCT_RULES = (check_product, check_credentials)


def run_rules(
    data: dict[str, Any], kind: str, *, known_objects: dict[str, set[str]] | None = None
) -> list[Finding]:
    """Run every semantic rule for ``kind`` (``DataContract`` or ``DataProduct``) over ``data``.

    Args:
        data: the document as plain data.
        kind: the document kind.
        known_objects: inside a mesh, the schema objects of every contract of the mesh (name → property
            names), so that relationships into other contracts are resolved; ``None`` outside a mesh.

    Returns:
        The findings, in rule order.
    """
    rules = CONTRACT_RULES if kind == "DataContract" else PRODUCT_RULES
    findings: list[Finding] = []
    for rule in rules:
        if rule is check_relationships:
            findings.extend(check_relationships(data, known_objects))
        else:
            findings.extend(rule(data))
    return findings
