"""Shared fixtures: our mentorship, a stranger's, a minor's (with her guardian) and another family's."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.tests.factories import GuardianLinkFactory
from mentorfold.matching.tests.factories import MentorshipFactory, TermFactory


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
def minor_mentorship(mentor: Any, minor_learner: Any, term: Any) -> Any:
    return MentorshipFactory(mentor=mentor, learner=minor_learner, term=term)


@pytest.fixture
def other_family(other_mentor: Any, term: Any) -> Any:
    """Another minor with her own verified guardian, mentored by someone else."""
    link = GuardianLinkFactory(
        guardian__email="parent2@example.org",
        guardian__full_name="Bao Nguyen",
        learner__user__email="minor2@example.org",
        learner__user__full_name="Kim Nguyen",
    )
    return MentorshipFactory(mentor=other_mentor, learner=link.learner, term=term)


@pytest.fixture
def other_guardian(other_family: Any) -> Any:
    return other_family.learner.guardian_links.get().guardian
