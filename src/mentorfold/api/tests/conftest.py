from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from .factories import World, build_world


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def world(
    mentor: Any, other_mentor: Any, learner: Any, minor_learner: Any, reviewer: Any, conflicted_reviewer: Any
) -> World:
    return build_world(
        mentor=mentor,
        other_mentor=other_mentor,
        learner=learner,
        minor_learner=minor_learner,
        reviewer=reviewer,
        conflicted_reviewer=conflicted_reviewer,
    )
