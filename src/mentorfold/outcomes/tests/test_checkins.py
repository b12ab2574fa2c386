"""The yearly "where are you now" e-mail: one personal link per past learner and year, mailed once."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mentorfold.programs.models import Enrollment
from mentorfold.programs.tests.factories import EnrollmentFactory, TermFactory

from .. import checkins
from ..models import PipelineCheckin, PipelineStage
from ..tasks import send_pipeline_checkin_mail

pytestmark = pytest.mark.django_db

TODAY = date(2031, 9, 1)


def _past_term() -> Any:
    return TermFactory(starts_on=date(2030, 6, 1), ends_on=date(2030, 8, 31))


def _send(callbacks: Any, today: date = TODAY) -> int:
    with callbacks(execute=True):
        return checkins.pipeline_checkins_send(today=today)


def test_each_past_learner_gets_one_link_a_year(
    learner: Any, other_learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    term = _past_term()
    EnrollmentFactory(term=term, learner=learner, status=Enrollment.Status.ACCEPTED)
    EnrollmentFactory(term=term, learner=other_learner, status=Enrollment.Status.DECLINED)
    running = TermFactory(starts_on=date(2031, 8, 1), ends_on=date(2031, 10, 31))
    EnrollmentFactory(term=running, status=Enrollment.Status.ACCEPTED)  # term not over yet
    assert _send(django_capture_on_commit_callbacks) == 1
    assert _send(django_capture_on_commit_callbacks) == 0  # rerun the same year: nobody new
    checkin = PipelineCheckin.objects.get()
    assert checkin.learner == learner and checkin.year == 2031 and checkin.sent_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [learner.user.email]
    assert checkin.token in mail.outbox[0].body
    # next year: a new link for her, and a first one for the learner whose term has ended since
    assert _send(django_capture_on_commit_callbacks, date(2032, 9, 1)) == 2
    assert len(mail.outbox) == 3


def test_a_retried_mail_job_does_not_mail_twice(
    learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    EnrollmentFactory(term=_past_term(), learner=learner, status=Enrollment.Status.ACCEPTED)
    _send(django_capture_on_commit_callbacks)
    checkin = PipelineCheckin.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        send_pipeline_checkin_mail.enqueue(checkin_ids=[checkin.pk])
    assert len(mail.outbox) == 1


def test_a_minor_is_mailed_herself_and_no_adult_is_copied(
    minor_learner: Any, guardian: Any, django_capture_on_commit_callbacks: Any
) -> None:
    EnrollmentFactory(term=_past_term(), learner=minor_learner, status=Enrollment.Status.ACCEPTED)
    _send(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[minor_learner.user.email]]
    assert all(not m.cc and not m.bcc for m in mail.outbox)
    assert guardian.email not in mail.outbox[0].body


def test_the_link_records_the_step_without_signing_in(client: Any, learner: Any) -> None:
    checkin = PipelineCheckin.objects.create(learner=learner, year=timezone.localdate().year)
    url = reverse("outcomes:pipeline_checkin", kwargs={"token": checkin.token})
    page = client.get(url)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    since = timezone.localdate() - timedelta(days=30)
    response = client.post(url, {"stage": "matriculated", "reached_on": since.isoformat()})
    assert response.status_code == 302
    step = PipelineStage.objects.get()
    assert (step.learner, step.stage, step.reached_on, step.source) == (
        learner,
        "matriculated",
        since,
        "learner",
    )
    assert step.recorded_by == learner.user
    checkin.refresh_from_db()
    assert checkin.answered_at is not None


@pytest.mark.parametrize(
    "data",
    [
        {"stage": "astronaut", "reached_on": "2020-01-01"},
        {"stage": "college", "reached_on": "2999-01-01"},
        {"stage": "college", "reached_on": "01/02/2020\x00"},
        {"stage": "college", "reached_on": "x" * 5000},
        {"stage": "college", "reached_on": "2020-02-30"},
        {},
    ],
)
def test_hostile_answers_are_form_errors(client: Any, learner: Any, data: dict[str, Any]) -> None:
    checkin = PipelineCheckin.objects.create(learner=learner, year=2031)
    response = client.post(reverse("outcomes:pipeline_checkin", kwargs={"token": checkin.token}), data)
    assert response.status_code == 400
    assert PipelineStage.objects.count() == 0


def test_an_unknown_link_is_not_found(client: Any) -> None:
    assert client.get(reverse("outcomes:pipeline_checkin", kwargs={"token": "nope"})).status_code == 404


def test_the_page_keeps_its_query_count_small(
    client: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    checkin = PipelineCheckin.objects.create(learner=learner, year=2031)
    with django_assert_max_num_queries(6):
        client.get(reverse("outcomes:pipeline_checkin", kwargs={"token": checkin.token}))


def test_the_yearly_command_queues_the_task(learner: Any, django_capture_on_commit_callbacks: Any) -> None:
    EnrollmentFactory(
        term=TermFactory(
            starts_on=timezone.localdate() - timedelta(days=100),
            ends_on=timezone.localdate() - timedelta(days=10),
        ),
        learner=learner,
        status=Enrollment.Status.ACCEPTED,
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("outcomes_pipeline_checkins", stdout=out)
    assert "1 new yearly link" in out.getvalue()
    assert len(mail.outbox) == 1
