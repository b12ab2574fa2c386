"""A match run writes its outcome rows in short transactions, and its result appears all at once at the end."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentorfold.core.models import TaskRun
from mentorfold.matching import running, services
from mentorfold.matching.models import MatchAssignment, MatchRun

from .conftest import many_learners


def new_run(term: Any) -> MatchRun:
    return MatchRun.objects.create(term=term, method="stable", seed=1)


def test_outcome_rows_go_in_batches_and_the_result_appears_only_when_the_run_is_finished(
    ranked_term: Any, monkeypatch: Any
) -> None:
    many_learners(ranked_term, 5)  # 7 learners: batches of 3 → 3 transactions of rows
    run = new_run(ranked_term)
    seen: list[tuple[int, str, bool]] = []
    insert = running._insert_assignments

    def watched(*, run_id: int, rows: list[tuple[Any, ...]]) -> None:
        insert(run_id=run_id, rows=rows)
        # What a page would read between two batches: the run is still running and shows no result.
        stored = MatchRun.objects.only("status", "stats").get(pk=run_id)
        seen.append((len(rows), stored.status, bool(stored.stats)))

    monkeypatch.setattr(running, "_insert_assignments", watched)
    done = services.match_run_execute(match_run=run, batch=3)
    assert seen == [(3, "running", False), (3, "running", False), (1, "running", False)]
    done.refresh_from_db()
    assert done.status == MatchRun.Status.SUCCEEDED and done.stats["learners"] == 7
    assert MatchAssignment.objects.filter(run=done).count() == 7
    assert done.inputs["learner_ids"] and done.result["match"]  # JSON written pre-encoded reads back as JSON


def test_a_run_that_failed_while_writing_shows_nothing_and_a_retry_writes_each_learner_once(
    ranked_term: Any, monkeypatch: Any
) -> None:
    many_learners(ranked_term, 5)
    run = new_run(ranked_term)
    insert = running._insert_assignments
    calls = {"n": 0}

    def dies_on_second_batch(*, run_id: int, rows: list[tuple[Any, ...]]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        insert(run_id=run_id, rows=rows)

    monkeypatch.setattr(running, "_insert_assignments", dies_on_second_batch)
    with pytest.raises(OSError, match="disk full"):
        services.match_run_execute(match_run=run, batch=3)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.RUNNING and not run.stats  # a page shows no half result
    assert MatchAssignment.objects.filter(run=run).count() == 3

    monkeypatch.setattr(running, "_insert_assignments", insert)
    services.match_run_execute(match_run=run, batch=3)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED
    assert MatchAssignment.objects.filter(run=run).count() == 7
    assert MatchAssignment.objects.filter(run=run).values("learner").distinct().count() == 7


def test_a_run_marked_failed_while_it_wrote_stays_failed(ranked_term: Any, monkeypatch: Any) -> None:
    run = new_run(ranked_term)
    write = running._write_outcomes

    def failed_meanwhile(**kwargs: Any) -> None:
        write(**kwargs)
        running.match_run_fail(match_run_id=run.pk, message="stopped by the coordinator")

    monkeypatch.setattr(running, "_write_outcomes", failed_meanwhile)
    with pytest.raises(ValidationError, match="stopped before it finished"):
        services.match_run_execute(match_run=run)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.FAILED and not run.stats


def test_the_last_write_neither_reads_nor_encodes_the_frozen_inputs_under_the_lock(ranked_term: Any) -> None:
    run = new_run(ranked_term)
    with CaptureQueriesContext(connection) as ctx:
        services.match_run_execute(match_run=run)
    finishing = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "inputs" in q["sql"]
    ]
    assert len(finishing) == 1  # one conditional UPDATE marks the run finished ...
    assert '"status" = ' in finishing[0].split("WHERE", 1)[1]  # ... only if it is still running


def test_a_run_half_written_by_a_worker_that_died_is_marked_failed_and_its_rows_removed(
    ranked_term: Any, coordinator: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    many_learners(ranked_term, 5)
    with django_capture_on_commit_callbacks(execute=False):
        dead = services.match_run_create(term=ranked_term, method="stable", seed=1, user=coordinator)
        alive = services.match_run_create(term=ranked_term, method="stable", seed=2, user=coordinator)
    # The worker died after the first batch of rows: what it leaves behind, as restart recovery marks it.
    MatchRun.objects.filter(pk__in=[dead.pk, alive.pk]).update(status=MatchRun.Status.RUNNING)
    insert = running._insert_assignments
    batches = {"n": 0}

    def killed_in_second_batch(*, run_id: int, rows: list[tuple[Any, ...]]) -> None:
        batches["n"] += 1
        if batches["n"] == 2:
            raise SystemExit("worker killed")
        insert(run_id=run_id, rows=rows)

    monkeypatch.setattr(running, "_insert_assignments", killed_in_second_batch)
    with pytest.raises(SystemExit):
        running.match_run_execute(match_run=dead, batch=3)
    assert MatchAssignment.objects.filter(run=dead).count() == 3
    TaskRun.objects.filter(pk=dead.task_run_id).update(status=TaskRun.Status.FAILED)
    TaskRun.objects.filter(pk=alive.task_run_id).update(status=TaskRun.Status.RUNNING)

    assert running.match_runs_recover() == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == MatchRun.Status.FAILED and "worker stopped" in dead.message
    assert not MatchAssignment.objects.filter(run=dead).exists()
    assert MatchRun.objects.get(pk=alive.pk).status == MatchRun.Status.RUNNING  # its worker still works
    assert running.match_runs_recover() == []
