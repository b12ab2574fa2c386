"""Decisions lock the row and re-check its state: a second decision on the same thing is refused clearly."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from mentorfold.core.models import Notice
from mentorfold.programs import services
from mentorfold.programs.models import Enrollment, RequirementRecord

from .factories import EnrollmentFactory, RequirementRecordFactory

pytestmark = pytest.mark.django_db


def test_deciding_an_already_decided_application_is_refused(
    learner: Any, term: Any, coordinator: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=learner)
    stale = Enrollment.objects.get(
        pk=enrollment.pk
    )  # a second coordinator's page, loaded before the first click
    services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
    with pytest.raises(ValidationError, match="already accepted") as caught:
        services.enrollment_decide(enrollment=stale, actor=coordinator, decision="decline", reason="Full")
    assert caught.value.code == "already_decided"
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACCEPTED and enrollment.decision_reason == ""


def test_a_waitlisted_application_can_still_be_accepted_but_not_waitlisted_twice(
    learner: Any, term: Any, coordinator: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=learner)
    services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="waitlist")
    with pytest.raises(ValidationError, match="already waitlisted"):
        services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="waitlist")
    services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACCEPTED


def test_the_learner_is_told_only_once_the_decision_is_committed(
    learner: Any, term: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=learner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
    assert not Notice.objects.filter(user=learner.user).exists()
    for callback in callbacks:
        callback()
    assert "accepted" in Notice.objects.get(user=learner.user).text


def test_a_double_click_on_decide_shows_a_clear_message(
    client: Any, learner: Any, term: Any, coordinator: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=learner)
    client.force_login(coordinator)
    url = reverse("programs:enrollment_decide", args=[enrollment.pk])
    client.post(url, {"decision": "accept"})
    response = client.post(url, {"decision": "decline", "reason": "Full"}, follow=True)
    assert "already accepted" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACCEPTED


def test_reviewing_an_already_reviewed_submission_is_refused(
    learner: Any, program: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    requirement = program.requirements.get(kind="confidentiality")
    record = RequirementRecordFactory(requirement=requirement, person=learner.user, status="submitted")
    stale = RequirementRecord.objects.get(pk=record.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.requirement_record_review(record=record, actor=coordinator, approve=True)
    with pytest.raises(ValidationError, match="already reviewed") as caught:
        services.requirement_record_review(record=stale, actor=coordinator, approve=False, note="Blurry")
    assert caught.value.code == "already_reviewed"
    record.refresh_from_db()
    assert record.status == RequirementRecord.Status.APPROVED
    assert Notice.objects.get(user=learner.user).text.endswith("approved.")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_deciding_at_once_make_one_decision(
    learner: Any, term: Any, coordinator: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=learner)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(decision: str) -> None:
        barrier.wait()
        try:
            services.enrollment_decide(
                enrollment=enrollment, actor=coordinator, decision=decision, reason="r"
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(d,)) for d in ("accept", "decline")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("programs:queue", "?kind=<script>"),
        ("programs:queue", "?page=-1"),
        ("programs:enrollments", "?status=everything"),
        ("programs:enrollments", "?term=1e9999"),
        ("programs:enrollments", "?term=99999999999999999999"),
    ],
)
def test_hostile_list_filters_are_a_400_not_silently_replaced(
    client: Any, coordinator: Any, name: str, query: str
) -> None:
    client.force_login(coordinator)
    assert client.get(reverse(name) + query).status_code == 400


def test_list_filters_still_work(client: Any, coordinator: Any, learner: Any, term: Any) -> None:
    EnrollmentFactory(term=term, learner=learner)
    client.force_login(coordinator)
    response = client.get(reverse("programs:enrollments") + f"?term={term.pk}&status=")
    assert response.status_code == 200 and "Amina Hassan" in response.content.decode()
    assert client.get(reverse("programs:queue") + "?kind=immunization&page=3").status_code == 200
