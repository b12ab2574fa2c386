"""Two learners press "Book" for the last seat at the same moment: exactly one gets it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

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
