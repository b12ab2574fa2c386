"""A worker killed mid-job: on restart the job is marked failed, shown on its progress page, never run twice."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from mentorfold.core.models import AuditEvent, TaskRun
from mentorfold.core.tests.filedb import copy_test_database_to_file
from mentorfold.core.tests.slow_tasks import slow_write
from mentorfold.core.tests.worker_process import DB_BACKEND, wait_for
from mentorfold.core.tracking import task_run_start, task_runs_recover, worker_identity


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running_job(worker: str, *, heartbeat_age: timedelta = timedelta(0)) -> tuple[TaskRun, DBTaskResult]:
    """A job as a worker leaves it while it works: TaskRun and DBTaskResult both RUNNING."""
    run = task_run_start(task=slow_write, kind="test.slow", label="Slow job", user=None)
    result = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=result.pk).update(
        status=TaskResultStatus.RUNNING, worker_ids=[worker], started_at=timezone.now() - heartbeat_age
    )
    TaskRun.objects.filter(pk=run.pk).update(
        status=TaskRun.Status.RUNNING, worker=worker, heartbeat_at=timezone.now() - heartbeat_age
    )
    return run, result


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_process_is_gone_is_marked_failed_and_the_page_says_so(
    settings: Any, client: Any, coordinator: Any
) -> None:
    settings.TASKS = DB_BACKEND
    run, result = _running_job(worker_identity(_dead_pid()))

    assert task_runs_recover() == [str(run.pk)]

    run.refresh_from_db()
    result.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and run.finished_at
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "mentorfold.core.tracking.WorkerLost"
    client.force_login(coordinator)
    page = client.get(reverse("task_progress", args=[run.pk])).content.decode()
    assert "Failed" in page and "task worker was shut down or crashed" in page


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_alive_is_left_running(settings: Any) -> None:
    settings.TASKS = DB_BACKEND
    run, result = _running_job(worker_identity(), heartbeat_age=timedelta(days=2))

    assert task_runs_recover() == []
    run.refresh_from_db()
    assert run.status == TaskRun.Status.RUNNING
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_job_on_another_machine_is_lost_only_after_it_stops_reporting(settings: Any) -> None:
    settings.TASKS = DB_BACKEND
    run, _ = _running_job("other-host:4242:99", heartbeat_age=timedelta(minutes=5))
    assert task_runs_recover(stale_after=timedelta(hours=1)) == []
    TaskRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))
    DBTaskResult.objects.update(started_at=timezone.now() - timedelta(hours=2))
    assert task_runs_recover(stale_after=timedelta(hours=1)) == [str(run.pk)]


@pytest.mark.django_db
def test_a_job_already_failed_is_not_run_again_when_delivered_again() -> None:
    run = TaskRun.objects.create(kind="test.slow", label="Slow job", status=TaskRun.Status.FAILED)
    slow_write.call(task_run_id=str(run.pk), hold_seconds=0)
    assert not AuditEvent.objects.filter(action__startswith="slow.").exists()


# --- a real worker process, killed with SIGKILL -------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the worker runs against a copy of the SQLite test DB"
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_leaves_it_failed_after_restart_with_no_duplicate_rows_or_mails(
    settings: Any, worker_env: dict[str, Any]
) -> None:
    settings.TASKS = DB_BACKEND
    run = task_run_start(
        task=slow_write, kind="test.slow", label="Slow job", user=None, rows=5, hold_seconds=60
    )
    copy_test_database_to_file(worker_env["db"])
    db = sqlite3.connect(worker_env["db"], timeout=20)

    def run_state() -> tuple[str, str]:
        return db.execute("SELECT status, message FROM core_taskrun WHERE id = ?", (run.pk.hex,)).fetchone()

    def audit_count(action: str) -> int:
        return db.execute(
            "SELECT COUNT(*) FROM core_auditevent WHERE action = ? AND target_id = ?", (action, str(run.pk))
        ).fetchone()[0]

    def mails() -> int:
        return len(list(worker_env["mail"].glob("*.log"))) if worker_env["mail"].exists() else 0

    first = worker_env["start"]()
    wait_for(
        lambda: run_state() == ("running", "saving"), timeout=30, what="the job to reach its second step"
    )
    time.sleep(0.5)  # inside the open transaction of step 2 now
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert run_state()[0] == "running"  # stuck, until a worker starts again
    assert audit_count("slow.step1") == 1 and audit_count("slow.step2") == 0 and mails() == 1

    second = worker_env["start"]()
    wait_for(
        lambda: run_state()[0] == "failed", timeout=30, what="the restarted worker to mark the job failed"
    )
    time.sleep(1.0)  # give the worker time to (wrongly) pick the job up again
    assert second.poll() is None, (worker_env["logs"] / "worker1.log").read_text()
    assert "task worker was shut down or crashed" in run_state()[1]
    table = DBTaskResult._meta.db_table
    status = db.execute(f"SELECT status, exception_class_path FROM {table}").fetchall()  # noqa: S608
    assert status == [("FAILED", "mentorfold.core.tracking.WorkerLost")]
    assert audit_count("slow.step1") == 1  # not run twice
    assert audit_count("slow.step2") == 0  # the killed transaction left nothing
    assert mails() == 1
    db.close()
