"""Schemathesis against the served OpenAPI spec: generated requests never make the server fail (5xx)."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.server import MESH, running


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    """The app's OpenAPI document, loaded from a real uvicorn server over the test mesh."""
    from quanta.api import ServeSettings
    from quanta.web import create_app

    mesh = tmp_path_factory.mktemp("fuzz") / "mesh"
    shutil.copytree(MESH, mesh)
    app = create_app(ServeSettings(mesh_root=mesh, anonymous_discovery=True, webhook_attempts=1))
    with running(app) as url:
        yield schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")


def test_no_server_errors(api_schema):
    """Every operation, with generated valid and invalid inputs, answers without a 5xx."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, "the spec describes the API and the gateway"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(checks=[not_a_server_error])

        call()
