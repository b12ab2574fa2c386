"""Time every outermost ``transaction.atomic`` block while a benchmark runs, and remember the longest.

On SQLite the project opens transactions with ``BEGIN IMMEDIATE``, so every outermost atomic block holds the
database's single write lock from start to end; on PostgreSQL a block holds row locks from its first write.
Either way, the longest outermost block is the longest time another writer can be kept waiting, which is
what the "no write lock held longer than 1 s" rule is about. A block ends at its commit: the ``on_commit``
callbacks Django runs right after (mail, enqueued tasks, run inline by the immediate task backend) are not part
of it, and the transactions they open are timed as blocks of their own.

Usage::

    probe = TransactionProbe()
    with probe:
        ...  # requests, tasks, services
    probe.report()  # {"seconds": 0.012, "where": "mentorfold/shadowing/services.py:88 booking_create", ...}
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import Atomic


class TransactionProbe:
    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_cpu = 0.0  # CPU seconds of this process during the longest block: not inflated by load
        self.where = ""
        self.blocks = 0
        self._started: dict[str, tuple[float, float]] = {}
        self._saved: tuple[Any, Any, Any] | None = None

    def _finish(self, using: str) -> None:
        wall, cpu = self._started.pop(using)
        took = time.perf_counter() - wall
        self.blocks += 1
        if took > self.longest:
            self.longest = took
            self.longest_cpu = time.process_time() - cpu
            self.where = _caller()

    def __enter__(self) -> TransactionProbe:
        original_enter, original_exit = Atomic.__enter__, Atomic.__exit__
        original_hooks = BaseDatabaseWrapper.run_and_clear_commit_hooks
        probe = self

        def enter(atomic: Atomic) -> None:
            using = atomic.using or "default"
            if not connections[using].in_atomic_block:
                probe._started[using] = (time.perf_counter(), time.process_time())
            original_enter(atomic)

        def exit_(atomic: Atomic, exc_type: Any, exc_value: Any, tb: Any) -> None:
            original_exit(atomic, exc_type, exc_value, tb)
            using = atomic.using or "default"
            if not connections[using].in_atomic_block and using in probe._started:
                probe._finish(using)  # rolled back, or committed without callbacks

        def hooks(connection: BaseDatabaseWrapper) -> None:
            # Runs right after the outermost block committed: the lock is released, so the block ends here.
            if not connection.in_atomic_block and connection.alias in probe._started:
                probe._finish(connection.alias)
            original_hooks(connection)

        self._saved = (original_enter, original_exit, original_hooks)
        Atomic.__enter__ = enter  # type: ignore[method-assign]
        Atomic.__exit__ = exit_  # type: ignore[method-assign,assignment]
        BaseDatabaseWrapper.run_and_clear_commit_hooks = hooks  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        Atomic.__enter__, Atomic.__exit__, BaseDatabaseWrapper.run_and_clear_commit_hooks = self._saved  # type: ignore[method-assign]

    def report(self) -> dict[str, Any]:
        return {
            "seconds": round(self.longest, 4),
            "cpu_seconds": round(self.longest_cpu, 4),
            "where": self.where,
            "blocks": self.blocks,
        }


def _caller() -> str:
    """The innermost frame of the project's own code that opened the block (not Django, not this probe)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/mentorfold/" in frame.filename and "/benchmarks/" not in frame.filename:
            short = frame.filename.split("/mentorfold/", 1)[1]
            return f"mentorfold/{short}:{frame.lineno} {frame.name}"
    frame = traceback.extract_stack()[-4]
    return f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
