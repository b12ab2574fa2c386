"""The grant decision pipeline as a pure function: validated inputs, deterministic outputs."""

from __future__ import annotations

import copy
import doctest
from typing import Any

import pytest

from mentorfold.engine import decision


def inputs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "applications": [10, 11, 12, 13],
        "reviewers": [7, 8],
        "reviews": {
            "application": [0, 0, 1, 1, 2, 2],
            "reviewer": [0, 1, 0, 1, 0, 1],
            "score": [4.5, 4.0, 3.0, 3.5, 2.0, 2.5],
        },
        "requests": [1000, 1500, 2000, 900],
        "need": [1.0, 0.8, 0.6, 1.0],
        "floors": [{"name": "Rural", "min_count": 1, "members": [2]}],
        "budget": 3000,
        "award_min": 500,
        "award_max": 2000,
        "award_step": 50,
        "partial": True,
        "use_lottery": True,
        "z": 1.96,
        "seed": 42,
    }
    base.update(overrides)
    return base


def test_the_same_inputs_give_the_same_digest() -> None:
    first = decision.compute(inputs())
    second = decision.compute(copy.deepcopy(inputs()))
    assert decision.digest(first) == decision.digest(second)
    assert first["solver_status"] == "optimal"


def test_an_application_without_reviews_is_never_funded() -> None:
    out = decision.compute(inputs())
    assert out["status"][3] == "not_reviewed"
    assert out["amounts"][3] == 0
    assert out["total"] <= 3000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"budget": -1}, "budget must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"partial": "yes"}, "partial must be true or false"),
        ({"requests": [1000, 1500]}, "requests must be a list of 4 numbers"),
        ({"need": [1.0, float("nan"), 1.0, 1.0]}, "need holds nan"),
        ({"z": float("inf")}, "z must be a finite number"),
        ({"award_step": 0}, "award_step must be >= 1"),
        ({"reviews": {"application": [9], "reviewer": [0], "score": [3.0]}}, "reviews.application holds 9"),
        ({"reviews": {"application": [0], "reviewer": [0, 1], "score": [3.0]}}, "the same length"),
        ({"floors": [{"name": "x", "min_count": 1, "members": [7]}]}, "floor x members holds 7"),
    ],
)
def test_it_rejects_malformed_inputs_by_name(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decision.compute(inputs(**change))


def test_missing_keys_are_named() -> None:
    data = inputs()
    del data["seed"]
    with pytest.raises(ValueError, match="lack: seed"):
        decision.compute(data)


def test_no_reviews_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no submitted reviews"):
        decision.compute(inputs(reviews={"application": [], "reviewer": [], "score": []}))


def test_time_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="time_limit"):
        decision.compute(inputs(), time_limit=0)


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(decision).failed == 0


def test_no_wall_clock_limit_shorter_than_the_callers_can_change_the_awards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The core search that finds the first incumbent is bounded by nodes, not seconds (replay on any machine)."""
    import numpy as np

    from mentorfold.engine import allocate

    seen: list[dict[str, Any]] = []
    real_milp = allocate.milp

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(dict(kwargs["options"]))
        return real_milp(*args, **kwargs)

    monkeypatch.setattr(allocate, "milp", spy)
    # Force the core path: pretend the greedy incumbent left too much undecided.
    monkeypatch.setattr(allocate, "_n_undecided", lambda prob, box: allocate._CORE_SIZE + 1)
    rng = np.random.default_rng(7)
    n = 400
    result = allocate.budget(
        (rng.integers(10, 60, n) * 100).astype(float),
        rng.normal(3, 0.7, n).clip(0),
        float(n * 400),
        500.0,
        5000.0,
        False,
        [],
        need=np.ones(n),
        step=50,
        time_limit=60.0,
    )
    assert result.status == "optimal"
    assert seen and all(options["time_limit"] == 60.0 for options in seen)
    assert any(options.get("node_limit") == allocate._CORE_NODE_LIMIT for options in seen)


def test_a_solver_that_stops_at_its_time_limit_is_recorded_not_called_optimal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mentorfold.engine import allocate

    real_budget = allocate.budget

    def stopped(*args: Any, **kwargs: Any) -> Any:
        result = real_budget(*args, **kwargs)
        object.__setattr__(result, "status", "time_limit")
        return result

    monkeypatch.setattr(allocate, "budget", stopped)
    assert decision.compute(inputs())["solver_status"] == "time_limit"
