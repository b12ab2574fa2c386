"""Cron: queue reminders for unanswered outcome surveys (safe to run more than once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.outcomes.tasks import send_survey_reminders


class Command(BaseCommand):
    help = "Queue reminders for unanswered surveys (at most two per person and survey, never twice)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_survey_reminders.enqueue()
        if result.is_finished:  # an immediate backend (tests, small installations) ran it already
            self.stdout.write(f"Sent {result.return_value['sent']} reminder(s).")
        else:
            self.stdout.write(f"Reminders queued as task {result.id}; the task worker sends them.")
