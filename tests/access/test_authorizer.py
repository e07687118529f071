"""Cedar decisions from agreement policies, the built-in owner policy and a mesh's own .cedar files."""

from __future__ import annotations

import time
from pathlib import Path

import cedarpy
import pytest

from quanta.access.authorizer import (
    BUILTIN_POLICIES,
    SCHEMA,
    Authorizer,
    PrincipalRef,
    agreement_policy,
    load_policy_files,
)
from quanta.access.catalog import AccessCatalog, ColumnRule, PortInfo, Team
from quanta.errors import ConfigError

FLIGHTS = PortInfo(
    "operations",
    "flights",
    "flights",
    "1.0.0",
    "operations.flights.flights",
    "1.0.0",
    "ops",
    "x",
    (ColumnRule("carrier"), ColumnRule("tailnum", True)),
)
SALARIES = PortInfo(
    "hr", "people", "salaries", "1.0.0", "hr.people.salaries", "2.0.0", "hr", "y", (ColumnRule("pay", True),)
)
CATALOG = AccessCatalog(
    ports={p.key: p for p in (FLIGHTS, SALARIES)},
    teams={
        "ops": Team("ops", frozenset({"olga"})),
        "analytics": Team("analytics", frozenset({"ana", "bob"})),
    },
)
ANA = PrincipalRef("ana", "user", frozenset({"analytics"}))
OLGA = PrincipalRef("olga", "user", frozenset({"ops"}))


def test_schema_and_builtin_policies_validate() -> None:
    assert cedarpy.validate_policies(BUILTIN_POLICIES, SCHEMA).validation_passed
    text = agreement_policy(
        "a1", consumer="analytics", consumer_kind="team", port=FLIGHTS.key, pii=True, ends_at=2e9
    )
    assert cedarpy.validate_policies(text, SCHEMA).validation_passed


def test_default_is_deny() -> None:
    [decision] = Authorizer(CATALOG).decide(ANA, [FLIGHTS], [])
    assert not decision.query and not decision.pii


def test_owner_team_reads_its_port_with_pii() -> None:
    [decision] = Authorizer(CATALOG).decide(OLGA, [FLIGHTS], [])
    assert decision.query and decision.pii
    assert decision.agreements == ()


def test_team_agreement_covers_members_and_traces_the_agreement() -> None:
    policy = agreement_policy(
        "agr-1", consumer="analytics", consumer_kind="team", port=FLIGHTS.key, pii=False, ends_at=None
    )
    flights, salaries = Authorizer(CATALOG).decide(ANA, [FLIGHTS, SALARIES], [("agr-1", policy)])
    assert flights.query and not flights.pii and flights.agreements == ("agr-1",)
    assert not salaries.query


def test_end_date_is_enforced_by_the_policy_itself() -> None:
    policy = agreement_policy(
        "a", consumer="ana", consumer_kind="user", port=FLIGHTS.key, pii=True, ends_at=time.time() - 1
    )
    [decision] = Authorizer(CATALOG).decide(ANA, [FLIGHTS], [("a", policy)])
    assert not decision.query


def test_a_user_agreement_does_not_cover_teammates() -> None:
    policy = agreement_policy(
        "a", consumer="ana", consumer_kind="user", port=FLIGHTS.key, pii=False, ends_at=None
    )
    bob = PrincipalRef("bob", "user", frozenset({"analytics"}))
    [decision] = Authorizer(CATALOG).decide(bob, [FLIGHTS], [("a", policy)])
    assert not decision.query


def test_custom_forbid_policy_wins_over_an_agreement(tmp_path: Path) -> None:
    (tmp_path / "no-pii-outside-ops.cedar").write_text(
        "// Sensitive values never leave the ops team.\n"
        'forbid (principal, action == Quanta::Action::"readPii", resource)\n'
        '  unless { principal in Quanta::Team::"ops" };\n'
    )
    policy = agreement_policy(
        "a", consumer="ana", consumer_kind="user", port=FLIGHTS.key, pii=True, ends_at=None
    )
    authorizer = Authorizer(CATALOG, load_policy_files(tmp_path))
    [decision] = authorizer.decide(ANA, [FLIGHTS], [("a", policy)])
    assert decision.query and not decision.pii
    [owner] = authorizer.decide(OLGA, [FLIGHTS], [])
    assert owner.pii


def test_custom_permit_policy_by_domain(tmp_path: Path) -> None:
    (tmp_path / "open-operations.cedar").write_text(
        'permit (principal in Quanta::Team::"analytics", action == Quanta::Action::"query",\n'
        '        resource in Quanta::Domain::"operations");\n'
    )
    [flights, salaries] = Authorizer(CATALOG, load_policy_files(tmp_path)).decide(
        ANA, [FLIGHTS, SALARIES], []
    )
    assert flights.query and not flights.agreements
    assert not salaries.query


def test_invalid_policy_file_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.cedar").write_text(
        'permit (principal, action == Quanta::Action::"drop", resource);\n'
    )
    with pytest.raises(ConfigError, match=r"broken\.cedar"):
        load_policy_files(tmp_path)


def test_names_are_quoted_safely() -> None:
    text = agreement_policy(
        'x"y', consumer='ev"il\\', consumer_kind="user", port=FLIGHTS.key, pii=False, ends_at=None
    )
    assert cedarpy.validate_policies(text, SCHEMA).validation_passed
    with pytest.raises(ConfigError):
        agreement_policy(
            "x", consumer="bad\nname", consumer_kind="user", port=FLIGHTS.key, pii=False, ends_at=None
        )


def test_a_team_principal_is_decided_for_itself() -> None:
    analytics = PrincipalRef("analytics", "team", frozenset({"analytics"}))
    policy = agreement_policy(
        "a", consumer="analytics", consumer_kind="team", port=FLIGHTS.key, pii=False, ends_at=None
    )
    flights, salaries = Authorizer(CATALOG).decide(analytics, [FLIGHTS, SALARIES], [("a", policy)])
    assert flights.query and not salaries.query
    [own] = Authorizer(CATALOG).decide(PrincipalRef("ops", "team", frozenset({"ops"})), [FLIGHTS], [])
    assert own.query and own.pii
