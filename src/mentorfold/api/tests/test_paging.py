"""Pages of lists ordered by another table's column load the same rows, in the same order, as plain slicing."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from mentorfold.api.catalog import page_of
from mentorfold.api.visits import _bookings
from mentorfold.shadowing.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_a_page_ordered_by_a_related_column_matches_plain_slicing() -> None:
    now = timezone.now()
    rng = random.Random(7)
    for _ in range(23):
        slot = SlotFactory(starts_at=now + timedelta(hours=rng.randint(1, 2_000)))
        BookingFactory(slot=slot)
    ordered = _bookings().order_by("-slot__starts_at", "-pk")
    for offset in (0, 10, 20, 30):
        expected = list(ordered[offset : offset + 10])
        page = page_of(ordered, offset, 10)
        assert [b.pk for b in page] == [b.pk for b in expected]
        # the relations come loaded with the page (no query per row)
        assert all("slot" in b._state.fields_cache for b in page)


def test_a_page_ordered_by_its_own_column_is_a_plain_slice(django_assert_num_queries) -> None:
    for _ in range(3):
        BookingFactory()
    ordered = _bookings().order_by("-pk")
    with django_assert_num_queries(1):
        assert len(list(page_of(ordered, 0, 2))) == 2
