"""Two export POSTs by one coordinator at the same instant start one job (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from mentorfold.core.models import TaskRun
from mentorfold.programs import exporting


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# reason: the lock under test is PostgreSQL's SELECT ... FOR UPDATE on the person's row; SQLite's test database
# cannot be shared by two threads (it serialises writers with IMMEDIATE transactions instead).
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_two_simultaneous_posts_start_one_export(coordinator: Any) -> None:
    barrier = threading.Barrier(2)
    started: list[str] = []
    errors: list[BaseException] = []

    def enqueue(run_kind: str) -> TaskRun:
        time.sleep(0.3)  # widen the window between "nothing running" and creating the job
        return TaskRun.objects.create(kind=run_kind, label="Export", created_by=coordinator)

    def post() -> None:
        try:
            barrier.wait(timeout=10)
            run = exporting.export_start(actor=coordinator, kind="learners", fmt="xlsx", enqueue=enqueue)
            started.append(str(run.pk))
        except BaseException as exc:  # reported below, so a failing thread fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert len(started) == 2 and len(set(started)) == 1, started
    assert TaskRun.objects.filter(kind="programs.export.learners.xlsx").count() == 1
