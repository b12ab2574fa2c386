"""Property tests against the generated OpenAPI schema (schemathesis): for an anonymous caller and tokens of a
learner, a mentor, a reviewer and a coordinator, no request makes the server fail and every answer matches the
schema (status code listed, JSON body of the declared shape). Bounded: 10 derandomized examples per operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mentorfold.api.api import api

from .factories import World, make_token

# Examples and fuzzing only: the coverage phase multiplies cases well past a minute on a shared CI machine.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
schema.app = WSGIHandler()
schema.location = "/api/v1/openapi.json"

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("anonymous", "learner", "mentor", "reviewer", "coordinator")


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """Calling the WSGI app directly fires request_started/finished, whose close_old_connections would close
    the test's database connection (on PostgreSQL, with CONN_MAX_AGE); Django's test client disconnects it too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def headers_for(world: World, request: pytest.FixtureRequest, settings: Any) -> Any:  # noqa: F811
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT = "100000/m"
    made: dict[str, dict[str, str]] = {"anonymous": {}}

    def headers(role: str) -> dict[str, str]:
        if role not in made:
            person = request.getfixturevalue(role)
            _token, raw = make_token(getattr(person, "user", person))
            made[role] = {"Authorization": f"Bearer {raw}"}
        return made[role]

    return headers


SETTINGS = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _explore(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @SETTINGS
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


@pytest.mark.django_db
def test_api_answers_within_its_schema(headers_for: Any) -> None:
    """One database for all operations and roles (building the world per operation costs seconds each)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for role in ROLES:
        headers = headers_for(role)
        for operation in operations:
            try:
                _explore(operation, headers)
            except Exception as exc:
                raise AssertionError(f"{role}: {operation.label}") from exc
