"""Background tasks owned by core. ``demo_count_people`` exists so operators can check the worker end to end."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .models import TaskRun
from .tracking import tracked


@task()
@tracked
def check_worker(run: TaskRun, *, steps: int = 3) -> dict[str, Any]:
    """A tiny job that reports progress in steps: proves the worker and the progress bar work."""
    from django.contrib.auth import get_user_model

    for step in range(1, steps + 1):
        run.report(int(100 * step / (steps + 1)), f"step {step} of {steps}")
    return {"message": "The task worker is running.", "people": get_user_model().objects.count()}
