"""Background jobs for grants: the reviewer assignment can take seconds for a large cycle."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_tasks import task

from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked

from . import review as reviews
from .models import GrantCycle


@task()
@tracked
def run_assignment(run: TaskRun, *, cycle_id: int) -> dict[str, Any]:
    cycle = GrantCycle.objects.get(pk=cycle_id)
    run.report(10, "detecting conflicts and solving the assignment")
    result = reviews.assignment_run(cycle=cycle, actor=run.created_by)
    return {
        "message": f"{result.n_pairs} reviewer assignments; optimality gap {result.verified_gap:.2g} (verified).",
        "assignment_run": result.pk,
        "pairs": result.n_pairs,
        "gap": result.verified_gap,
        "url": reverse("grants:assignment", args=[cycle.pk]),
    }


@task()
@tracked
def send_letters(run: TaskRun, *, cycle_id: int) -> dict[str, Any]:
    """Write and mail the award and decline letters; safe to retry (the sent-log skips what went out)."""
    from . import decision

    sent = decision.letters_deliver(cycle_id=cycle_id, progress=run.report)
    return {
        "message": f"{sent} letters sent.",
        "letters": sent,
        "url": reverse("grants:letters", args=[cycle_id]),
    }
