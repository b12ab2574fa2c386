from __future__ import annotations

import random
from datetime import date

import pytest

from mentorfold.accounts.demo import DEMO_DOMAIN, seed_people
from mentorfold.programs.demo import seed_programs
from mentorfold.shadowing.demo import seed_shadowing
from mentorfold.shadowing.models import Booking, HoursCertificate, Slot

TODAY = date(2026, 11, 2)


@pytest.mark.django_db
def test_demo_shadowing_is_believable_and_idempotent() -> None:
    seed_people(size="small", rng=random.Random(1), today=TODAY)
    seed_programs(size="small", rng=random.Random(2), today=TODAY)
    first = seed_shadowing(size="small", rng=random.Random(3), today=TODAY)
    second = seed_shadowing(size="small", rng=random.Random(3), today=TODAY)
    assert first == second and first["slots"] > 40
    certificate = HoursCertificate.objects.get(learner__user__email=f"amina.hassan@{DEMO_DOMAIN}")
    assert certificate.totals["total_minutes"] == 24 * 60
    assert len({row["specialty"] for row in certificate.totals["rows"]}) == 2
    pending = Booking.objects.filter(
        slot__mentor__user__email=f"dr.rivera@{DEMO_DOMAIN}", status="booked", verified_at__isnull=True
    )
    assert pending.count() == 2
    assert (
        Slot.objects.filter(mentor__user__email=f"dr.rivera@{DEMO_DOMAIN}", starts_at__date__gt=TODAY).count()
        > 20
    )


@pytest.mark.django_db
def test_demo_does_nothing_without_sites_and_programs() -> None:
    assert seed_shadowing(size="small", rng=random.Random(3), today=TODAY) == {"slots": 0, "bookings": 0}


@pytest.mark.django_db
def test_large_demo_scales_with_bulk_writes_and_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    from mentorfold.shadowing import demo

    monkeypatch.setattr(demo, "LARGE_MENTORS", 5)
    seed_people(size="small", rng=random.Random(1), today=TODAY)
    seed_programs(size="small", rng=random.Random(2), today=TODAY)
    first = seed_shadowing(size="large", rng=random.Random(3), today=TODAY)
    second = seed_shadowing(size="large", rng=random.Random(3), today=TODAY)
    assert first == second
    assert first["slots"] >= 5 * 10
