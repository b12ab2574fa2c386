"""Dashboard panels: the learner's match, the mentor's mentees and requests, the coordinator's quiet list."""

from __future__ import annotations

from django.http import HttpRequest

from mentorfold.core.registry import Panel

from . import selectors


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    if not user.is_authenticated:
        return []
    out: list[Panel] = []
    learner = getattr(user, "learner_profile", None) if user.has_role("learner") else None
    if learner is not None:
        out.append(
            Panel(
                "matching/panels/learner.html",
                {"states": selectors.learner_match_states(learner)},
                order=20,
            )
        )
    mentor = getattr(user, "mentor_profile", None) if user.has_role("mentor") else None
    if mentor is not None:
        out.append(
            Panel(
                "matching/panels/mentor.html",
                {
                    "mentorships": selectors.mentorships_of_mentor(mentor),
                    "terms": selectors.mentor_terms(mentor),
                },
                order=20,
            )
        )
    if user.has_role("coordinator"):
        out.append(
            Panel(
                "matching/panels/coordinator.html", {"quiet": selectors.quiet_mentorships(limit=10)}, order=20
            )
        )
    return out
