"""Dashboard panels for grants: applicant, reviewer and coordinator (each a bounded number of queries)."""

from __future__ import annotations

from django.http import HttpRequest

from mentorfold.accounts.models import Role
from mentorfold.core.registry import Panel

from . import selectors
from .models import GrantCycle


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    if not user.is_authenticated:
        return []
    out: list[Panel] = []
    if user.has_role(Role.LEARNER):
        learner = getattr(user, "learner_profile", None)
        if learner is not None and learner.stage == "medical_student":
            out.append(
                Panel(
                    "grants/panel_applicant.html",
                    {
                        "applications": list(selectors.applications_of(learner)[:5]),
                        "open_cycles": list(selectors.open_cycles()[:3]),
                    },
                    order=45,
                )
            )
    if user.has_role(Role.REVIEWER):
        # Only cycles still in review count, as on the reviewer's list: a frozen cycle has nothing open.
        out.append(Panel("grants/panel_reviewer.html", selectors.reviewer_open_counts(user), order=40))
    if user.has_role(Role.COORDINATOR):
        cycles = list(GrantCycle.objects.exclude(status=GrantCycle.Status.DECIDED)[:3])
        out.append(
            Panel(
                "grants/panel_coordinator.html",
                {"cycles": [(c, selectors.cycle_counts(c)) for c in cycles]},
                order=60,
            )
        )
    return out
