"""Issue 14 §6: a learner's page costs the coordinator the same queries whatever records the learner holds."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from mentorfold.programs.models import Enrollment, Requirement
from mentorfold.programs.tests.factories import (
    EnrollmentFactory,
    RequirementFactory,
    RequirementRecordFactory,
    TermFactory,
)


def _queries(client: Any, learner: Any, django_assert_max_num_queries: Any) -> int:
    with django_assert_max_num_queries(20) as ctx:
        response = client.get(reverse("learner_detail", args=[learner.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_learner_page_costs_the_same_with_a_shared_approved_record(
    client: Any, coordinator: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    term = TermFactory()
    EnrollmentFactory(term=term, learner=learner, status=Enrollment.Status.ACCEPTED)
    shots = RequirementFactory(program=term.program, kind=Requirement.Kind.IMMUNIZATION, name="Shots")
    RequirementFactory(program=term.program, kind=Requirement.Kind.CONFIDENTIALITY, name="Privacy")
    client.force_login(coordinator)
    before = _queries(client, learner, django_assert_max_num_queries)
    # An approved immunization counts for every immunization requirement: no extra query to find them.
    RequirementRecordFactory(requirement=shots, person=learner.user)
    elsewhere = TermFactory().program
    for n in range(5):
        other = RequirementFactory(name=f"Other {n}", program=elsewhere)
        RequirementRecordFactory(requirement=other, person=learner.user)
    assert _queries(client, learner, django_assert_max_num_queries) == before
    body = client.get(reverse("learner_detail", args=[learner.pk])).content.decode()
    assert "Privacy" in body and "Shots: not done yet" not in body
