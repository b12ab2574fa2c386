"""Shared fixtures: two mentorships in one program (ours and a stranger's), a past visit, a minor's mentorship."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mentorfold.matching.tests.factories import MentorshipFactory, TermFactory
from mentorfold.shadowing.tests.factories import BookingFactory, SlotFactory


@pytest.fixture
def term(db: None) -> Any:
    return TermFactory()


@pytest.fixture
def mentorship(mentor: Any, learner: Any, term: Any) -> Any:
    return MentorshipFactory(mentor=mentor, learner=learner, term=term)


@pytest.fixture
def other_mentorship(other_mentor: Any, other_learner: Any, term: Any) -> Any:
    return MentorshipFactory(mentor=other_mentor, learner=other_learner, term=term)


@pytest.fixture
def minor_mentorship(other_mentor: Any, minor_learner: Any, term: Any) -> Any:
    return MentorshipFactory(mentor=other_mentor, learner=minor_learner, term=term)


@pytest.fixture
def past_visit(mentorship: Any) -> Any:
    start = timezone.now() - timedelta(days=2)
    slot = SlotFactory(
        mentor=mentorship.mentor,
        program=mentorship.term.program,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
    )
    return BookingFactory(slot=slot, learner=mentorship.learner)
