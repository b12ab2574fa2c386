from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from mentorfold.engine.allocate import (
    Floor,
    InfeasibleAllocation,
    allocation_violations,
    budget,
)


def floor(name: str, members: list[int], min_count: int) -> Floor:
    return Floor(name, np.array(members, dtype=np.int64), min_count)


def award_options(request: float, min_award: float, max_award: float, partial: bool, step: int) -> list[int]:
    """Every amount an application may receive (0 = not funded), straight from the rules."""
    cap = int(min(request, max_award) // step) * step
    lo = max(math.ceil(min_award / step), 1) * step
    if cap < lo:
        return [0]
    return [0, *range(lo, cap + 1, step)] if partial else [0, cap]


def brute_force(
    requests: Sequence[float],
    scores: Sequence[float],
    total: float,
    min_award: float,
    max_award: float,
    partial: bool,
    floors: list[Floor],
    step: int = 1,
) -> float | None:
    """Best objective by enumerating every combination of allowed amounts; None if infeasible."""
    options = [award_options(r, min_award, max_award, partial, step) for r in requests]
    best: float | None = None
    for combo in itertools.product(*options):
        amounts = np.array(combo)
        if amounts.sum() > total:
            continue
        if any((amounts[f.members] > 0).sum() < f.min_count for f in floors):
            continue
        value = float((np.array(scores) * amounts / np.array(requests)).sum())
        best = value if best is None else max(best, value)
    return best


def plain_milp_objective(
    requests: np.ndarray,
    scores: np.ndarray,
    total: int,
    min_award: int,
    max_award: int,
    partial: bool,
    floors: list[Floor],
) -> float:
    """Second-solver oracle: the textbook MILP handed to HiGHS as is (no fixing, no tie-break)."""
    n = requests.size
    cap = np.minimum(requests, max_award).astype(float)
    eligible = cap >= min_award
    value = scores / requests
    if partial:
        c = -np.concatenate([np.zeros(n), value])
        ub = np.concatenate([eligible.astype(float), np.where(eligible, cap, 0)])
        eye = sp.identity(n)
        rows = [
            sp.hstack([-sp.diags(cap), eye]),
            sp.hstack([sp.diags(np.full(n, float(min_award))), -eye]),
            sp.hstack([sp.csr_matrix((1, n)), sp.csr_matrix(np.ones((1, n)))]),
        ]
        rhs: list[Any] = [np.zeros(n), np.zeros(n), [total]]
        width = 2 * n
    else:
        c = -(value * cap)
        ub = eligible.astype(float)
        rows = [sp.csr_matrix(cap[None, :])]
        rhs = [[total]]
        width = n
    for f in floors:
        row = np.zeros((1, width))
        row[0, f.members] = -1
        rows.append(sp.csr_matrix(row))
        rhs.append([-f.min_count])
    res = milp(
        c,
        integrality=np.ones(width),
        bounds=Bounds(np.zeros(width), ub),
        constraints=LinearConstraint(sp.vstack(rows), -np.inf, np.concatenate(rhs)),
        options={"mip_rel_gap": 1e-9, "time_limit": 60},
    )
    assert res.status == 0
    return float(-res.fun)


# --- hand-checked examples --------------------------------------------------------------------------


def test_it_funds_best_value_in_full_and_gives_the_margin_a_partial_award() -> None:
    alloc = budget([5000, 3000, 4000], [4.5, 4.0, 3.0], budget=9000, min_award=1000, max_award=5000)
    assert alloc.amounts.tolist() == [5000, 3000, 1000]
    assert alloc.funded.tolist() == [True, True, True]
    assert alloc.total == 9000 and alloc.status == "optimal"
    assert alloc.objective == pytest.approx(4.5 + 4.0 + 3.0 * 1000 / 4000)
    assert alloc.reasons[0] == "funded in full at $5,000 (merit rank 1)"
    assert alloc.reason_codes == ("funded_full", "funded_full", "funded_partial")


def test_objective_values_fraction_of_need_not_dollars() -> None:
    # Equal merit: two small requests met in full beat one large request for the same money.
    alloc = budget([10000, 5000, 5000], [4.0, 4.0, 4.0], budget=10000, min_award=5000, max_award=10000)
    assert alloc.amounts.tolist() == [0, 5000, 5000]


def test_it_trims_a_marginal_award_to_open_one_more_minimum_award() -> None:
    # Greedy leaves $500 unspent (below the $1,000 minimum); trimming the second award funds a third.
    alloc = budget([2000, 2000, 2000], [5.0, 4.9, 4.8], 4500, 1000, 2000)
    assert alloc.amounts.tolist() == [2000, 1500, 1000]
    assert alloc.reason_codes == ("funded_full", "funded_partial", "funded_partial")


def test_need_weights_the_objective() -> None:
    alloc = budget([1000, 1000], [4.0, 4.0], 1000, 1000, 1000, partial=False, need=[1.0, 2.0])
    assert alloc.amounts.tolist() == [0, 1000]


def test_requests_below_the_minimum_are_ineligible() -> None:
    alloc = budget([500, 2000], [5.0, 3.0], budget=10000, min_award=1000, max_award=5000)
    assert alloc.amounts.tolist() == [0, 2000]
    assert alloc.reason_codes[0] == "ineligible_below_min"
    assert "below minimum award $1,000" in alloc.reasons[0]


def test_max_award_caps_and_is_explained() -> None:
    alloc = budget([9000], [4.0], budget=20000, min_award=1000, max_award=5000)
    assert alloc.amounts.tolist() == [5000]
    assert alloc.reason_codes == ("funded_capped",)


def test_not_funded_reason_names_rank_and_budget() -> None:
    alloc = budget([4000, 4000, 4000], [5.0, 4.0, 3.0], 8000, 4000, 4000, partial=False)
    assert alloc.amounts.tolist() == [4000, 4000, 0]
    assert alloc.reasons[2].startswith("not funded: merit rank 3 below the line and budget spent")


def test_partial_false_funds_exact_amounts_only() -> None:
    alloc = budget([3000, 2500, 4000], [5.0, 4.0, 3.0], 6000, 1000, 3500, partial=False)
    for amount, request in zip(alloc.amounts, [3000, 2500, 4000], strict=True):
        assert amount in (0, min(request, 3500))


def test_step_rounds_awards_to_multiples() -> None:
    alloc = budget([1234, 2345], [4.0, 3.0], 3000, 1000, 5000, step=50)
    assert all(a % 50 == 0 for a in alloc.amounts)
    assert alloc.amounts[0] == 1200 and alloc.reason_codes[0] == "funded_rounded"
    assert alloc.total <= 3000


def test_floor_forces_awards_and_says_so() -> None:
    requests = [2000] * 6
    scores = [5.0, 4.8, 4.6, 4.4, 2.0, 1.5]
    rural = floor("rural students", [4, 5], 2)
    alloc = budget(requests, scores, 8000, 2000, 2000, partial=False, floors=[rural])
    assert alloc.funded[[4, 5]].all() and alloc.funded.sum() == 4
    assert alloc.reasons[4] == "funded $2,000 to satisfy floor 'rural students' (merit rank 5)"
    assert alloc.reason_codes[0] == "funded_full"


def test_zero_score_is_not_funded_and_explained() -> None:
    alloc = budget([1000, 1000], [0.0, 3.0], 5000, 1000, 1000)
    assert alloc.amounts.tolist() == [0, 1000]
    assert alloc.reason_codes[0] == "not_funded_zero_value"


def test_zero_budget_funds_nobody() -> None:
    alloc = budget([1000, 2000], [3.0, 4.0], 0, 1000, 2000)
    assert alloc.total == 0 and not alloc.funded.any()


# --- infeasible floors ------------------------------------------------------------------------------


def test_floor_with_too_few_eligible_members_raises_naming_it() -> None:
    with pytest.raises(InfeasibleAllocation, match=r"Floor 'rural students' needs 3 awards but only 2"):
        budget(
            [2000, 2000, 500],
            [3.0, 3.0, 3.0],
            10000,
            1000,
            2000,
            floors=[floor("rural students", [0, 1, 2], 3)],
        )


def test_floor_costing_more_than_the_budget_raises_with_numbers() -> None:
    with pytest.raises(InfeasibleAllocation) as info:
        budget([2000] * 6, [3.0] * 6, 4000, 1000, 2000, floors=[floor("rural students", [0, 1, 2, 3, 4], 5)])
    message = str(info.value)
    assert (
        "Floor 'rural students' needs 5 awards × $1,000 minimum = $5,000 but the budget is $4,000" in message
    )


def test_floors_that_only_clash_together_raise_via_the_solver() -> None:
    floors = [floor("first-year", [0, 1], 2), floor("rural", [2, 3], 2)]
    with pytest.raises(InfeasibleAllocation, match=r"'first-year', 'rural' cannot all be met"):
        budget([1000] * 4, [3.0] * 4, 3000, 1000, 1000, floors=floors)


def test_infeasible_allocation_is_a_value_error() -> None:
    assert issubclass(InfeasibleAllocation, ValueError)


# --- properties and oracles -------------------------------------------------------------------------

instances = st.integers(1, 5).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 12).map(lambda x: x * 50), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 1.0, 2.5, 3.0, 4.0, 4.5]), min_size=n, max_size=n),
        st.integers(0, 1500),
        st.sampled_from([50, 100, 200]),
        st.sampled_from([300, 400, 600]),
        st.booleans(),
        st.lists(st.integers(0, n - 1), max_size=n, unique=True),
        st.integers(0, 2),
    )
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(instance=instances)
def test_allocation_is_feasible_and_optimal_against_brute_force(
    instance: tuple[list[int], list[float], int, int, int, bool, list[int], int],
) -> None:
    requests, scores, total, min_award, max_award, partial, members, min_count = instance
    step = 50
    floors = [floor("group", members, min(min_count, len(members)))] if members else []
    best = brute_force(requests, scores, total, min_award, max_award, partial, floors, step=step)
    if best is None:
        with pytest.raises(InfeasibleAllocation, match="group"):
            budget(requests, scores, total, min_award, max_award, partial, floors, step=step)
        return
    alloc = budget(requests, scores, total, min_award, max_award, partial, floors, step=step)
    assert (
        allocation_violations(
            alloc.amounts, requests, total, min_award, max_award, partial, floors, step=step
        )
        == []
    )
    assert alloc.total <= total
    assert alloc.objective == pytest.approx(best, rel=1e-6, abs=1e-9)
    assert alloc.amounts.dtype == np.int64
    assert len(alloc.reasons) == len(requests)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    requests=st.lists(st.integers(100, 3000), min_size=1, max_size=6),
    data=st.data(),
)
def test_whole_unit_partial_awards_match_brute_force(requests: list[int], data: st.DataObject) -> None:
    # n <= 6, partial=False: every subset enumerated; amounts in whole currency units (step 1).
    n = len(requests)
    scores = data.draw(st.lists(st.floats(0, 5, allow_nan=False), min_size=n, max_size=n))
    total = data.draw(st.integers(0, sum(requests)))
    alloc = budget(requests, scores, total, 100, 2500, partial=False)
    best = brute_force(requests, scores, total, 100, 2500, False, [])
    assert best is not None
    assert alloc.objective == pytest.approx(best, rel=1e-6, abs=1e-9)
    assert allocation_violations(alloc.amounts, requests, total, 100, 2500, False) == []


