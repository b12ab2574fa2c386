"""Request values on shadowing pages go through forms: a value that is not one gets an error, never a guess."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from mentorfold.shadowing.models import Booking, CalendarFeedToken

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        {"date": "2026-13-45"},
        {"date": "yesterday"},
        {"date": "2026-12-01\x00"},
        {"view": "year"},
        {"view": "month\x00"},
        {"view": "month", "date": "9" * 40},
    ],
)
def test_a_calendar_address_that_is_not_a_view_or_a_date_is_refused_not_replaced_by_today(
    client: Any, mentor: Any, query: dict[str, str]
) -> None:
    client.force_login(mentor.user)
    url = reverse("shadowing:calendar")
    assert client.get(url, {"view": "month", "date": "2026-12-01"}).status_code == 200
    assert client.get(url).status_code == 200
    assert client.get(url, query).status_code == 400


def test_the_month_view_shows_the_month_asked_for(client: Any, mentor: Any) -> None:
    client.force_login(mentor.user)
    page = client.get(reverse("shadowing:calendar"), {"view": "month", "date": "2027-02-10"}).content.decode()
    assert "February 2027" in page


@pytest.mark.parametrize("reason", ["x" * 1001, "plans changed\x00"])
def test_a_cancel_reason_that_is_too_long_or_hidden_is_named_and_nothing_changes(
    client: Any, learner: Any, reason: str
) -> None:
    booking = BookingFactory(learner=learner, slot__starts_at=timezone.now() + timedelta(days=5))
    client.force_login(learner.user)
    response = client.post(reverse("shadowing:booking_cancel", args=[booking.pk]), {"reason": reason})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert any(str(m).startswith("Reason:") for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("action", ["", "delete", "revoke\x00"])
def test_an_unknown_calendar_feed_button_is_refused_and_no_address_is_made(
    client: Any, mentor: Any, action: str
) -> None:
    client.force_login(mentor.user)
    response = client.post(reverse("shadowing:feed_settings"), {"action": action})
    assert response.status_code == 400
    assert not CalendarFeedToken.objects.filter(user=mentor.user).exists()


def test_the_feed_buttons_still_make_and_turn_off_an_address(client: Any, mentor: Any) -> None:
    client.force_login(mentor.user)
    client.post(reverse("shadowing:feed_settings"), {"action": "create"})
    assert CalendarFeedToken.objects.filter(user=mentor.user, revoked_at__isnull=True).exists()
    client.post(reverse("shadowing:feed_settings"), {"action": "revoke"})
    assert not CalendarFeedToken.objects.filter(user=mentor.user, revoked_at__isnull=True).exists()
