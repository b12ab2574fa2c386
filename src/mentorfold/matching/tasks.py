"""Background jobs of matching: a match run reports progress to its TaskRun while it works."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_tasks import task

from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked

from .models import MatchRun


@task()
@tracked
def execute_match_run(run: TaskRun, *, match_run_id: int) -> dict[str, Any]:
    """Freeze inputs, run the engine and store the result of one MatchRun."""
    from .services import match_run_execute, match_run_fail

    match_run = MatchRun.objects.get(pk=match_run_id)
    try:
        done = match_run_execute(match_run=match_run, progress=run.report)
    except Exception as exc:
        match_run_fail(match_run_id=match_run_id, message=f"{type(exc).__name__}: {exc}")
        raise
    stats = done.stats
    return {
        "message": f"{stats['matched']} of {stats['learners']} learners matched",
        "url": reverse("matching:run_detail", args=[done.pk]),
    }
