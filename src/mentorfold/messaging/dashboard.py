"""Dashboard panel: unread messages per conversation and the next meetings (coordinators: open reports)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from mentorfold.core.registry import Panel

from . import selectors


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    if not user.is_authenticated:
        return []
    if user.role_names & {"learner", "mentor", "guardian"}:
        threads = [t for t in selectors.thread_list(user, limit=20) if t.unread]
        meetings = selectors.upcoming_meetings(user, now=timezone.now(), limit=3)
        if threads or meetings:
            return [Panel("messaging/panel.html", {"threads": threads, "meetings": meetings}, order=22)]
        return []
    if user.has_role("coordinator"):
        return [
            Panel("messaging/panel_coordinator.html", {"reports": selectors.open_reports(limit=5)}, order=22)
        ]
    return []
