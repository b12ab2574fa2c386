"""A real task worker killed in the middle of a publication or a match run, and what a restart leaves.

Publication: it can be started again and every person gets exactly one notice and one e-mail. Match run: the
next run the worker takes marks the half-written one failed and removes its rows."""

from __future__ import annotations

import re
import signal
import sqlite3
from typing import Any

import pytest
from django.db import connection

from mentorfold.core.tests.filedb import copy_test_database_to_file
from mentorfold.core.tests.worker_process import wait_for
from mentorfold.core.tracking import task_run_start
from mentorfold.matching import publication, services
from mentorfold.matching.models import MatchRun

from .slow_publication import PAUSED, slow_match_run, slow_publish


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the worker runs against a copy of the SQLite test DB"
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_publication_is_finished_after_restart_telling_each_person_once(
    settings: Any, worker_env: dict[str, Any], ranked_term: Any, coordinator: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = services.match_run_execute(
        match_run=MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
    )
    publication.match_run_publish_claim(match_run=run, user=coordinator)
    job = task_run_start(
        task=slow_publish, kind="matching.publish", label="Publishing", user=None, match_run_id=run.pk
    )
    MatchRun.objects.filter(pk=run.pk).update(publish_task_run_id=job.pk)
    copy_test_database_to_file(worker_env["db"])
    db = sqlite3.connect(worker_env["db"], timeout=20)

    def one(sql: str, *params: Any) -> Any:
        return db.execute(sql, params).fetchone()

    def job_state(pk: Any) -> tuple[str, str]:
        return one("SELECT status, message FROM core_taskrun WHERE id = ?", pk.hex)

    first = worker_env["start"]()
    wait_for(lambda: job_state(job.pk)[1] == PAUSED, timeout=60, what="the job to tell its first person")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert one("SELECT status FROM matching_matchrun WHERE id = ?", run.pk) == ("published",)
    assert one("SELECT COUNT(*) FROM matching_publicationmail") == (1,)
    assert one("SELECT COUNT(*) FROM matching_mentorship") == (2,)

    second = worker_env["start"]()  # marks the job of the dead worker failed before taking new jobs
    wait_for(
        lambda: job_state(job.pk)[0] == "failed", timeout=60, what="the restarted worker to fail the job"
    )
    # The coordinator publishes again, as the run page offers once the job failed.
    worker_env["shell"](
        "from mentorfold.matching import services\n"
        "from mentorfold.matching.models import MatchRun\n"
        f"run = MatchRun.objects.get(pk={run.pk})\n"
        "assert services.publication_can_retry(run)\n"
        "services.match_run_publish_start(match_run=run, user=None)\n"
    )

    def mail_done() -> bool:
        row = one("SELECT mail_task_run_id FROM matching_matchrun WHERE id = ?", run.pk)
        if not row or not row[0]:
            return False
        state = one("SELECT status FROM core_taskrun WHERE id = ?", row[0].replace("-", ""))
        return bool(state) and state[0] in {"succeeded", "failed"}

    wait_for(mail_done, timeout=90, what="the publication and its e-mails to finish")
    assert second.poll() is None
    mail_text = "".join(p.read_text() for p in worker_env["mail"].glob("*.log"))
    to = re.findall(r"^To: (.+)$", mail_text, flags=re.MULTILINE)
    assert len(to) == 4 and len(set(to)) == 4  # two learners, two mentors: each told once
    assert one("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM core_notice") == (4, 4)
    assert one("SELECT COUNT(*) FROM matching_mentorship") == (2,)
    assert one("SELECT COUNT(*) FROM matching_publicationmail WHERE sent_at IS NOT NULL") == (4,)
    db.close()


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the worker runs against a copy of the SQLite test DB"
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_match_run_leaves_it_failed_without_rows_once_the_next_run_starts(
    settings: Any, worker_env: dict[str, Any], ranked_term: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
    job = task_run_start(
        task=slow_match_run, kind="matching.run", label="Run", user=None, match_run_id=run.pk
    )
    MatchRun.objects.filter(pk=run.pk).update(task_run_id=job.pk)
    copy_test_database_to_file(worker_env["db"])
    db = sqlite3.connect(worker_env["db"], timeout=20)

    def one(sql: str, *params: Any) -> Any:
        return db.execute(sql, params).fetchone()

    def run_state(pk: int) -> tuple[str, str]:
        return one("SELECT status, message FROM matching_matchrun WHERE id = ?", pk)

    first = worker_env["start"]()
    wait_for(
        lambda: one("SELECT message FROM core_taskrun WHERE id = ?", job.pk.hex) == (PAUSED,),
        timeout=60,
        what="the run to write its first batch",
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert run_state(run.pk)[0] == "running"
    assert one("SELECT COUNT(*) FROM matching_matchassignment WHERE run_id = ?", run.pk) == (1,)

    second = worker_env["start"]()
    wait_for(
        lambda: one("SELECT status FROM core_taskrun WHERE id = ?", job.pk.hex) == ("failed",),
        timeout=60,
        what="the restarted worker to fail the job",
    )
    # The coordinator starts a new run; the worker tidies up the dead one before running it.
    out = worker_env["shell"](
        "from mentorfold.matching import services\n"
        "from mentorfold.programs.models import Term\n"
        f"term = Term.objects.get(pk={ranked_term.pk})\n"
        "print(services.match_run_create(term=term, method='stable', seed=2, user=None).pk)\n"
    )
    new = int(out.strip().splitlines()[-1])
    wait_for(lambda: run_state(new)[0] == "succeeded", timeout=90, what="the new run to finish")
    assert second.poll() is None
    status, message = run_state(run.pk)
    assert status == "failed" and "worker stopped" in message
    assert one("SELECT COUNT(*) FROM matching_matchassignment WHERE run_id = ?", run.pk) == (0,)
    assert one("SELECT COUNT(*) FROM matching_matchassignment WHERE run_id = ?", new) == (2,)
    db.close()
