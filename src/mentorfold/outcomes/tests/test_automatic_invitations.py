"""Surveys go out by themselves: the start-of-term survey on acceptance, the others on their opening day."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from mentorfold.matching.tests.factories import MentorshipFactory
from mentorfold.programs.models import Enrollment
from mentorfold.programs.services import enrollment_decide
from mentorfold.programs.tests.factories import EnrollmentFactory, TermFactory

from .. import services
from ..models import SurveyInvitation, SurveyMessage, SurveySchedule
from ..tasks import invite_accepted_learner

pytestmark = pytest.mark.django_db


def _accept(enrollment: Enrollment, coordinator: Any, callbacks: Any) -> None:
    with callbacks(execute=True):
        enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")


def test_acceptance_mails_the_start_of_term_survey_once_after_commit(
    coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    term = TermFactory()
    services.survey_schedule_term(term=term, actor=coordinator)
    enrollment = EnrollmentFactory(term=term, learner=learner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
    assert mail.outbox == [] and SurveyInvitation.objects.count() == 0  # nothing before the commit
    for callback in callbacks:
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    invitation = SurveyInvitation.objects.get()
    assert invitation.user == learner.user and invitation.schedule.kind == SurveySchedule.Kind.LEARNER_PRE
    invites = [m for m in mail.outbox if invitation.token in m.body]
    assert len(invites) == 1 and invites[0].to == [learner.user.email]


def test_a_retried_acceptance_job_sends_nothing_more(
    coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    term = TermFactory()
    services.survey_schedule_term(term=term, actor=coordinator)
    enrollment = EnrollmentFactory(term=term, learner=learner)
    _accept(enrollment, coordinator, django_capture_on_commit_callbacks)
    before = len(mail.outbox)
    for _retry in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            invite_accepted_learner.enqueue(enrollment_id=enrollment.pk)
    assert len(mail.outbox) == before
    assert SurveyMessage.objects.filter(kind=SurveyMessage.Kind.INVITE).count() == 1
    assert SurveyInvitation.objects.count() == 1


def test_accepting_twice_is_refused_and_still_one_invitation(
    coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.exceptions import ValidationError

    term = TermFactory()
    services.survey_schedule_term(term=term, actor=coordinator)
    enrollment = EnrollmentFactory(term=term, learner=learner)
    _accept(enrollment, coordinator, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        _accept(enrollment, coordinator, django_capture_on_commit_callbacks)
    assert SurveyMessage.objects.filter(kind=SurveyMessage.Kind.INVITE).count() == 1


def test_a_rolled_back_acceptance_sends_nothing(
    coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    term = TermFactory()
    services.survey_schedule_term(term=term, actor=coordinator)
    enrollment = EnrollmentFactory(term=term, learner=learner)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
        raise RuntimeError("the request failed after the decision")
    assert SurveyInvitation.objects.count() == 0 and mail.outbox == []


def test_acceptance_in_a_term_without_surveys_invites_nobody(
    coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enrollment = EnrollmentFactory(learner=learner)
    _accept(enrollment, coordinator, django_capture_on_commit_callbacks)
    assert SurveyInvitation.objects.count() == 0
    assert not [m for m in mail.outbox if "survey" in m.subject.lower()]


def test_creating_surveys_later_invites_learners_already_accepted(
    coordinator: Any, learner: Any, other_learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    term = TermFactory()  # starts in 60 days: only the start-of-term survey goes out now
    EnrollmentFactory(term=term, learner=learner, status=Enrollment.Status.ACCEPTED)
    EnrollmentFactory(term=term, learner=other_learner, status=Enrollment.Status.APPLIED)
    with django_capture_on_commit_callbacks(execute=True):
        services.survey_schedule_and_invite(term=term, actor=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.survey_schedule_and_invite(term=term, actor=coordinator)
    invitation = SurveyInvitation.objects.get()
    assert invitation.user == learner.user and invitation.schedule.kind == SurveySchedule.Kind.LEARNER_PRE
    assert len(mail.outbox) == 1


# --- timed surveys -------------------------------------------------------------------------------------


def _term_with_people(coordinator: Any, *, starts_on: date, ends_on: date, learners: int = 2) -> Any:
    term = TermFactory(starts_on=starts_on, ends_on=ends_on)
    for _n in range(learners):
        EnrollmentFactory(term=term, status=Enrollment.Status.ACCEPTED)
    MentorshipFactory(term=term)
    services.survey_schedule_term(term=term, actor=coordinator)
    return term


def _kinds_invited() -> dict[str, int]:
    result: dict[str, int] = {}
    for kind in SurveyInvitation.objects.values_list("schedule__kind", flat=True):
        result[kind] = result.get(kind, 0) + 1
    return result


def test_each_survey_goes_out_on_its_opening_day_and_only_once(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = date(2030, 6, 1)
    end = date(2030, 8, 31)
    _term_with_people(coordinator, starts_on=start, ends_on=end)
    expected: dict[str, int] = {}

    def run(today: date) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.surveys_due_send(today=today)

    assert run(start - timedelta(days=1)) == 0
    # the mentorship's learner is not an accepted enrollment here; the mentor gets the mentors' survey
    assert run(start) == 2 + 1
    expected.update({"learner_pre": 2, "mentor_baseline": 1})
    assert _kinds_invited() == expected
    assert run(start + timedelta(days=1)) == 0  # the next day finds nobody new
    assert run(end) == 2 + 1
    expected.update({"learner_post": 2, "mentor_end": 1})
    assert run(end + timedelta(days=182)) == 2
    expected["learner_6m"] = 2
    assert run(end + timedelta(days=365)) == 2
    expected["learner_12m"] = 2
    assert run(end + timedelta(days=365)) == 0
    assert _kinds_invited() == expected
    assert len(mail.outbox) == 2 + 1 + 2 + 1 + 2 + 2
    assert SurveyMessage.objects.filter(kind="invite").count() == len(mail.outbox)


def test_a_missed_day_is_caught_up_but_a_closed_survey_is_not_sent(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    end = date(2030, 8, 31)
    _term_with_people(coordinator, starts_on=date(2030, 6, 1), ends_on=end)
    with django_capture_on_commit_callbacks(execute=True):
        # 5 days after term end: post-term (due in 21 days) still open; pre-term and baseline closed
        services.surveys_due_send(today=end + timedelta(days=5))
    assert _kinds_invited() == {"learner_post": 2, "mentor_end": 1}


def test_due_surveys_are_sent_in_batches_with_one_mail_each(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = date(2030, 6, 1)
    _term_with_people(coordinator, starts_on=start, ends_on=date(2030, 8, 31), learners=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_due_send(today=start, batch=2) == 5 + 1
    assert len(mail.outbox) == 6
    assert len({m.to[0] for m in mail.outbox}) == 6


def test_the_daily_command_queues_the_due_task(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    _term_with_people(coordinator, starts_on=today, ends_on=today + timedelta(days=60), learners=1)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("outcomes_send_due", stdout=out)
    assert "Invited 2 people" in out.getvalue()
    assert len(mail.outbox) == 2


def test_the_due_run_keeps_its_query_count_flat(coordinator: Any, django_assert_max_num_queries: Any) -> None:
    start = date(2030, 6, 1)
    _term_with_people(coordinator, starts_on=start, ends_on=date(2030, 8, 31), learners=30)
    services.surveys_due_send(today=start)  # first run invites (mail runs after commit, not here)
    with django_assert_max_num_queries(12):
        assert services.surveys_due_send(today=start) == 0
