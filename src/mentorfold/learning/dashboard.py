"""Dashboard panels: a mentor's questions waiting 7+ days; a learner's due cards and visits to reflect on."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from mentorfold.accounts.models import Role
from mentorfold.core.registry import Panel

from . import selectors
from .models import Flashcard


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    result: list[Panel] = []
    mentor = getattr(user, "mentor_profile", None) if user.has_role(Role.MENTOR) else None
    if mentor is not None:
        waiting = list(selectors.stale_questions_for_mentor(mentor=mentor)[:6])
        result.append(
            Panel(
                "learning/panel_mentor.html",
                {"waiting": waiting[:5], "has_more": len(waiting) > 5},
                order=45,
            )
        )
    learner = getattr(user, "learner_profile", None) if user.has_role(Role.LEARNER) else None
    if learner is not None:
        context = {
            "due_cards": Flashcard.objects.filter(owner=user, due__lte=timezone.now()).count(),
            "to_reflect": selectors.bookings_to_reflect_on(learner=learner),
        }
        result.append(Panel("learning/panel_learner.html", context, order=45))
    return result
