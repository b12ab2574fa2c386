"""Time every outermost ``transaction.atomic`` block while a benchmark runs, and remember the longest.

On SQLite the project opens transactions with ``BEGIN IMMEDIATE``, so every outermost atomic block holds the
database's single write lock from start to end; on PostgreSQL a block holds row locks from its first write.
Either way, the longest outermost block is the longest time another writer can be kept waiting, which is
what the "no write lock held longer than 1 s" rule is about.

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
from django.db.transaction import Atomic


class TransactionProbe:
    def __init__(self) -> None:
        self.longest = 0.0
        self.where = ""
        self.blocks = 0
        self._started: dict[str, float] = {}
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> TransactionProbe:
        original_enter, original_exit = Atomic.__enter__, Atomic.__exit__
        probe = self

        def enter(atomic: Atomic) -> None:
            using = atomic.using or "default"
            if not connections[using].in_atomic_block:
                probe._started[using] = time.perf_counter()
            original_enter(atomic)

        def exit_(atomic: Atomic, exc_type: Any, exc_value: Any, tb: Any) -> None:
            original_exit(atomic, exc_type, exc_value, tb)
            using = atomic.using or "default"
            if not connections[using].in_atomic_block and using in probe._started:
                took = time.perf_counter() - probe._started.pop(using)
                probe.blocks += 1
                if took > probe.longest:
                    probe.longest = took
                    probe.where = _caller()

        self._saved = (original_enter, original_exit)
        Atomic.__enter__ = enter  # type: ignore[method-assign]
        Atomic.__exit__ = exit_  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        Atomic.__enter__, Atomic.__exit__ = self._saved  # type: ignore[method-assign]

    def report(self) -> dict[str, Any]:
        return {"seconds": round(self.longest, 4), "where": self.where, "blocks": self.blocks}


def _caller() -> str:
    """The innermost frame of the project's own code that opened the block (not Django, not this probe)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/mentorfold/" in frame.filename and "/benchmarks/" not in frame.filename:
            short = frame.filename.split("/mentorfold/", 1)[1]
            return f"mentorfold/{short}:{frame.lineno} {frame.name}"
    frame = traceback.extract_stack()[-4]
    return f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
