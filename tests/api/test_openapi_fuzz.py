"""Schemathesis against the served OpenAPI spec: generated requests never make the server fail (5xx)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.server import running


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real uvicorn server over the built test mesh, its OpenAPI document, and the principals' tokens."""
    from quanta.api import ServeSettings
    from quanta.web import create_app
    from tests.api.built import build_mesh

    mesh = build_mesh(tmp_path_factory.mktemp("fuzz") / "mesh")
    app = create_app(ServeSettings(mesh_root=mesh.root, anonymous_discovery=True, webhook_attempts=1))
    with running(app) as url:
        yield schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json"), mesh.tokens


@pytest.mark.parametrize("caller", [None, "carl", "olga"], ids=["anonymous", "consumer", "owner"])
def test_no_server_errors(served, caller):
    """Every operation, with generated valid and invalid inputs, answers without a 5xx: anonymously (only
    discovery answers; the rest is 401) and with the bearer token of a consumer and of an owner, so the
    data, query, agreement, control and subscription endpoints are fuzzed past authentication too."""
    api_schema, tokens = served
    headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller else None
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, "the spec describes the API and the gateway"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        call()
