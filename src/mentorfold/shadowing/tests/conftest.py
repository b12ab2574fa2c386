"""Shadowing fixtures: a program with a term, a site, and a learner who is enrolled and matched to ``mentor``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mentorfold.programs.tests.factories import MentorTermOptInFactory

from .factories import (
    EnrollmentFactory,
    MentorshipFactory,
    ProgramFactory,
    SiteFactory,
    SlotFactory,
    TermFactory,
)


@pytest.fixture
def program(db: None) -> Any:
    return ProgramFactory(name="Clinic shadowing", max_hours_per_experience=40, max_bookings_per_week=3)


@pytest.fixture
def term(program: Any) -> Any:
    return TermFactory(program=program)


@pytest.fixture
def site(db: None) -> Any:
    return SiteFactory(name="Harbor Family Clinic", min_age=16, max_learners_at_once=2)


@pytest.fixture
def ready(term: Any, site: Any, mentor: Any, learner: Any) -> Any:
    """``learner`` enrolled in ``term`` and matched with ``mentor``, who works at ``site``."""
    site.mentors.add(mentor)
    EnrollmentFactory(term=term, learner=learner)
    MentorshipFactory(term=term, learner=learner, mentor=mentor)
    return learner


@pytest.fixture
def joined(term: Any, mentor: Any) -> Any:
    """``mentor`` opted in to ``term``, so they may publish slots for its program."""
    return MentorTermOptInFactory(term=term, mentor=mentor)


@pytest.fixture
def make_slot(mentor: Any, site: Any, program: Any) -> Any:
    def make(days: float = 2, hours: float = 4, **kwargs: Any) -> Any:
        starts = timezone.now().replace(microsecond=0) + timedelta(days=days)
        defaults = {"mentor": mentor, "site": site, "program": program, "starts_at": starts}
        defaults.update(kwargs)
        defaults.setdefault("ends_at", defaults["starts_at"] + timedelta(hours=hours))
        return SlotFactory(**defaults)

    return make


def enroll_and_match(*, learner: Any, mentor: Any, term: Any) -> None:
    EnrollmentFactory(term=term, learner=learner)
    MentorshipFactory(term=term, learner=learner, mentor=mentor)
