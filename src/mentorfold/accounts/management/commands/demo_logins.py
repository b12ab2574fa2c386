"""Print the demo logins (used by ``make run``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.accounts.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from mentorfold.accounts.totp import current_totp_code


class Command(BaseCommand):
    help = "Print the demo accounts, their password and a current authenticator code."

    def handle(self, *args: Any, **options: Any) -> None:
        code = current_totp_code(DEMO_TOTP_SECRET)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<14} {login.email:<40} {login.note}")
        self.stdout.write(
            f"Authenticator secret for coordinator/reviewer: {DEMO_TOTP_SECRET}\n"
            f"  (add it to an authenticator app, or run `make totp` for the current code; right now: {code})"
        )
