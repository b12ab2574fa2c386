"""A real task worker process for tests that kill it: started against a file copy of the SQLite test database.

Import the fixture into a test module (``from mentorfold.core.tests.worker_process import worker_env``); copy the
test database to ``worker_env["db"]`` (``filedb.copy_test_database_to_file``) before ``worker_env["start"]()``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

# The task backend the worker reads: the tests queue their jobs in the database it polls.
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def worker_env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``start()`` a worker (each gets its own log), ``shell(code)`` runs Python against the worker's database."""
    procs: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }

    def start() -> subprocess.Popen[bytes]:
        cmd = [sys.executable, MANAGE, "worker", "--interval", "0.1", "--no-reload", "--no-startup-delay"]
        log = (tmp_path / f"worker{len(procs)}.log").open("wb")
        proc = subprocess.Popen([*cmd, "--skip-checks"], env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    def shell(code: str) -> str:
        done = subprocess.run(
            [sys.executable, MANAGE, "shell", "--no-imports", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    yield {
        "start": start,
        "shell": shell,
        "db": tmp_path / "worker.sqlite3",
        "mail": tmp_path / "mail",
        "logs": tmp_path,
    }
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
