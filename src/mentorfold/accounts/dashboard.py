"""Dashboard panels of accounts: guardian links waiting for a coordinator, and that state for the guardian."""

from __future__ import annotations

from django.http import HttpRequest

from mentorfold.core.registry import Panel

from . import selectors
from .models import Role

SHOWN = 20


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    if not user.is_authenticated:
        return []
    out: list[Panel] = []
    if user.has_role(Role.COORDINATOR):
        waiting = selectors.guardian_links_awaiting_confirmation()
        links = list(waiting[: SHOWN + 1])
        if links:
            out.append(
                Panel(
                    "accounts/panels/guardians_to_confirm.html",
                    {"links": links[:SHOWN], "more": len(links) > SHOWN},
                    10,
                )
            )
    if user.has_role(Role.GUARDIAN):
        pending = list(selectors.guardian_links_waiting_for(user))
        if pending:
            out.append(Panel("accounts/panels/guardian_waiting.html", {"links": pending}, 15))
    return out
