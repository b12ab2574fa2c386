"""Issue 14 §6: the coordinator's per-site acceptance page costs one query at any number of visits, and
counts each visit in its month in society time (not UTC), also at month edges."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentorfold.shadowing import selectors
from mentorfold.shadowing.models import Booking, Slot

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def _completed(make_slot: Any, starts_at: datetime, consented: int, declined: int) -> None:
    slot = make_slot(starts_at=starts_at)
    BookingFactory(
        slot=slot,
        status=Booking.Status.COMPLETED,
        patients_consented=consented,
        patients_declined=declined,
    )


def test_visits_at_the_edges_of_a_month_count_in_their_society_month(make_slot: Any) -> None:
    this_month = timezone.localdate().replace(day=1)
    start = timezone.make_aware(datetime.combine(this_month, datetime.min.time()))
    _completed(make_slot, start, 3, 1)  # first second of this month
    _completed(make_slot, start - timedelta(minutes=1), 1, 1)  # last minute of last month
    _completed(make_slot, start + timedelta(days=40), 9, 9)  # a later month is not shown
    data = selectors.site_acceptance_by_month(months=2)
    assert data["months"] == [(this_month - timedelta(days=1)).replace(day=1), this_month]
    [site] = data["sites"]
    assert [(c["consented"], c["declined"], c["percent"]) for c in site["cells"]] == [(1, 1, 50), (3, 1, 75)]


def test_acceptance_by_month_is_one_query_without_truncating_each_visit(make_slot: Any) -> None:
    def run() -> tuple[int, str, dict[str, Any]]:
        with CaptureQueriesContext(connection) as ctx:
            data = selectors.site_acceptance_by_month(months=12)
        return len(ctx.captured_queries), ctx.captured_queries[0]["sql"], data

    for day in range(5):
        _completed(make_slot, timezone.now() - timedelta(days=day * 9 + 1), 2, 1)
    few, _sql, _data = run()
    for day in range(45):
        _completed(make_slot, timezone.now() - timedelta(days=day * 9 + 1), 2, 1)
    many, sql, data = run()
    assert few == many == 1
    # Months are ranges on the slot's start: no per-row date function (slow at thousands of visits).
    assert "trunc" not in sql.lower()
    first = timezone.make_aware(datetime.combine(data["months"][0], datetime.min.time()))
    shown = Slot.objects.filter(starts_at__gte=first).count()
    assert 0 < shown < 50
    assert sum(c["consented"] for c in data["sites"][0]["cells"]) == 2 * shown
