from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory

from .factories import TermFactory, join_term, rank


@pytest.fixture
def term(db: None) -> Any:
    return TermFactory(name="Summer 2027")


@pytest.fixture
def third_mentor(db: None) -> Any:
    return MentorProfileFactory(user__full_name="Grace Kim", specialty="Cardiology")


@pytest.fixture
def ranked_term(
    term: Any, learner: Any, other_learner: Any, mentor: Any, other_mentor: Any, third_mentor: Any
) -> Any:
    """Two learners both want ``mentor`` first; every mentor has one seat."""
    site = join_term(term, learners=[learner, other_learner], mentors=[mentor, other_mentor, third_mentor])
    rank(term, learner, [mentor, other_mentor])
    rank(term, other_learner, [mentor, third_mentor])
    term.site = site
    return term


def many_learners(term: Any, n: int) -> list[Any]:
    learners = [LearnerProfileFactory() for _ in range(n)]
    join_term(term, learners=learners, site=term.site)
    return learners
