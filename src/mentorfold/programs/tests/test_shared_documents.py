"""Issue 11 #9: one approved immunization record counts for every clinic, unless a clinic insists on its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mentorfold.programs import compliance
from mentorfold.programs.models import Requirement

from .conftest import approve_all
from .factories import EnrollmentFactory, RequirementFactory, RequirementRecordFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clinics(program: Any) -> tuple[Any, Any]:
    first, second = SiteFactory(name="Harbor Clinic"), SiteFactory(name="Hilltop Clinic")
    program.sites.add(first, second)
    for site in (first, second):
        RequirementFactory(site=site, name=f"Immunizations for {site.name}")
    return first, second


def _immunization(site: Any) -> Any:
    return Requirement.objects.get(site=site, kind=Requirement.Kind.IMMUNIZATION)


def test_one_approved_immunization_record_counts_at_every_clinic(
    learner: Any, program: Any, two_clinics: tuple[Any, Any]
) -> None:
    first, second = two_clinics
    approve_all(learner.user, program)  # the program's own requirements
    RequirementRecordFactory(requirement=_immunization(first), person=learner.user)
    assert compliance.learner_blockers(learner, program=program, site=second) == []
    assert compliance.cleared_learner_site_pairs(
        learners=[learner], sites=[first, second], program=program
    ) == {
        (learner.pk, first.pk),
        (learner.pk, second.pk),
    }


def test_a_clinic_that_needs_its_own_document_still_asks_for_it(
    learner: Any, program: Any, two_clinics: tuple[Any, Any]
) -> None:
    first, second = two_clinics
    Requirement.objects.filter(pk=_immunization(second).pk).update(needs_own_document=True)
    approve_all(learner.user, program)
    RequirementRecordFactory(requirement=_immunization(first), person=learner.user)
    blockers = compliance.learner_blockers(learner, program=program, site=second)
    assert [(b.code, b.requirement_id) for b in blockers] == [("missing", _immunization(second).pk)]
    assert compliance.cleared_learner_site_pairs(
        learners=[learner], sites=[first, second], program=program
    ) == {(learner.pk, first.pk)}


def test_a_pending_or_rejected_record_is_never_shared(
    learner: Any, program: Any, two_clinics: tuple[Any, Any]
) -> None:
    first, second = two_clinics
    RequirementRecordFactory(requirement=_immunization(first), person=learner.user, status="submitted")
    states = compliance.latest_record_states([learner.user_id], [_immunization(second).pk])
    assert states == {}


def test_the_shared_record_that_lasts_longest_wins(
    learner: Any, program: Any, two_clinics: tuple[Any, Any]
) -> None:
    first, second = two_clinics
    today = timezone.localdate()
    RequirementRecordFactory(
        requirement=_immunization(second), person=learner.user, expires_on=today - timedelta(days=1)
    )
    RequirementRecordFactory(
        requirement=_immunization(first), person=learner.user, expires_on=today + timedelta(days=300)
    )
    by_ids = compliance.latest_record_states([learner.user_id], [_immunization(second).pk])
    by_objects = compliance.latest_record_states([learner.user_id], [_immunization(second)])
    assert by_ids == by_objects
    assert by_ids[(learner.user_id, _immunization(second).pk)].expires_on == today + timedelta(days=300)


def test_a_mentor_background_check_does_not_count_for_learner_requirements(
    learner: Any, mentor: Any, program: Any, two_clinics: tuple[Any, Any]
) -> None:
    first, _second = two_clinics
    background = program.requirements.get(kind=Requirement.Kind.BACKGROUND_CHECK)
    RequirementRecordFactory(requirement=background, person=mentor.user)
    RequirementFactory(site=first, kind=Requirement.Kind.BACKGROUND_CHECK, name="Learner background check")
    learner_check = Requirement.objects.get(site=first, kind=Requirement.Kind.BACKGROUND_CHECK)
    assert compliance.latest_record_states([learner.user_id], [learner_check]) == {}


def test_my_requirements_shows_the_second_clinic_as_done(
    client: Any, learner: Any, term: Any, two_clinics: tuple[Any, Any], django_assert_max_num_queries: Any
) -> None:
    first, second = two_clinics
    EnrollmentFactory(term=term, learner=learner)
    RequirementRecordFactory(requirement=_immunization(first), person=learner.user)
    client.force_login(learner.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("programs:my_requirements"))
    rows = {row["requirement"].pk: row["status"] for row in response.context["rows"]}
    assert rows[_immunization(first).pk] == rows[_immunization(second).pk] == "approved"