@pytest.mark.parametrize("partial", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_it_matches_a_plain_highs_model_on_medium_instances(partial: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 100
    requests = rng.integers(500, 6001, n)
    scores = np.round(rng.uniform(1, 5, n), 2)
    total = int(requests.sum() * 0.3)
    members = np.sort(rng.choice(np.argsort(scores)[:40], 15, replace=False))
    floors = [Floor("first-year students", members, 6)]
    alloc = budget(requests, scores, total, 1000, 5000, partial, floors)
    oracle = plain_milp_objective(requests, scores, total, 1000, 5000, partial, floors)
    assert alloc.objective == pytest.approx(oracle, rel=2e-6)
    assert allocation_violations(alloc.amounts, requests, total, 1000, 5000, partial, floors) == []


def test_it_is_deterministic_across_runs() -> None:
    rng = np.random.default_rng(11)
    requests = rng.integers(500, 5000, 300)
    scores = np.round(rng.uniform(1, 5, 300), 1)  # many exact ties
    runs = [budget(requests, scores, 200_000, 500, 4000, partial=p) for p in (True, True, False, False)]
    assert np.array_equal(runs[0].amounts, runs[1].amounts) and runs[0].reasons == runs[1].reasons
    assert np.array_equal(runs[2].amounts, runs[3].amounts) and runs[2].reasons == runs[3].reasons


def test_a_tight_time_limit_still_returns_a_feasible_allocation_with_its_gap() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    requests = rng.integers(500, 10_001, n)
    scores = np.round(rng.uniform(1, 5, n), 1)
    total = int(requests.sum() * 0.25)
    floors = [Floor(f"group {j}", np.sort(rng.choice(n, 200, replace=False)), 80) for j in range(3)]
    alloc = budget(requests, scores, total, 1000, 8000, False, floors, time_limit=0.01)
    assert alloc.status in ("optimal", "time_limit")
    assert 0 <= alloc.mip_gap < 0.05
    assert allocation_violations(alloc.amounts, requests, total, 1000, 8000, False, floors) == []


def test_ties_prefer_the_lower_index() -> None:
    alloc = budget([1000, 1000, 1000], [3.0, 3.0, 3.0], 2000, 1000, 1000, partial=False)
    assert alloc.funded.tolist() == [True, True, False]


def test_allocation_violations_reports_each_rule() -> None:
    found = allocation_violations(
        [1200, 700, 3000], [1500, 800, 3000], 4000, 1000, 2500, False, [floor("g", [1], 1)], step=50
    )
    assert any("exceeds budget" in v for v in found)
    assert any("application 1" in v for v in found)
    assert any("not the full award" in v for v in found)
    assert any("application 2" in v and "outside" in v for v in found)
    with pytest.raises(ValueError, match="length mismatch"):
        allocation_violations([1], [1, 2], 10, 0, 10)


# --- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1000, 2000], [3.0], 5000, 100, 2000), {}, "scores: length mismatch"),
        (([1000, np.nan], [3.0, 2.0], 5000, 100, 2000), {}, "requests: contains NaN"),
        (([1000, 2000], [3.0, np.nan], 5000, 100, 2000), {}, "scores: contains NaN"),
        (([1000, -5], [3.0, 2.0], 5000, 100, 2000), {}, "non-positive"),
        (([1000, 0], [3.0, 2.0], 5000, 100, 2000), {}, "non-positive"),
        (([1000, 2000], [3.0, -1.0], 5000, 100, 2000), {}, "negative score"),
        (([1000, 2000], [3.0, 2.0], -1, 100, 2000), {}, "budget"),
        (([1000, 2000], [3.0, 2.0], 5000, -100, 2000), {}, "min_award"),
        (([1000, 2000], [3.0, 2.0], 5000, 3000, 2000), {}, "min_award .* above max_award"),
        (([1000, 2000], [3.0, 2.0], 5000, 100, 2000), {"step": 0}, "step"),
        (([1000, 2000], [3.0, 2.0], 5000, 100, 2000), {"step": 2.5}, "step"),
        (([1000, 2000], [3.0, 2.0], 5000, 100, 2000), {"need": [1.0, -1.0]}, "need"),
        (([1000, 2000], [3.0, 2.0], 5000, 100, 2000), {"need": [1.0]}, "need: length mismatch"),
        (([], [], 5000, 100, 2000), {}, "no applications"),
        (
            ([1000, 2000], [3.0, 2.0], 5000, 100, 2000),
            {"floors": [Floor("x", np.array([0, 5]), 1)]},
            "index 5",
        ),
        (
            ([1000, 2000], [3.0, 2.0], 5000, 100, 2000),
            {"floors": [Floor("x", np.array([0, 0]), 1)]},
            "duplicates",
        ),
        (
            ([1000, 2000], [3.0, 2.0], 5000, 100, 2000),
            {"floors": [Floor("x", np.array([0]), -1)]},
            "min_count",
        ),
        (([1000, 2000], [3.0, 2.0], 5000, 100, 2000), {"floors": [("x", [0], 1)]}, "Floor objects"),
    ],
)
def test_budget_rejects_bad_input(args: tuple[object, ...], kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        budget(*args, **kwargs)  # type: ignore[arg-type]


# --- module hygiene ---------------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    import doctest

    from mentorfold.engine import allocate

    result = doctest.testmod(allocate)
    assert result.attempted > 0 and result.failed == 0


def test_engine_modules_do_not_import_django() -> None:
    import ast
    from pathlib import Path

    from mentorfold.engine import allocate, calibrate

    for module in (allocate, calibrate):
        tree = ast.parse(Path(str(module.__file__)).read_text())
        imported = [
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not any(name.split(".")[0] == "django" for name in imported), module.__name__
