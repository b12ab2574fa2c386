"""Background jobs of shadowing: the day-before reminders (run by cron through ``send_booking_reminders``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import booking_reminders_send


@task()
def send_booking_reminders() -> dict[str, Any]:
    """Remind everyone about tomorrow's sessions; the sent-log in ``BookingMessage`` makes a retry harmless."""
    return {"sent": booking_reminders_send()}
