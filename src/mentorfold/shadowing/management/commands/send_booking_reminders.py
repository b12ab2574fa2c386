"""Cron: e-mail reminders for tomorrow's shadowing sessions (safe to run more than once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.shadowing.services import booking_reminders_send


class Command(BaseCommand):
    help = "Send day-before reminders for booked shadowing sessions (each booking is reminded once)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = booking_reminders_send()
        self.stdout.write(f"Sent {sent} reminder(s).")
