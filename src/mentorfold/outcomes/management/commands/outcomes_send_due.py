"""Cron (daily): invite everyone whose survey opened today or earlier and who has no link yet."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.outcomes.tasks import send_due_surveys


class Command(BaseCommand):
    help = (
        "Queue invitations for surveys that have opened (end of term, 6 and 12 months, mentors); never twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_due_surveys.enqueue()
        if result.is_finished:  # an immediate backend (tests, small installations) ran it already
            self.stdout.write(f"Invited {result.return_value['invited']} people.")
        else:
            self.stdout.write(f"Invitations queued as task {result.id}; the task worker sends them.")
