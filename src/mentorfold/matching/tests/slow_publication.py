"""Test-only jobs that pause half-way (between two committed batches), so a test can kill their worker there.

They run the real steps in the worker process: ``slow_publish`` (``match_run_publish_write``, then
``match_run_publish_queue``) pauses after telling the first person; ``slow_match_run`` (``match_run_execute``)
pauses after its first batch of outcome rows. ``test_publication_worker_killed`` kills the worker with SIGKILL
while it sleeps.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django_tasks import task

from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked
from mentorfold.matching import running
from mentorfold.matching.models import MatchRun
from mentorfold.matching.publication import match_run_publish_queue, match_run_publish_write

PAUSED = "paused after the first person"


@task()
@tracked
def slow_publish(run: TaskRun, *, match_run_id: int, hold_seconds: float = 60.0) -> dict[str, Any]:
    match_run_publish_write(match_run_id=match_run_id, user=None)

    def pause(percent: int, message: str) -> None:
        run.report(percent, PAUSED)
        time.sleep(hold_seconds)

    match_run_publish_queue(match_run_id=match_run_id, progress=pause, batch=1)
    return {"message": "done"}


@task()
@tracked
def slow_match_run(run: TaskRun, *, match_run_id: int, hold_seconds: float = 60.0) -> dict[str, Any]:
    insert = running._insert_assignments
    batches = {"n": 0}

    def insert_then_pause(*, run_id: int, rows: list[tuple[Any, ...]]) -> None:
        insert(run_id=run_id, rows=rows)
        batches["n"] += 1
        if batches["n"] == 1:  # sleep once this batch is committed, holding no lock
            transaction.on_commit(lambda: (run.report(70, PAUSED), time.sleep(hold_seconds)))

    running._insert_assignments = insert_then_pause  # this worker process runs only this job
    running.match_run_execute(match_run=MatchRun.objects.get(pk=match_run_id), batch=1)
    return {"message": "done"}
