from __future__ import annotations

import random
from datetime import date

import pytest

from mentorfold.accounts.demo import seed_people

from ..demo import seed_grants
from ..models import Application, Assignment, Conflict, Review

pytestmark = pytest.mark.django_db


def test_demo_grants_are_believable_and_idempotent() -> None:
    today = date(2026, 11, 2)
    seed_people(size="small", rng=random.Random(1), today=today)
    first = seed_grants(size="small", rng=random.Random(2), today=today)
    second = seed_grants(size="small", rng=random.Random(2), today=today)
    assert first == second
    assert first["grant_applications"] > 0
    assert first["grant_reviews"] > 0
    # Assignments respect conflicts and skip withdrawn applications.
    blocked = set(
        Conflict.objects.filter(status__in=Conflict.BLOCKING).values_list("reviewer_id", "application_id")
    )
    assert not blocked & set(Assignment.objects.values_list("reviewer_id", "application_id"))
    assert not Assignment.objects.filter(application__status=Application.Status.WITHDRAWN).exists()
    assert Assignment.objects.filter(reviewer__email="reviewer@demo.mentorfold.org").exists()
    assert Review.objects.filter(status="submitted").count() == first["grant_reviews"]
    assert Conflict.objects.filter(
        source=Conflict.Source.DECLARED, reviewer__email="reviewer@demo.mentorfold.org"
    ).exists()
