"""Background jobs of outcomes: survey invitations and reminders (the sent-log makes a retry harmless)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_tasks import task

from mentorfold.accounts.models import User
from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked

from .checkins import pipeline_checkin_mail_send, pipeline_checkins_send
from .pipeline_import import pipeline_import_commit, pipeline_import_fail
from .services import (
    survey_invite_accepted,
    survey_mail_send,
    survey_reminders_send,
    surveys_due_send,
)


@task()
def send_survey_mail(*, invitation_ids: list[int], kind: str) -> dict[str, Any]:
    """E-mail each invitation's link once; a retried job skips those already in the sent-log."""
    return {"sent": sum(survey_mail_send(invitation_id=pk, kind=kind) for pk in invitation_ids)}


@task()
def send_survey_reminders() -> dict[str, Any]:
    """Remind people who have not answered yet, at most twice each."""
    return {"sent": survey_reminders_send()}


@task()
def invite_accepted_learner(*, enrollment_id: int) -> dict[str, Any]:
    """Give a just-accepted learner the start-of-term survey link (a retry finds the link and sends nothing)."""
    return {"invitations": survey_invite_accepted(enrollment_id=enrollment_id)}


@task()
def send_due_surveys() -> dict[str, Any]:
    """Daily: invite everyone whose survey opened and who has no link yet (end of term, follow-ups, mentors)."""
    return {"invited": surveys_due_send()}


@task()
def send_pipeline_checkins() -> dict[str, Any]:
    """Yearly: e-mail each past learner this year's "where are you now" link (once per learner and year)."""
    return {"created": pipeline_checkins_send()}


@task()
def send_pipeline_checkin_mail(*, checkin_ids: list[int]) -> dict[str, Any]:
    """E-mail each yearly link once; a retried job skips those already sent."""
    return {"sent": sum(pipeline_checkin_mail_send(checkin_id=pk) for pk in checkin_ids)}


@task()
@tracked
def import_pipeline(run: TaskRun, *, batch_id: int, actor_id: int) -> dict[str, Any]:
    """Write a checked pipeline import, all or nothing, reporting progress."""
    actor = User.objects.get(pk=actor_id)
    try:
        written = pipeline_import_commit(batch_id=batch_id, actor=actor, report=run.report)
    except Exception:
        pipeline_import_fail(batch_id=batch_id)
        raise
    return {"message": _("%(n)d pipeline steps imported.") % {"n": written}, "written": written}
