"""The admin works for every programs model, and coordinators' changes there are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.core.models import AuditEvent
from mentorfold.programs.models import Program

from .factories import EnrollmentFactory, RequirementRecordFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "program",
    "site",
    "term",
    "enrollment",
    "mentortermoptin",
    "requirement",
    "requirementrecord",
    "document",
    "importbatch",
]


@pytest.fixture
def staff_coordinator(coordinator: Any) -> Any:
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    return coordinator


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelists_load(client: Any, staff_coordinator: Any, term: Any, model: str) -> None:
    EnrollmentFactory(term=term)
    RequirementRecordFactory(requirement=term.program.requirements.first())
    client.force_login(staff_coordinator)
    assert client.get(reverse(f"admin:programs_{model}_changelist")).status_code == 200


def test_adding_a_program_in_the_admin_adds_standard_requirements_and_is_audited(
    client: Any, staff_coordinator: Any
) -> None:
    client.force_login(staff_coordinator)
    data = {
        "name": "Pre-med clinical exposure",
        "slug": "pre-med",
        "description": "Clinic shadowing for pre-meds.",
        "eligible_stages": '["undergraduate"]',
        "min_age": 18,
        "max_hours_per_experience": 40,
        "max_bookings_per_week": 3,
        "region": "",
        "is_public": "on",
        "terms-TOTAL_FORMS": 0,
        "terms-INITIAL_FORMS": 0,
        "requirements-TOTAL_FORMS": 0,
        "requirements-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:programs_program_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    program = Program.objects.get(slug="pre-med")
    assert program.requirements.filter(kind="guardian_consent", minors_only=True).exists()
    assert AuditEvent.objects.filter(action="admin.program.add", actor=staff_coordinator).exists()


def test_the_admin_is_closed_to_learners(client: Any, learner: Any) -> None:
    client.force_login(learner.user)
    response = client.get(reverse("admin:programs_requirementrecord_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
