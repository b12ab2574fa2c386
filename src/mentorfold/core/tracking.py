"""Run long jobs as django-tasks with a ``TaskRun`` progress record that pages poll with htmx."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import TaskRun

log = logging.getLogger(__name__)

# A job of a worker on another machine (whose process we cannot see) counts as lost after this long without
# a progress report.
DEFAULT_STALE_AFTER = timedelta(hours=1)


def tracked(func: Callable[..., dict[str, Any] | None]) -> Callable[..., None]:
    """Wrap a task body ``func(run, **kwargs)`` so the TaskRun row records start, result or failure."""

    @wraps(func)
    def wrapper(task_run_id: str, **kwargs: Any) -> None:
        run = TaskRun.objects.get(pk=task_run_id)
        now = timezone.now()
        # Claim the run: a job delivered twice, or one already marked failed after its worker died, never
        # runs again (no duplicate rows or mails).
        claimed = TaskRun.objects.filter(pk=run.pk, status=TaskRun.Status.QUEUED).update(
            status=TaskRun.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker_identity()
        )
        if not claimed:
            log.warning("task %s %s is %s, not queued: not running it again", run.kind, run.pk, run.status)
            return
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


# --- recovery after a worker dies -----------------------------------------------------------------------


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def worker_identity(pid: int | None = None) -> str:
    """``host:pid:start`` of this process; at most 64 characters (django-tasks-db's worker id limit)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()[:40]}:{pid}:{_process_start(pid)}"


def _is_alive(pid: int, start: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: the pid exists, trust it
    if state in {"Z", "X"}:  # killed, waiting to be reaped
        return False
    return not start or _process_start(pid) == start


def worker_is_gone(worker: str, last_seen: Any, *, now: Any, stale_after: timedelta) -> bool:
    """A worker on this machine is gone when its process is; elsewhere, when it stopped reporting."""
    host, _, rest = worker.partition(":")
    pid, _, start = rest.partition(":")
    if host and host == socket.gethostname()[:40] and pid.isdigit():
        return not _is_alive(int(pid), start)
    return last_seen is None or now - last_seen > stale_after


def task_runs_recover(*, stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[str]:
    """Mark failed every running job whose worker is gone; return the TaskRun ids marked.

    Run by ``manage.py worker`` before it takes new jobs. Covers both records: django-tasks-db's
    ``DBTaskResult`` (so the job is not picked up again) and our ``TaskRun`` (what the progress page shows).
    A job whose worker is still alive, here or on another machine that keeps reporting, is left alone.
    """
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    message = _(
        "This job stopped because the task worker was shut down or crashed. "
        "Check what it changed, then start it again if needed."
    )[:300]
    marked: list[str] = []

    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "worker_ids", "started_at", "args_kwargs"
    )
    for result in running:
        worker = result.worker_ids[-1] if result.worker_ids else ""
        run_id = (result.args_kwargs or {}).get("kwargs", {}).get("task_run_id")
        heartbeat = (
            TaskRun.objects.filter(pk=run_id).values_list("heartbeat_at", flat=True).first()
            if run_id
            else None
        )
        last_seen = max(filter(None, [heartbeat, result.started_at]), default=None)
        if not worker_is_gone(worker, last_seen, now=now, stale_after=stale_after):
            continue
        # Conditional: only if it is still RUNNING, so a job finishing right now is not overwritten.
        DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="mentorfold.core.tracking.WorkerLost",
            traceback=f"WorkerLost: worker {worker} is gone; marked failed at {now.isoformat()}",
        )
        if run_id:
            marked += _fail_run(run_id, message, now)

    for run in TaskRun.objects.filter(status=TaskRun.Status.RUNNING).only("id", "worker", "heartbeat_at"):
        if worker_is_gone(run.worker, run.heartbeat_at, now=now, stale_after=stale_after):
            marked += _fail_run(str(run.pk), message, now)
    for run_id in marked:
        log.warning("task run %s marked failed: its worker is gone", run_id)
    return sorted(set(marked))


# Apps register how they settle their own records once jobs are marked failed (a match run left "running", an
# import's not-yet-live accounts), from AppConfig.ready(); ``manage.py worker`` runs them at start.
_recoveries: list[Callable[[], object]] = []


def register_recovery(recover: Callable[[], object]) -> None:
    if recover not in _recoveries:
        _recoveries.append(recover)


def app_records_recover() -> None:
    """Run every app's recovery (after ``task_runs_recover``); each is cheap when there is nothing to do."""
    for recover in _recoveries:
        recover()


def _fail_run(run_id: str, message: str, now: Any) -> list[str]:
    updated = TaskRun.objects.filter(
        pk=run_id, status__in=[TaskRun.Status.QUEUED, TaskRun.Status.RUNNING]
    ).update(status=TaskRun.Status.FAILED, message=message, finished_at=now)
    return [str(run_id)] if updated else []
