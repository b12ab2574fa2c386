"""``manage.py worker`` settles what dead jobs left behind in every app before it takes new jobs."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.core import tracking
from mentorfold.core.management.commands import worker
from mentorfold.core.models import TaskRun
from mentorfold.matching.models import MatchRun
from mentorfold.matching.running import match_runs_recover
from mentorfold.programs.importing import import_batches_recover
from mentorfold.programs.tests.factories import TermFactory

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_recoveries() -> None:
    assert match_runs_recover in tracking._recoveries
    assert import_batches_recover in tracking._recoveries


def test_a_match_run_left_running_by_a_dead_job_is_failed_when_the_worker_starts(
    monkeypatch: Any, coordinator: Any
) -> None:
    term = TermFactory()
    job = TaskRun.objects.create(kind="matching.run", label="run", status=TaskRun.Status.FAILED)
    run = MatchRun.objects.create(
        term=term, method="stable", seed=1, status=MatchRun.Status.RUNNING, task_run_id=job.pk
    )
    # The worker command recovers, then hands over to django-tasks' loop, which the test does not start.
    monkeypatch.setattr(worker.DBWorkerCommand, "handle", lambda self, *args, **kwargs: None)
    worker.Command().handle(stale_after_minutes=10, worker_id=None)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.FAILED and "worker stopped" in run.message
