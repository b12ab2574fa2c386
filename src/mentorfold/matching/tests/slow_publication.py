"""A test-only publication job that pauses after telling the first person, so a test can kill its worker there.

It runs the real steps (``match_run_publish_write``, ``match_run_publish_queue``) in the worker process;
``test_publication_worker_killed`` kills the worker with SIGKILL while it sleeps between two queue batches.
"""

from __future__ import annotations

import time
from typing import Any

from django_tasks import task

from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked
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
