"""A real task worker killed with SIGKILL while an import writes its chunks: nobody is ever half imported.

The killed import leaves inactive accounts without profiles behind (invisible); the next worker, when it
starts, marks the job failed and runs the import recovery (``import_batches_recover``), which removes them.
"""

from __future__ import annotations

import csv
import io
import signal
import sqlite3
from typing import Any

import pytest
from django.db import connection

from mentorfold.core.tests.filedb import copy_test_database_to_file
from mentorfold.core.tests.worker_process import DB_BACKEND, wait_for
from mentorfold.core.tracking import task_run_start
from mentorfold.programs import importing
from mentorfold.programs.tasks import import_people

ROWS = 20000  # enough chunks (of 1,000) that the worker is still writing them when it is killed


def _data() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "full_name", "specialty"])
    for i in range(ROWS):
        writer.writerow([f"killed{i}@example.org", f"Dr Killed {i}", "Surgery"])
    return out.getvalue().encode()


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the worker runs against a copy of the SQLite test DB"
)
@pytest.mark.django_db(transaction=True)
def test_an_import_killed_mid_chunks_is_failed_and_cleaned_up_with_nothing_live(
    settings: Any,
    coordinator: Any,
    worker_env: dict[str, Any],
) -> None:
    settings.TASKS = DB_BACKEND
    batch = importing.import_batch_create(actor=coordinator, kind="mentors", name="m.csv", data=_data())
    assert batch.errors == []

    def enqueue(b: Any) -> Any:
        return task_run_start(
            task=import_people,
            kind="programs.import",
            label="import",
            user=coordinator,
            batch_id=b.pk,
            actor_id=coordinator.pk,
        )

    importing.import_batch_start(batch=batch, actor=coordinator, enqueue=enqueue)
    copy_test_database_to_file(worker_env["db"])
    db = sqlite3.connect(worker_env["db"], timeout=20)

    def count(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    pending = "SELECT COUNT(*) FROM programs_importpending"
    people = "SELECT COUNT(*) FROM accounts_user WHERE email LIKE 'killed%'"
    profiles = (
        "SELECT COUNT(*) FROM accounts_mentorprofile p JOIN accounts_user u ON u.id = p.user_id "
        "WHERE u.email LIKE 'killed%'"
    )
    worker = worker_env["start"]()
    wait_for(lambda: count(pending) >= 2000, timeout=120, what="the import to write two chunks")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert db.execute("SELECT status FROM programs_importbatch").fetchone()[0] == "running"
    left = count(pending)
    assert 2000 <= left < ROWS and count(people) == left  # written, not live
    assert count(profiles) == 0
    assert count("SELECT COUNT(*) FROM accounts_user WHERE email LIKE 'killed%' AND is_active") == 0

    second = worker_env["start"]()  # marks the job failed (its worker is gone), then settles the import
    wait_for(
        lambda: (
            db.execute("SELECT status FROM programs_importbatch").fetchone()[0] == "failed"
            and not count(pending)
        ),
        timeout=90,
        what="the restarted worker to fail the import and remove its leftovers",
    )
    assert second.poll() is None, (worker_env["logs"] / "worker1.log").read_text()
    assert db.execute("SELECT status FROM core_taskrun").fetchone()[0] == "failed"
    assert db.execute("SELECT status FROM programs_importbatch").fetchone()[0] == "failed"
    assert count(pending) == 0 and count(people) == 0 and count(profiles) == 0
    assert count("SELECT COUNT(*) FROM programs_importpendinglanguage") == 0
    assert count("SELECT COUNT(*) FROM account_emailaddress WHERE email LIKE 'killed%'") == 0
    db.close()
