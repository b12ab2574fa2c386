"""Cancelling slots from the calendar: every slot id goes through a form limited to the mentor's own slots."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mentorfold.shadowing.models import Slot

pytestmark = pytest.mark.django_db

HOSTILE = [
    "abc",
    "-1",
    "99999999999999999999",
    "1\x00",
    "\u00b2",  # superscript two: str.isdigit() says yes, int() refuses it
    "arabic-indic",  # the slot's own number in Arabic-Indic digits: isdigit() says yes and int() reads it
    "",
    " 1",
]


def _post(client: Any, slots: list[str], reason: str = "Conference week") -> Any:
    return client.post(reverse("shadowing:slots_cancel"), {"slot": slots, "reason": reason})


def _errors(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_it_refuses_a_hostile_slot_value_and_cancels_nothing(
    client: Any, mentor: Any, make_slot: Any, hostile: str
) -> None:
    mine = make_slot()
    if hostile == "arabic-indic":
        hostile = "".join(chr(0x660 + int(digit)) for digit in str(mine.pk))
        chosen = [hostile]
    else:
        chosen = [str(mine.pk), hostile]
    client.force_login(mentor.user)
    response = _post(client, chosen)
    assert response.status_code in (302, 400)
    assert _errors(response), "the mentor is told what was wrong"
    mine.refresh_from_db()
    assert mine.status == Slot.Status.OPEN


def test_it_refuses_another_mentors_slot_instead_of_ignoring_it(
    client: Any, mentor: Any, other_mentor: Any, make_slot: Any
) -> None:
    mine, theirs = make_slot(), make_slot(mentor=other_mentor)
    client.force_login(mentor.user)
    response = _post(client, [str(mine.pk), str(theirs.pk)])
    assert response.status_code == 302
    assert any("not one of your" in m for m in _errors(response))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Slot.Status.OPEN and theirs.status == Slot.Status.OPEN


def test_it_asks_to_choose_a_slot_when_none_is_chosen(client: Any, mentor: Any) -> None:
    client.force_login(mentor.user)
    response = _post(client, [])
    assert any("Choose at least one slot" in m for m in _errors(response))


def test_it_asks_for_a_reason(client: Any, mentor: Any, make_slot: Any) -> None:
    mine = make_slot()
    client.force_login(mentor.user)
    response = _post(client, [str(mine.pk)], reason="   ")
    assert any("Reason" in m for m in _errors(response))
    mine.refresh_from_db()
    assert mine.status == Slot.Status.OPEN


def test_it_cancels_the_mentors_own_slots_in_few_queries(
    client: Any, mentor: Any, make_slot: Any, django_assert_max_num_queries: Any
) -> None:
    slots = [make_slot(days=d) for d in (2, 3, 4)]
    client.force_login(mentor.user)
    with django_assert_max_num_queries(25):
        response = _post(client, [str(s.pk) for s in slots])
    assert response.status_code == 302 and not _errors(response)
    assert set(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("status", flat=True)) == {
        Slot.Status.CANCELLED
    }
