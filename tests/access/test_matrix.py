"""The access matrix: 7 principals × 6 ports × (non-sensitive, sensitive) property → allow, mask or deny.

The grants are made through the real workflow (requests, approvals, auto-approval), then every cell is
queried through the enforced path and compared with the published rows.
"""

from __future__ import annotations

import pytest

from quanta.errors import AccessDenied
from tests.access.meshes import COLUMNS, DATA

PORTS = list(DATA)
FLIGHTS, DELAYS, EMPLOYEES, HEADCOUNT, AIRPORTS, CARRIERS = PORTS

#: Expected outcome per principal and port: (non-sensitive column, sensitive column or None).
#: ``allow``: the real values; ``mask``: hashed or nulled values; ``deny``: the statement is refused.
EXPECTED: dict[str, dict[str, tuple[str, str | None]]] = {
    # owner of operations.*; no agreement elsewhere
    "olga": {
        FLIGHTS: ("allow", "allow"),
        DELAYS: ("allow", None),
        EMPLOYEES: ("deny", "deny"),
        HEADCOUNT: ("deny", None),
        AIRPORTS: ("deny", None),
        CARRIERS: ("deny", "deny"),
    },
    # analytics member: team agreement on flights (no PII); own two-level PII agreement on employees
    "ana": {
        FLIGHTS: ("allow", "mask"),
        DELAYS: ("deny", None),
        EMPLOYEES: ("allow", "allow"),
        HEADCOUNT: ("deny", None),
        AIRPORTS: ("deny", None),
        CARRIERS: ("deny", "deny"),
    },
    # analytics member: team agreement on flights; own auto-approved agreement on delays
    "bob": {
        FLIGHTS: ("allow", "mask"),
        DELAYS: ("allow", None),
        EMPLOYEES: ("deny", "deny"),
        HEADCOUNT: ("deny", None),
        AIRPORTS: ("deny", None),
        CARRIERS: ("deny", "deny"),
    },
    # owner of hr.*
    "fiona": {
        FLIGHTS: ("deny", "deny"),
        DELAYS: ("deny", None),
        EMPLOYEES: ("allow", "allow"),
        HEADCOUNT: ("allow", None),
        AIRPORTS: ("deny", None),
        CARRIERS: ("deny", "deny"),
    },
    # governance: auto-approved airports, carriers approved by the owner (no PII)
    "gus": {
        FLIGHTS: ("deny", "deny"),
        DELAYS: ("deny", None),
        EMPLOYEES: ("deny", "deny"),
        HEADCOUNT: ("deny", None),
        AIRPORTS: ("allow", None),
        CARRIERS: ("allow", "mask"),
    },
    # owner of reference.* (team from the ODPS descriptor)
    "rita": {
        FLIGHTS: ("deny", "deny"),
        DELAYS: ("deny", None),
        EMPLOYEES: ("deny", "deny"),
        HEADCOUNT: ("deny", None),
        AIRPORTS: ("allow", None),
        CARRIERS: ("allow", "allow"),
    },
    # a consuming data product (service account in the ops team): owner rights on operations.*, and a
    # PII agreement on carriers
    "operations.flights": {
        FLIGHTS: ("allow", "allow"),
        DELAYS: ("allow", None),
        EMPLOYEES: ("deny", "deny"),
        HEADCOUNT: ("deny", None),
        AIRPORTS: ("deny", None),
        CARRIERS: ("allow", "allow"),
    },
}


def _grant(service) -> None:
    flights = service.request("analytics", FLIGHTS, "route planning", requested_by="ana")
    service.approve(flights.id, "olga")
    employees = service.request("ana", EMPLOYEES, "payroll audit", pii=True, role="hr_reader")
    service.approve(employees.id, "fiona")
    service.approve(employees.id, "gus")
    service.request("bob", DELAYS, "delay dashboard")  # auto-approved by the ODPS port
    service.request("gus", AIRPORTS, "data quality review")  # auto-approved by the contract
    carriers = service.request("gus", CARRIERS, "catalogue review")
    service.approve(carriers.id, "rita")
    product = service.request("operations.flights", CARRIERS, "enrich flights", requested_by="olga", pii=True)
    service.approve(product.id, "rita")


def _outcome(service, principal: str, port: str, column: str) -> str:
    try:
        table = service.query(principal, f'SELECT "{column}" FROM {port}').table
    except AccessDenied:
        return "deny"
    values = sorted(map(str, table.column(column).to_pylist()))
    published = sorted(map(str, DATA[port][column]))
    return "allow" if values == published else "mask"


def test_access_matrix(sqlite_service) -> None:
    _grant(sqlite_service)
    assert len(EXPECTED) >= 5 and all(len(row) == 6 for row in EXPECTED.values())
    found: dict[str, dict[str, tuple[str, str | None]]] = {}
    for principal, row in EXPECTED.items():
        found[principal] = {}
        for port in row:
            plain, sensitive = COLUMNS[port]
            found[principal][port] = (
                _outcome(sqlite_service, principal, port, plain),
                None if sensitive is None else _outcome(sqlite_service, principal, port, sensitive),
            )
    assert found == EXPECTED


def test_every_matrix_decision_is_audited(sqlite_service) -> None:
    _grant(sqlite_service)
    before = len(sqlite_service.audit(limit=10_000))
    for principal in EXPECTED:
        _outcome(sqlite_service, principal, FLIGHTS, "carrier")
    entries = sqlite_service.audit(limit=10_000)
    assert len(entries) == before + len(EXPECTED)
    queries = [e for e in entries[: len(EXPECTED)]]
    assert {e.principal for e in queries} == set(EXPECTED)
    assert {e.decision for e in queries if e.principal in {"gus", "fiona", "rita"}} == {"deny"}
    assert all(e.ports == (FLIGHTS,) and e.statement_hash for e in queries)


@pytest.mark.parametrize("principal", ["ana", "bob"])
def test_masked_hashes_are_stable_so_masked_keys_still_join(sqlite_service, principal: str) -> None:
    _grant(sqlite_service)
    sql = f"SELECT a.tailnum FROM {FLIGHTS} a JOIN {FLIGHTS} b USING (flight) WHERE a.tailnum = b.tailnum"
    assert sqlite_service.query(principal, sql).table.num_rows == 3
