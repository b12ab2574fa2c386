from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_outcome_charts() -> None:
    """Dashboard figures are cached for 10 minutes; every test starts from the database."""
    cache.clear()
