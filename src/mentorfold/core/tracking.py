"""Run long jobs as django-tasks with a ``TaskRun`` progress record that pages poll with htmx."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import TaskRun

log = logging.getLogger(__name__)


def tracked(func: Callable[..., dict[str, Any] | None]) -> Callable[..., None]:
    """Wrap a task body ``func(run, **kwargs)`` so the TaskRun row records start, result or failure."""

    @wraps(func)
    def wrapper(task_run_id: str, **kwargs: Any) -> None:
        run = TaskRun.objects.get(pk=task_run_id)
        TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.RUNNING, started_at=timezone.now())
        try:
            result = func(run, **kwargs) or {}
        except Exception as exc:
            log.exception("task %s failed", run.kind)
            TaskRun.objects.filter(pk=run.pk).update(
                status=TaskRun.Status.FAILED,
                message=f"{type(exc).__name__}: {exc}"[:300],
                finished_at=timezone.now(),
            )
            raise
        TaskRun.objects.filter(pk=run.pk).update(
            status=TaskRun.Status.SUCCEEDED,
            percent=100,
            result=result,
            finished_at=timezone.now(),
            message=str(result.get("message", ""))[:300] if isinstance(result, dict) else "",
        )

    return wrapper


def task_run_start(*, task: Any, kind: str, label: str, user: Any, **kwargs: Any) -> TaskRun:
    """Create a TaskRun and enqueue ``task`` once the surrounding transaction commits."""
    run = TaskRun.objects.create(kind=kind, label=label, created_by=user if user and user.pk else None)
    transaction.on_commit(lambda: task.enqueue(task_run_id=str(run.pk), **kwargs))
    return run
