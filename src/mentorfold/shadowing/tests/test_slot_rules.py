"""Issue #15: a mentor's slots never overlap, and only programs the mentor joined can get slots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from mentorfold.shadowing import services
from mentorfold.shadowing.models import Slot

from .factories import ProgramFactory

pytestmark = pytest.mark.django_db


def _publish(mentor: Any, site: Any, program: Any, start: Any, hours: float = 3, **kwargs: Any) -> list[Slot]:
    return services.slot_create(
        mentor=mentor,
        site=site,
        program=program,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        actor=mentor.user,
        **kwargs,
    )


@pytest.fixture
def start() -> Any:
    return timezone.now().replace(microsecond=0, second=0) + timedelta(days=2)


def test_an_overlapping_slot_of_the_same_mentor_is_refused(
    mentor: Any, site: Any, program: Any, joined: Any, start: Any
) -> None:
    _publish(mentor, site, program, start)
    with pytest.raises(ValidationError) as info:
        _publish(mentor, site, program, start + timedelta(hours=2))
    assert "you already have a slot at that time" in str(info.value)
    assert info.value.error_dict["starts_at"][0].code == "overlap"
    assert Slot.objects.count() == 1


def test_back_to_back_slots_and_other_mentors_slots_are_fine(
    mentor: Any, other_mentor: Any, site: Any, program: Any, joined: Any, term: Any, start: Any
) -> None:
    from mentorfold.programs.tests.factories import MentorTermOptInFactory

    MentorTermOptInFactory(term=term, mentor=other_mentor)
    _publish(mentor, site, program, start)
    _publish(mentor, site, program, start + timedelta(hours=3))
    _publish(other_mentor, site, program, start)
    assert Slot.objects.count() == 3


def test_a_cancelled_slot_does_not_block_a_new_one(
    mentor: Any, site: Any, program: Any, joined: Any, start: Any
) -> None:
    [slot] = _publish(mentor, site, program, start)
    services.slots_cancel(slots=[slot], actor=mentor.user, reason="Away")
    assert len(_publish(mentor, site, program, start)) == 1


def test_a_weekly_series_that_runs_into_an_existing_slot_is_refused_whole(
    mentor: Any, site: Any, program: Any, joined: Any, start: Any
) -> None:
    _publish(mentor, site, program, start + timedelta(weeks=2, hours=1))
    with pytest.raises(ValidationError) as info:
        _publish(
            mentor, site, program, start, repeat_weekly_until=timezone.localdate(start) + timedelta(weeks=3)
        )
    assert "you already have a slot at that time" in str(info.value)
    assert Slot.objects.count() == 1


def test_a_series_overlapping_itself_is_impossible_but_each_week_is_checked(
    mentor: Any, site: Any, program: Any, joined: Any, start: Any
) -> None:
    created = _publish(
        mentor, site, program, start, repeat_weekly_until=timezone.localdate(start) + timedelta(weeks=2)
    )
    with pytest.raises(ValidationError) as info:
        _publish(
            mentor,
            site,
            program,
            start + timedelta(minutes=30),
            repeat_weekly_until=timezone.localdate(start) + timedelta(weeks=2),
        )
    assert "you already have slots at those times" in str(info.value)
    assert Slot.objects.count() == len(created) == 3


def test_a_program_the_mentor_never_joined_is_refused(
    mentor: Any, site: Any, joined: Any, start: Any
) -> None:
    elsewhere = ProgramFactory(name="Surgery summer")
    with pytest.raises(ValidationError) as info:
        _publish(mentor, site, elsewhere, start)
    assert "you have not joined Surgery summer" in str(info.value)
    assert not Slot.objects.exists()


def test_the_slot_form_offers_only_joined_programs_and_explains_a_clash(
    client: Any, mentor: Any, site: Any, program: Any, joined: Any, start: Any
) -> None:
    ProgramFactory(name="Surgery summer")
    site.mentors.add(mentor)
    client.force_login(mentor.user)
    page = client.get(reverse("shadowing:slot_new")).content.decode()
    assert program.name in page and "Surgery summer" not in page
    local = timezone.localtime(start)
    _publish(mentor, site, program, start)
    data = {
        "site": site.pk,
        "program": program.pk,
        "day": local.date().isoformat(),
        "start": local.strftime("%H:%M"),
        "end": (local + timedelta(hours=1)).strftime("%H:%M"),
        "capacity": "1",
    }
    response = client.post(reverse("shadowing:slot_new"), data)
    assert response.status_code == 200
    assert "you already have a slot at that time" in response.content.decode()
    assert Slot.objects.count() == 1
