"""Issue 14 §6: the coordinator's shadowing overview shows recent bookings twenty at a time, so it costs the same
at any number of bookings; older ones are a page away."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mentorfold.shadowing import selectors
from mentorfold.shadowing.models import Booking
from mentorfold.shadowing.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _bookings(n: int) -> list[Booking]:
    now = timezone.now().replace(microsecond=0)
    made = [BookingFactory(slot=SlotFactory(starts_at=now + timedelta(days=3, hours=i))) for i in range(n)]
    for age, booking in enumerate(reversed(made)):  # the last one made is the newest
        Booking.objects.filter(pk=booking.pk).update(created_at=now - timedelta(minutes=age))
    return made


def test_the_overview_pages_through_every_booking_newest_first(client: Any, coordinator: Any) -> None:
    made = _bookings(45)
    client.force_login(coordinator)
    seen = []
    for page in (1, 2, 3):
        response = client.get(reverse("shadowing:home"), {"page": page})
        assert response.status_code == 200
        seen += [b.pk for b in response.context["recent"]]
        body = response.content.decode()
        assert ('rel="prev"' in body) == (page > 1)
        assert ('rel="next"' in body) == (page < 3)
    assert seen == [b.pk for b in reversed(made)]


def test_a_page_after_the_last_is_empty_and_a_hostile_page_is_a_400(client: Any, coordinator: Any) -> None:
    _bookings(3)
    client.force_login(coordinator)
    past_the_end = client.get(reverse("shadowing:home"), {"page": 9})
    assert past_the_end.status_code == 200 and past_the_end.context["recent"] == []
    for value in ["0", "-1", "abc", "1e9", "999999999"]:
        assert client.get(reverse("shadowing:home"), {"page": value}).status_code == 400


def test_the_overview_costs_the_same_queries_for_5_and_50_bookings(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _bookings(5)
    with django_assert_max_num_queries(8) as few:
        assert client.get(reverse("shadowing:home")).status_code == 200
    _bookings(45)
    with django_assert_max_num_queries(8) as many:
        response = client.get(reverse("shadowing:home"), {"page": 2})
    assert response.status_code == 200 and len(response.context["recent"]) == 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_selector_says_whether_an_older_page_exists() -> None:
    _bookings(4)
    first, has_older = selectors.coordinator_recent_bookings(page=1, per_page=3)
    assert len(first) == 3 and has_older
    last, has_older = selectors.coordinator_recent_bookings(page=2, per_page=2)
    assert len(last) == 2 and not has_older
