"""``manage.py worker``: django-tasks-db's ``db_worker`` that first marks failed the jobs a dead worker left.

A worker killed mid-job (SIGKILL, out of memory, a power cut) leaves its job RUNNING forever. Before taking new
jobs this command runs ``core.tracking.task_runs_recover``: a job whose worker process is gone is marked failed
with a message the progress page shows; nothing is run twice. It names itself ``host:pid:start`` so the next
worker can tell whether that process still lives. All of ``db_worker``'s options work unchanged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from mentorfold.core.tracking import (
    DEFAULT_STALE_AFTER,
    app_records_recover,
    task_runs_recover,
    worker_identity,
)


class Command(DBWorkerCommand):
    help = "Run the background task worker, after marking failed the jobs of workers that died mid-job."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # Our default id says which process runs a job; computed in handle(), in the process that works.
        parser.set_defaults(worker_id=None)
        parser.add_argument(
            "--stale-after-minutes",
            type=int,
            default=int(DEFAULT_STALE_AFTER.total_seconds() // 60),
            help="A job of a worker on another machine with no progress for this long counts as lost.",
        )

    def handle(self, *args: Any, stale_after_minutes: int, worker_id: str | None, **options: Any) -> None:
        marked = task_runs_recover(stale_after=timedelta(minutes=stale_after_minutes))
        if marked:
            self.stderr.write(f"Marked {len(marked)} interrupted job(s) failed: {', '.join(marked)}")
        app_records_recover()  # e.g. a match run or an import its dead job left half-written
        super().handle(*args, worker_id=worker_id or worker_identity(), **options)
