"""Issue 14 §6: the coordinator's messages page reads its newest threads through an index, with no sort of
every thread before the page's LIMIT (on SQLite the unread counts were computed for every thread too)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from mentorfold.messaging import selectors
from mentorfold.messaging.views import THREADS_PER_PAGE

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's EXPLAIN QUERY PLAN")
def test_the_thread_page_walks_the_recent_index_without_sorting_every_thread(coordinator: Any) -> None:
    threads = selectors.visible_threads(coordinator).select_related(
        "mentorship__mentor__user", "mentorship__learner__user"
    )
    query = selectors.with_unread(threads.order_by("-last_message_at", "-pk"), coordinator)[:THREADS_PER_PAGE]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING INDEX thread_recent_idx" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan
