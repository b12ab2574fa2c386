"""Mentor recognition statements: the mentor's own, checkable by code, nobody else's."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mentorfold.shadowing.tests.factories import BookingFactory, SlotFactory

from ..models import RecognitionStatement

pytestmark = pytest.mark.django_db


def test_a_mentor_gets_a_checkable_statement(client: Any, mentor: Any, other_mentor: Any) -> None:
    slot = SlotFactory(mentor=mentor, starts_at=timezone.now() - timezone.timedelta(days=1))
    BookingFactory(slot=slot, status="completed", verified_at=timezone.now(), verified_minutes=180)
    client.force_login(mentor.user)
    year = timezone.now().year
    response = client.post(reverse("outcomes:recognition"), {"year": year})
    statement = RecognitionStatement.objects.get(mentor=mentor, year=year)
    assert response.status_code == 302 and statement.totals["hours"] == 3.0
    pdf = client.get(reverse("outcomes:recognition_pdf", kwargs={"code": statement.code}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.logout()
    check = client.get(reverse("outcomes:recognition_verify", kwargs={"code": statement.code}))
    assert check.status_code == 200 and statement.code in check.content.decode()
    assert client.get(reverse("outcomes:recognition_verify", kwargs={"code": "NOPE"})).status_code == 404
    client.force_login(other_mentor.user)
    assert client.get(reverse("outcomes:recognition_pdf", kwargs={"code": statement.code})).status_code == 404


@pytest.mark.parametrize("year", ["1999", "abc", "3000"])
def test_bad_years_are_form_errors(client: Any, mentor: Any, year: str) -> None:
    client.force_login(mentor.user)
    assert client.post(reverse("outcomes:recognition"), {"year": year}).status_code == 400


@pytest.mark.parametrize("role", ["learner", "guardian", "reviewer", "coordinator"])
def test_only_mentors_open_their_recognition_page(client: Any, request: Any, role: str) -> None:
    person = request.getfixturevalue(role)
    client.force_login(getattr(person, "user", person))
    assert client.get(reverse("outcomes:recognition")).status_code == 403
