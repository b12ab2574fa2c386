"""Every endpoint of the OpenAPI schema × every role, with real objects owned by other people.

Add a new endpoint and this test fails until the matrix says what each role gets from it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from mentorfold.api.api import api

from .factories import World, bearer, make_token

ROLES = (
    "anonymous",
    "learner",
    "other_learner",
    "minor_learner",
    "guardian",
    "mentor",
    "other_mentor",
    "reviewer",
    "conflicted_reviewer",
    "coordinator",
)
SIGNED_IN = ROLES[1:]


def everyone(status: int, *, anonymous: int = 401) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def only(allowed: dict[str, int], otherwise: int) -> dict[str, int]:
    return {"anonymous": 401, **{role: allowed.get(role, otherwise) for role in SIGNED_IN}}


LEARNERS = ("learner", "other_learner", "minor_learner")

# (method, schema path) -> expected status per role.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("get", "/api/v1/programs"): everyone(200, anonymous=200),
    ("get", "/api/v1/programs/{slug}"): everyone(200, anonymous=200),
    ("get", "/api/v1/terms"): everyone(200, anonymous=200),
    ("get", "/api/v1/terms/{term_id}"): everyone(200, anonymous=200),
    ("get", "/api/v1/sites"): everyone(200),
    ("get", "/api/v1/sites/{site_id}"): everyone(200),
    ("get", "/api/v1/mentors"): everyone(200),
    ("get", "/api/v1/mentors/{mentor_id}"): everyone(200),
    ("get", "/api/v1/me"): everyone(200),
    ("get", "/api/v1/me/enrollments"): only(dict.fromkeys(LEARNERS, 200), 403),
    ("get", "/api/v1/me/applications"): only(dict.fromkeys(LEARNERS, 200), 403),
    ("get", "/api/v1/match-runs"): only({"coordinator": 200}, 403),
    ("get", "/api/v1/match-runs/{run_id}"): only({"coordinator": 200}, 403),
    ("get", "/api/v1/match-runs/{run_id}/results"): only({"coordinator": 200}, 403),
    ("get", "/api/v1/slots"): only(
        {**dict.fromkeys(LEARNERS, 200), "mentor": 200, "other_mentor": 200, "coordinator": 200}, 403
    ),
    # Only the learner is enrolled and matched; the other learners are refused by the booking service.
    ("post", "/api/v1/slots/{slot_id}/book"): only(
        {"learner": 201, "other_learner": 400, "minor_learner": 400}, 403
    ),
    ("get", "/api/v1/bookings"): only(
        {
            **dict.fromkeys(LEARNERS, 200),
            "guardian": 200,
            "mentor": 200,
            "other_mentor": 200,
            "coordinator": 200,
        },
        403,
    ),
    ("get", "/api/v1/bookings/{booking_id}"): only({"learner": 200, "mentor": 200, "coordinator": 200}, 404),
    ("post", "/api/v1/bookings/{booking_id}/cancel"): only(
        {"learner": 200, "mentor": 200, "coordinator": 200}, 404
    ),
    ("get", "/api/v1/me/terms/{term_id}/preferences"): only(
        {"learner": 200, "other_learner": 404, "minor_learner": 404}, 403
    ),
    ("put", "/api/v1/me/terms/{term_id}/preferences"): only(
        {"learner": 200, "other_learner": 404, "minor_learner": 404}, 403
    ),
    ("get", "/api/v1/me/requirements"): only(
        {**dict.fromkeys(LEARNERS, 200), "mentor": 200, "other_mentor": 200}, 403
    ),
    ("get", "/api/v1/me/hours"): only(dict.fromkeys(LEARNERS, 200), 403),
    ("get", "/api/v1/me/certificates"): only(dict.fromkeys(LEARNERS, 200), 403),
    ("get", "/api/v1/grant-cycles"): everyone(200),
    ("get", "/api/v1/grant-cycles/{cycle_id}"): everyone(200),
    ("get", "/api/v1/reviews"): only({"reviewer": 200, "conflicted_reviewer": 200}, 403),
    ("get", "/api/v1/reviews/{application_id}"): only({"reviewer": 200}, 404),
    ("post", "/api/v1/reviews/{application_id}"): only({"reviewer": 200}, 404),
    ("post", "/api/v1/reviews/{application_id}/conflict"): only({"reviewer": 200}, 404),
}

BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/bookings/{booking_id}/cancel": {"reason": "I have an exam that day."},
    "/api/v1/reviews/{application_id}": {
        "scores": {"story": 4, "community": 5, "need": 3, "plan": 4},
        "comments": {"story": "Clear and personal."},
        "submit": True,
    },
    "/api/v1/reviews/{application_id}/conflict": {"reason": "I taught this student."},
    "/api/v1/me/terms/{term_id}/preferences": {"mentor_ids": []},
}


def schema_operations() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return sorted((method, path) for path, methods in paths.items() for method in methods)


def fill(path: str, world: World) -> str:
    values = {
        "slug": world.program.slug,
        "term_id": world.term.pk,
        "site_id": world.site.pk,
        "mentor_id": world.mentor.pk,
        "run_id": world.run.pk,
        "slot_id": world.slot.pk,
        "booking_id": world.booking.pk,
        "cycle_id": world.cycle.pk,
        "application_id": world.application.pk,
    }
    return path.format(**values)


def test_every_schema_operation_has_an_expectation_for_every_role() -> None:
    operations = schema_operations()
    missing = [op for op in operations if op not in MATRIX]
    stale = [op for op in MATRIX if op not in operations]
    assert not missing, f"Add these endpoints to MATRIX in test_matrix.py: {missing}"
    assert not stale, f"MATRIX names endpoints the API no longer has: {stale}"
    for op, expected in MATRIX.items():
        assert set(expected) == set(ROLES), op


def _clients(request: pytest.FixtureRequest) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role in SIGNED_IN:
        person = request.getfixturevalue(role)
        user = getattr(person, "user", person)
        _token, raw = make_token(user)
        clients[role] = Client(**bearer(raw))
    return clients


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(MATRIX), ids=lambda op: f"{op[0]} {op[1]}")
def test_authorization_matrix(
    operation: tuple[str, str], world: World, request: pytest.FixtureRequest
) -> None:
    method, path = operation
    url = fill(path, world)
    clients = _clients(request)
    got = {}
    for role in ROLES:
        # Each role meets the same state: a write by one role is rolled back before the next asks.
        with transaction.atomic():
            if method == "get":
                response = clients[role].get(url)
            else:
                body = json.dumps(BODIES.get(path, {}))
                response = clients[role].generic(method.upper(), url, body, content_type="application/json")
            transaction.set_rollback(True)
        got[role] = response.status_code
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"detail", "errors"} and body["detail"], (role, body)
    assert got == MATRIX[operation]
