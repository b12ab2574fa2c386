"""Cron (once a year, e.g. every 1 September): the "where are you now" e-mail to every past learner."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.outcomes.tasks import send_pipeline_checkins


class Command(BaseCommand):
    help = "Queue this year's 'where are you now' e-mails to past learners (each learner once a year)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_pipeline_checkins.enqueue()
        if result.is_finished:  # an immediate backend (tests, small installations) ran it already
            self.stdout.write(f"{result.return_value['created']} new yearly link(s).")
        else:
            self.stdout.write(f"Yearly e-mails queued as task {result.id}; the task worker sends them.")
