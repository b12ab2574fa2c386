"""Same-school conflicts are written by the database (INSERT … SELECT) with exactly the old rows and counts."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.tests.factories import MentorProfileFactory, ReviewerProfileFactory
from mentorfold.grants import conflicts as conflict_detection
from mentorfold.grants import review as reviews
from mentorfold.grants.models import Application, Assignment, Conflict, Review

from .factories import (
    ApplicationFactory,
    AssignmentFactory,
    GrantCycleFactory,
    MedicalSchoolFactory,
    MedicalStudentFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def _python_pairs(cycle: Any) -> set[tuple[int, int, str, str, str]]:
    """What the Python detection (the reference) finds for the organisation source."""
    return {
        (f.reviewer_id, f.application_id, f.source, f.status, f.reason)
        for f in conflict_detection.detect(cycle)
        if f.source == Conflict.Source.ORGANIZATION
    }


def _stored(cycle: Any) -> set[tuple[int, int, str, str, str]]:
    return set(
        Conflict.objects.filter(cycle=cycle, source=Conflict.Source.ORGANIZATION).values_list(
            "reviewer_id", "application_id", "source", "status", "reason"
        )
    )


@pytest.fixture
def schools_cycle(db: None) -> Any:
    """Two schools; reviewers by reviewer organisation, by mentor organisation, by both, and unrelated."""
    north, south, other = (
        MedicalSchoolFactory(name=n) for n in ("North School", "South School", "Elsewhere")
    )
    cycle = GrantCycleFactory()
    for k in range(6):
        ApplicationFactory(cycle=cycle, applicant=MedicalStudentFactory(school=north if k % 2 else south))
    ApplicationFactory(cycle=cycle, applicant=MedicalStudentFactory(school=north), status="withdrawn")
    ApplicationFactory(applicant=MedicalStudentFactory(school=north))  # another cycle
    ReviewerProfileFactory(organization=north)
    ReviewerProfileFactory(organization=south)
    ReviewerProfileFactory(organization=other)
    both = MentorProfileFactory(organization=north)
    ReviewerProfileFactory(user=both.user, organization=north)
    two_schools = MentorProfileFactory(organization=south)
    ReviewerProfileFactory(user=two_schools.user, organization=north)
    mentor_only = MentorProfileFactory(organization=south)
    ReviewerProfileFactory(user=mentor_only.user, organization=None)
    return cycle


def test_database_insert_matches_the_python_detection_row_for_row(schools_cycle: Any) -> None:
    cycle = schools_cycle
    expected = _python_pairs(cycle)
    result = reviews.conflicts_detect(cycle=cycle)
    assert _stored(cycle) == expected
    assert result[Conflict.Source.ORGANIZATION] == len(expected) == 18
    assert not Conflict.objects.filter(application__status=Application.Status.WITHDRAWN).exists()


def test_small_batches_write_the_same_rows_and_each_stays_within_its_size(
    schools_cycle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycle = schools_cycle
    plan = conflict_detection.organization_plan(cycle, batch_rows=4)
    assert plan.count == 18 and len(plan.ranges) >= 5
    created = reviews.now_value()
    for first, last in plan.ranges:
        assert conflict_detection.organization_insert(cycle, first=first, last=last, created=created) <= 4
    assert _stored(cycle) == _python_pairs(cycle)
    monkeypatch.setattr(reviews, "CONFLICT_BATCH", 3)
    assert reviews.conflicts_detect(cycle=cycle)["found"] == 18


def test_a_rerun_keeps_dismissed_conflicts_dismissed_and_adds_nothing(schools_cycle: Any) -> None:
    cycle = schools_cycle
    reviews.conflicts_detect(cycle=cycle)
    one = Conflict.objects.filter(cycle=cycle).first()
    Conflict.objects.filter(pk=one.pk).update(status=Conflict.Status.DISMISSED)
    before = Conflict.objects.count()
    again = reviews.conflicts_detect(cycle=cycle)
    assert Conflict.objects.count() == before
    assert Conflict.objects.get(pk=one.pk).status == Conflict.Status.DISMISSED
    assert again["found"] == 18


def test_detection_queries_do_not_grow_with_applications(
    schools_cycle: Any, django_assert_max_num_queries: Any
) -> None:
    cycle = schools_cycle
    for _ in range(30):
        ApplicationFactory(
            cycle=cycle, applicant=MedicalStudentFactory(school=cycle.applications.first().applicant.school)
        )
    with django_assert_max_num_queries(20):
        reviews.conflicts_detect(cycle=cycle)
    assert _stored(cycle) == _python_pairs(cycle)


def test_detection_ends_assignments_and_reviews_of_newly_conflicted_pairs_only(schools_cycle: Any) -> None:
    cycle = schools_cycle
    north_app = cycle.applications.filter(
        applicant__school__name="North School", status=Application.Status.SUBMITTED
    ).first()
    north_reviewer = ReviewerProfileFactory(organization=north_app.applicant.school).user
    elsewhere_reviewer = ReviewerProfileFactory(organization=MedicalSchoolFactory(name="Far")).user
    doomed = AssignmentFactory(cycle=cycle, application=north_app, reviewer=north_reviewer)
    ReviewFactory(cycle=cycle, application=north_app, reviewer=north_reviewer)
    kept = AssignmentFactory(cycle=cycle, application=north_app, reviewer=elsewhere_reviewer)
    result = reviews.conflicts_detect(cycle=cycle)
    assert result["assignments_removed"] == 1
    assert not Assignment.objects.filter(pk=doomed.pk).exists()
    assert not Review.objects.filter(application=north_app, reviewer=north_reviewer).exists()
    assert Assignment.objects.filter(pk=kept.pk).exists()
