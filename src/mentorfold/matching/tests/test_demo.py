from __future__ import annotations

import random
from datetime import date

import pytest

from mentorfold.accounts.demo import seed_people
from mentorfold.matching.demo import seed_matching
from mentorfold.matching.models import MatchRun, Mentorship, Preference
from mentorfold.programs.demo import seed_programs

TODAY = date(2026, 11, 2)


def seed_all() -> dict[str, int]:
    seed_people(size="small", rng=random.Random("people"), today=TODAY)
    seed_programs(size="small", rng=random.Random("programs"), today=TODAY)
    return seed_matching(size="small", rng=random.Random("matching"), today=TODAY)


@pytest.mark.django_db
def test_demo_ranks_open_terms_and_publishes_a_past_run_once() -> None:
    first = seed_all()
    assert first["preferences_added"] > 0
    assert Preference.objects.filter(learner__user__email__startswith="amina.hassan@").exists()
    assert Preference.objects.filter(learner__user__email__startswith="minh.tran@").exists()
    assert MatchRun.objects.filter(status="published").count() == 1
    assert Mentorship.objects.filter(learner__user__email__startswith="amina.hassan@").exists()
    second = seed_all()
    assert second["preferences_added"] == 0 and second["mentorships_added"] == 0
    assert second["preferences"] == first["preferences"] and second["mentorships"] == first["mentorships"]


@pytest.mark.django_db
def test_demo_does_nothing_without_open_terms() -> None:
    assert seed_matching(size="small", rng=random.Random(1), today=TODAY)["preferences"] == 0
