"""Cron (e.g. hourly): queue the digest of unread messages, one e-mail per person, never one per message."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.messaging.tasks import send_message_digests


class Command(BaseCommand):
    help = "Queue one e-mail per person summarising the messages they have not read since their last digest."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_message_digests.enqueue()
        if result.is_finished:  # an immediate backend (tests, small installations) ran it already
            self.stdout.write(f"Sent {result.return_value['sent']} digest(s).")
        else:
            self.stdout.write(f"Digest queued as task {result.id}; the task worker sends it.")
