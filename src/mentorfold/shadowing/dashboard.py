"""Dashboard panels: the mentor's week at a glance and the learner's next session and hours."""

from __future__ import annotations

from django.http import HttpRequest

from mentorfold.accounts.models import Role
from mentorfold.core.registry import Panel

from . import selectors


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    result: list[Panel] = []
    mentor = getattr(user, "mentor_profile", None) if user.has_role(Role.MENTOR) else None
    if mentor is not None:
        result.append(Panel("shadowing/panel_mentor.html", selectors.mentor_summary(mentor=mentor), order=20))
    learner = getattr(user, "learner_profile", None) if user.has_role(Role.LEARNER) else None
    if learner is not None:
        overview = selectors.learner_overview(learner=learner, open_limit=3)
        result.append(Panel("shadowing/panel_learner.html", overview, order=20))
    if user.has_role(Role.GUARDIAN):
        bookings = selectors.children_upcoming(guardian=user)
        result.append(Panel("shadowing/panel_guardian.html", {"bookings": bookings}, order=20))
    return result
