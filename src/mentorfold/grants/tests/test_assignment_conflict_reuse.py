"""Conflict detection is skipped when nothing it reads has changed (issue 14 §6): a fingerprint of its inputs,
the rules version and the stored conflicts is kept on the cycle; equal means the stored conflicts are reused."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.tests.factories import ReviewerProfileFactory
from mentorfold.grants import conflicts as conflict_detection
from mentorfold.grants import review as reviews
from mentorfold.grants.models import Assignment, Conflict, GrantCycle, ReviewerDeclaration

from .factories import ApplicationFactory, GrantCycleFactory, MedicalSchoolFactory, MedicalStudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_cycle(db: None) -> GrantCycle:
    """Four applications (two from North School) and four reviewers, one of them at North School."""
    north, south = MedicalSchoolFactory(name="North School"), MedicalSchoolFactory(name="South School")
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, reviewers_per_application=2)
    for k, topic in enumerate(("surgery", "pediatrics", "rural medicine", "refugee health")):
        ApplicationFactory(
            cycle=cycle,
            topics=topic,
            personal_statement=f"I care about {topic}",
            applicant=MedicalStudentFactory(school=north if k < 2 else south),
        )
    ReviewerProfileFactory(expertise="surgery", organization=north)
    for topic in ("pediatrics", "rural medicine", "surgery"):
        ReviewerProfileFactory(expertise=topic, organization=None)
    return cycle


@pytest.fixture
def detect_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full detections (the Python rules and the same-school INSERT … SELECT)."""
    calls: list[int] = []
    real_detect, real_insert = conflict_detection.detect, conflict_detection.organization_insert

    def detect(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_detect(*args, **kwargs)

    def insert(*args: Any, **kwargs: Any) -> Any:
        calls.append(2)
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(conflict_detection, "detect", detect)
    monkeypatch.setattr(conflict_detection, "organization_insert", insert)
    return calls


def _conflicts(cycle: GrantCycle) -> set[tuple[Any, ...]]:
    return set(
        Conflict.objects.filter(cycle=cycle).values_list("reviewer_id", "application_id", "source", "status")
    )


def test_a_second_run_with_nothing_changed_reuses_the_stored_conflicts(
    school_cycle: GrantCycle, detect_calls: list[int], django_assert_max_num_queries: Any
) -> None:
    first = reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls and first["found"] == 2
    stored = _conflicts(school_cycle)
    detect_calls.clear()
    with django_assert_max_num_queries(9):
        again = reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls == []
    assert again["found"] == 2 and again["unchanged"] == 1
    assert _conflicts(school_cycle) == stored


def test_a_second_assignment_run_skips_detection_and_still_excludes_the_conflicts(
    school_cycle: GrantCycle, detect_calls: list[int]
) -> None:
    reviews.assignment_run(cycle=school_cycle)
    assert detect_calls
    detect_calls.clear()
    reviews.assignment_run(cycle=school_cycle)
    assert detect_calls == []
    blocked = set(
        Conflict.objects.filter(cycle=school_cycle, status__in=Conflict.BLOCKING).values_list(
            "reviewer_id", "application_id"
        )
    )
    assert len(blocked) == 2
    taken = set(Assignment.objects.filter(cycle=school_cycle).values_list("reviewer_id", "application_id"))
    assert len(taken) == 8 and not (taken & blocked)


def test_a_new_reviewer_at_the_applicants_school_is_detected(
    school_cycle: GrantCycle, detect_calls: list[int]
) -> None:
    reviews.conflicts_detect(cycle=school_cycle)
    detect_calls.clear()
    newcomer = ReviewerProfileFactory(
        organization=MedicalSchoolFactory._meta.model.objects.get(name="North School")
    )
    result = reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls
    assert "unchanged" not in result and result["found"] == 4
    assert Conflict.objects.filter(cycle=school_cycle, reviewer=newcomer.user).count() == 2


def test_a_declaration_or_a_changed_school_name_is_detected(
    school_cycle: GrantCycle, detect_calls: list[int]
) -> None:
    reviews.conflicts_detect(cycle=school_cycle)
    application = school_cycle.applications.order_by("pk").last()
    reviewer = ReviewerProfileFactory(organization=None).user
    detect_calls.clear()
    ReviewerDeclaration.objects.create(
        cycle=school_cycle, reviewer=reviewer, known_people=application.applicant.user.email
    )
    reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls
    assert Conflict.objects.filter(
        cycle=school_cycle, reviewer=reviewer, application=application, source=Conflict.Source.DECLARED
    ).exists()
    detect_calls.clear()
    reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls == []
    MedicalSchoolFactory._meta.model.objects.filter(name="South School").update(name="South College")
    reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls


def test_a_deleted_conflict_or_a_new_rules_version_detects_again(
    school_cycle: GrantCycle, detect_calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    reviews.conflicts_detect(cycle=school_cycle)
    stored = _conflicts(school_cycle)
    Conflict.objects.filter(cycle=school_cycle).order_by("pk").first().delete()
    detect_calls.clear()
    reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls and _conflicts(school_cycle) == stored
    detect_calls.clear()
    monkeypatch.setattr(conflict_detection, "RULES_VERSION", conflict_detection.RULES_VERSION + 1)
    reviews.conflicts_detect(cycle=school_cycle)
    assert detect_calls


def test_reuse_can_be_turned_off(school_cycle: GrantCycle, detect_calls: list[int]) -> None:
    reviews.conflicts_detect(cycle=school_cycle)
    detect_calls.clear()
    reviews.conflicts_detect(cycle=school_cycle, reuse=False)
    assert detect_calls


@pytest.mark.parametrize("change", ["application", "reviewer load"])
def test_a_change_while_conflicts_are_detected_stops_the_run(
    school_cycle: GrantCycle, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The texts are read before conflict detection (the affinity matrix is built beside it): an application
    submitted, or a reviewer's load changed, in between must not be missed by the solve."""
    from django.core.exceptions import ValidationError

    from mentorfold.accounts.models import ReviewerProfile

    real = reviews.conflicts_detect

    def detect_while_someone_writes(*args: Any, **kwargs: Any) -> Any:
        if change == "application":
            ApplicationFactory(cycle=school_cycle, topics="surgery", personal_statement="late but in time")
        else:
            ReviewerProfile.objects.filter(pk=ReviewerProfile.objects.first().pk).update(max_load=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reviews, "conflicts_detect", detect_while_someone_writes)
    with pytest.raises(ValidationError, match="changed while this one was being calculated"):
        reviews.assignment_run(cycle=school_cycle)
    assert not Assignment.objects.filter(cycle=school_cycle).exists()
