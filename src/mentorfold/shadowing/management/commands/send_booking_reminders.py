"""Cron: queue the day-before reminders for tomorrow's shadowing sessions (safe to run more than once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.shadowing.tasks import send_booking_reminders


class Command(BaseCommand):
    help = "Queue day-before reminders for booked shadowing sessions (each booking is reminded once)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_booking_reminders.enqueue()
        if result.is_finished:  # an immediate backend (tests, small installations) ran it already
            self.stdout.write(f"Sent {result.return_value['sent']} reminder(s).")
        else:
            self.stdout.write(f"Reminders queued as task {result.id}; the task worker sends them.")
