"""The public impact page: off unless the society opts in; small groups hidden; no login."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from mentorfold.shadowing.tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_it_is_off_by_default(client: Any) -> None:
    assert client.get(reverse("outcomes:impact")).status_code == 404


def test_small_numbers_are_hidden(client: Any, settings: Any) -> None:
    settings.OUTCOMES_PUBLIC_IMPACT = True
    slot = SlotFactory(starts_at=timezone.now() - timezone.timedelta(days=3))
    BookingFactory(
        slot=slot,
        status="completed",
        verified_at=timezone.now(),
        verified_minutes=240,
        patients_consented=30,
        patients_declined=4,
    )
    page = client.get(reverse("outcomes:impact"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "fewer than 10" in body and "240" not in body and "4 hours" not in body
    assert "Patients who agreed" not in body  # 4 declines could identify patients
