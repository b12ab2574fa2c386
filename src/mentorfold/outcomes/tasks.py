"""Background jobs of outcomes: survey invitations and reminders (the sent-log makes a retry harmless)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import survey_mail_send, survey_reminders_send


@task()
def send_survey_mail(*, invitation_ids: list[int], kind: str) -> dict[str, Any]:
    """E-mail each invitation's link once; a retried job skips those already in the sent-log."""
    return {"sent": sum(survey_mail_send(invitation_id=pk, kind=kind) for pk in invitation_ids)}


@task()
def send_survey_reminders() -> dict[str, Any]:
    """Remind people who have not answered yet, at most twice each."""
    return {"sent": survey_reminders_send()}
