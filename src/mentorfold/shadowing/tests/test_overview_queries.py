"""The coordinator's shadowing overview reads only the rows it shows, in the same few queries at any size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from mentorfold.shadowing import selectors
from mentorfold.shadowing.models import Booking
from mentorfold.shadowing.tests.factories import BookingFactory, HoursCertificateFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _bookings(n: int, *, start_days: int) -> list[Booking]:
    now = timezone.now().replace(microsecond=0)
    made = []
    for i in range(n):
        slot = SlotFactory(starts_at=now + timedelta(days=start_days, hours=i), capacity=2)
        made.append(BookingFactory(slot=slot))
        made.append(BookingFactory(slot=slot, status=Booking.Status.CANCELLED))
    return made


def test_the_overview_costs_the_same_queries_for_a_few_and_many_bookings(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _bookings(2, start_days=-5)
    HoursCertificateFactory()
    with django_assert_max_num_queries(8):
        small = client.get(reverse("shadowing:home"))
    _bookings(40, start_days=-40)
    HoursCertificateFactory.create_batch(25)
    with django_assert_max_num_queries(8):
        large = client.get(reverse("shadowing:home"))
    assert small.status_code == large.status_code == 200
    assert len(small.context["recent"]) == 4 and len(large.context["recent"]) == 20
    assert len(large.context["certificates"]) == 20


def test_recent_bookings_are_the_newest_made_whatever_their_visit_date() -> None:
    old = _bookings(30, start_days=10)
    # Booked last, for visits in the past (a correction) and far in the future.
    new = _bookings(2, start_days=-20) + _bookings(2, start_days=200)
    Booking.objects.filter(pk__in=[b.pk for b in old]).update(created_at=timezone.now() - timedelta(days=3))
    shown, _has_older = selectors.coordinator_recent_bookings(per_page=8)
    assert shown == sorted(new, key=lambda b: (b.created_at, b.pk), reverse=True)


def test_recent_certificates_are_the_newest() -> None:
    now = timezone.now()
    certificates = [HoursCertificateFactory(issued_at=now - timedelta(days=d)) for d in range(25)]
    assert selectors.coordinator_recent_certificates(limit=3) == certificates[:3]


def test_late_cancellations_count_only_the_last_90_days() -> None:
    recent, old = _bookings(2, start_days=-5)[:2:1]
    Booking.objects.filter(pk=recent.pk).update(
        status=Booking.Status.CANCELLED, is_late_cancellation=True, cancelled_at=timezone.now()
    )
    Booking.objects.filter(pk=old.pk).update(
        status=Booking.Status.CANCELLED,
        is_late_cancellation=True,
        cancelled_at=timezone.now() - timedelta(days=120),
    )
    rows = selectors.late_cancellation_counts(since=timezone.now() - timedelta(days=90))
    assert [(r["learner_id"], r["count"]) for r in rows] == [(recent.learner_id, 1)]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_the_overview_queries_use_indexes_instead_of_reading_every_booking() -> None:
    _bookings(5, start_days=-5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plans = []
    for qs in (
        Booking.objects.order_by("-created_at", "-pk").values("pk")[:50],
        Booking.objects.filter(is_late_cancellation=True, cancelled_at__gte=timezone.now())
        .order_by()
        .values("pk"),
    ):
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plans.append(" | ".join(row[-1] for row in cursor.fetchall()))
    assert "shadowing_booking_created" in plans[0] and "TEMP B-TREE" not in plans[0], plans[0]
    assert "shadowing_booking_late_cancel" in plans[1], plans[1]
