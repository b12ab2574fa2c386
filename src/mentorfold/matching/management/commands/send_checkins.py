"""``manage.py send_checkins``: cron calls it daily; each mentorship gets at most one reminder per 14 days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.matching.services import mentorship_send_checkin_reminders


class Command(BaseCommand):
    help = "E-mail a gentle check-in to mentorships with no activity in the last 14 days (one per 14 days)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = mentorship_send_checkin_reminders()
        self.stdout.write(self.style.SUCCESS(f"Check-in reminders sent: {sent}"))
