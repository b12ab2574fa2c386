"""Fast bulk inserts for the big write paths (grant conflicts and assignments, demo compliance records).

The ORM's bulk_create builds a model instance per row; for 100,000 conflicts that costs most of the time
budget. This writes the same columns with one prepared INSERT per batch (SQLite and PostgreSQL both accept
``ON CONFLICT DO NOTHING``), so duplicates are skipped exactly as ``bulk_create(ignore_conflicts=True)`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

BATCH = 5000


def now_value() -> Any:
    """The current time as the database backend stores it."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def insert_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    qn = connection.ops.quote_name
    # Table and column names come from model metadata, never from users; values are bound parameters.
    names = ", ".join(qn(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
