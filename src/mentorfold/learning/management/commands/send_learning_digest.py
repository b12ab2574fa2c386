"""Cron (weekly): queue the digest of questions waiting 7+ days for each mentor (never twice a week)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.learning.tasks import send_learning_digest


class Command(BaseCommand):
    help = "Queue the weekly e-mail of unanswered questions to mentors (one per mentor per week)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_learning_digest.enqueue()
        if result.is_finished:  # an immediate backend (tests, small installations) ran it already
            self.stdout.write(f"Sent {result.return_value['sent']} digest(s).")
        else:
            self.stdout.write(f"Digest queued as task {result.id}; the task worker sends it.")
