"""Invitations and reminders: one link per person, at most two reminders, never the same mail twice."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from mentorfold.accounts.tests.factories import UserFactory

from .. import services
from ..models import SurveyInvitation, SurveyMessage
from .factories import SurveyInvitationFactory, SurveyScheduleFactory

pytestmark = pytest.mark.django_db


def test_invite_gives_one_link_per_person_and_mails_once(django_capture_on_commit_callbacks: Any) -> None:
    schedule = SurveyScheduleFactory()
    people = [UserFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.survey_invite(schedule=schedule, users=people)
    with django_capture_on_commit_callbacks(execute=True):
        services.survey_invite(schedule=schedule, users=people)
    assert SurveyInvitation.objects.filter(schedule=schedule).count() == 3
    assert len(mail.outbox) == 3
    assert all(len(m.to) == 1 for m in mail.outbox)
    token = SurveyInvitation.objects.get(user=people[0]).token
    assert any(token in m.body for m in mail.outbox if m.to == [people[0].email])


def test_a_retried_mail_job_does_not_mail_twice(django_capture_on_commit_callbacks: Any) -> None:
    invitation = SurveyInvitationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_mail_send(invitation_id=invitation.pk, kind="invite") is True
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_mail_send(invitation_id=invitation.pk, kind="invite") is False
    assert len(mail.outbox) == 1


def test_reminders_stop_at_two_and_never_repeat(django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    invitation = SurveyInvitationFactory(created_at=now - timedelta(days=30))
    sent = 0
    for week in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            sent += services.survey_reminders_send(now=now + timedelta(days=8 * week))
        # a retry of the same run sends nothing more
        with django_capture_on_commit_callbacks(execute=True):
            sent += services.survey_reminders_send(now=now + timedelta(days=8 * week))
    invitation.refresh_from_db()
    assert sent == 2 and invitation.reminders_sent == 2
    assert len(mail.outbox) == 2
    assert set(invitation.messages.values_list("kind", flat=True)) == {"reminder_1", "reminder_2"}


def test_nobody_is_reminded_after_answering(django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    invitation = SurveyInvitationFactory(created_at=now - timedelta(days=30))
    services.survey_complete(invitation=invitation, answers={"mini_z_3": 1})
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_reminders_send(now=now) == 0
    assert mail.outbox == []


def test_the_cap_is_a_database_rule() -> None:
    from django.db import IntegrityError, transaction

    invitation = SurveyInvitationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyInvitation.objects.filter(pk=invitation.pk).update(reminders_sent=3)


def test_the_command_queues_the_reminder_task() -> None:
    SurveyInvitationFactory(created_at=timezone.now() - timedelta(days=10))
    out = StringIO()
    call_command("send_survey_reminders", stdout=out)
    assert "Sent 1 reminder" in out.getvalue()
    assert SurveyMessage.objects.filter(kind="reminder_1").count() == 1


def test_schedules_for_a_term_are_created_once(coordinator: Any) -> None:
    schedule = SurveyScheduleFactory()
    first = services.survey_schedule_term(term=schedule.term, actor=coordinator)
    again = services.survey_schedule_term(term=schedule.term, actor=coordinator)
    assert len(first) == 6 and [s.pk for s in first] == [s.pk for s in again]


def test_only_coordinators_schedule_surveys(mentor: Any) -> None:
    from django.core.exceptions import PermissionDenied

    schedule = SurveyScheduleFactory()
    with pytest.raises(PermissionDenied):
        services.survey_schedule_term(term=schedule.term, actor=mentor.user)
