"""Races on PostgreSQL with real threads: last seat, one learner's weekly cap, verify against cancel."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from mentorfold.shadowing import services
from mentorfold.shadowing.models import Booking

from .conftest import enroll_and_match


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# reason: SQLite's test database cannot be shared by two threads' connections; the row lock under test is
# PostgreSQL's SELECT ... FOR UPDATE (SQLite serialises writers with IMMEDIATE transactions instead).
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_two_learners_racing_for_the_last_seat_one_wins(
    ready: Any, other_learner: Any, mentor: Any, term: Any, make_slot: Any
) -> None:
    enroll_and_match(learner=other_learner, mentor=mentor, term=term)
    slot = make_slot(capacity=1)
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def book(learner: Any) -> None:
        try:
            barrier.wait(timeout=10)
            services.booking_create(learner=learner, slot=slot)
            results[learner.pk] = "booked"
        except ValidationError as exc:
            results[learner.pk] = " ".join(exc.messages)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(lp,)) for lp in (ready, other_learner)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcomes = sorted(results.values())
    assert outcomes[1] == "booked", outcomes
    assert outcomes[0].startswith("This slot just filled up"), outcomes
    assert Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count() == 1


def _race(*actions: Any) -> list[str]:
    """Run each action in its own thread and connection, all released at once; outcome per action."""
    barrier = threading.Barrier(len(actions))
    results: list[str] = ["not run"] * len(actions)

    def run(index: int, action: Any) -> None:
        try:
            barrier.wait(timeout=10)
            action()
            results[index] = "ok"
        except ValidationError as exc:
            results[index] = " ".join(exc.messages)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_one_learner_booking_two_slots_at_once_cannot_pass_the_weekly_cap(
    ready: Any, make_slot: Any, program: Any
) -> None:
    program.max_bookings_per_week = 1
    program.save(update_fields=["max_bookings_per_week"])
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    first = make_slot(starts_at=timezone.make_aware(datetime.combine(monday, time(9))), hours=2)
    second = make_slot(
        starts_at=timezone.make_aware(datetime.combine(monday + timedelta(days=2), time(9))), hours=2
    )

    outcomes = _race(
        lambda: services.booking_create(learner=ready, slot=first),
        lambda: services.booking_create(learner=ready, slot=second),
    )

    assert outcomes.count("ok") == 1, outcomes
    assert "at most 1 session a week" in " ".join(outcomes)
    assert Booking.objects.filter(learner=ready, status=Booking.Status.BOOKED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_verifying_hours_while_the_learner_cancels_never_verifies_a_cancelled_booking(
    ready: Any, make_slot: Any, mentor: Any
) -> None:
    slot = make_slot(days=2, hours=3)
    booking = services.booking_create(learner=ready, slot=slot)
    before_start = slot.starts_at - timedelta(hours=30)
    after_start = slot.starts_at + timedelta(hours=3)
    # Each side works from its own copy read before the race, as two browser requests would.
    learner_copy = Booking.objects.select_related("slot__mentor", "learner").get(pk=booking.pk)
    mentor_copy = Booking.objects.select_related("slot__mentor", "learner").get(pk=booking.pk)

    outcomes = _race(
        lambda: services.booking_cancel(
            booking=learner_copy, actor=ready.user, reason="Sick", now=before_start
        ),
        lambda: services.hours_verify(booking=mentor_copy, actor=mentor.user, now=after_start),
    )

    booking.refresh_from_db()
    assert outcomes.count("ok") == 1, outcomes
    if booking.status == Booking.Status.CANCELLED:
        assert booking.verified_at is None and booking.verified_minutes is None
        assert outcomes == ["ok", "Only a booked or completed session can be verified."]
    else:
        assert booking.status == Booking.Status.COMPLETED and booking.verified_minutes == 180
        assert booking.cancelled_at is None
        assert outcomes == ["Only a booked session can be cancelled.", "ok"]
