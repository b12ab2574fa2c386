from __future__ import annotations

import doctest

from mentorfold.engine import instruments


def test_doctests_pass() -> None:
    assert doctest.testmod(instruments).failed == 0
