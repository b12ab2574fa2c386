"""Tests for mentorfold.engine.assign_classes: prices from merged identical columns (reviewers who declared
the same expertise). They only choose candidate pairs, so every case checks the optimum against an exact LP
and the certificate independently, and compares with the row-sample path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from mentorfold.engine import assign_candidates, assign_classes
from mentorfold.engine.assign import InfeasibleAssignment, optimal_assignment

from .test_assign import SETTINGS, assert_feasible
from .test_assign_candidates import lp_optimum, twin_instance


def lagrangian(score: Any, forbidden: Any, cap: Any, demand: int, prices: Any) -> float:
    """sum_i (best ``demand`` of score_i - p over allowed pairs) + sum_j cap_j p_j: an upper bound on the
    optimum for any prices p >= 0, equal to it at optimal prices."""
    red = np.where(forbidden, -np.inf, score - prices[None, :])
    best = -np.sort(-red, axis=1)[:, :demand]
    return float(best.sum() + cap @ prices)


def test_identical_columns_share_a_class_and_unusable_columns_none() -> None:
    base = np.array([[0.3, 0.9, 0.1], [0.5, 0.2, 0.8]])
    score = base[:, [0, 1, 0, 2, 1, 1]]
    score[1, 5] += 0.01  # no longer a twin of columns 1 and 4
    cap = np.array([2, 2, 2, 2, 0, 2])
    labels, reps = assign_classes.column_classes(score, cap)
    assert labels.tolist() == [0, 1, 0, 2, -1, 3]
    assert reps.tolist() == [0, 1, 3, 5]


def test_twins_are_solved_once_at_the_full_size_with_exact_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    """The merged problem replaces the row samples: one full-size flow, no sample-sized flows, the LP optimum."""
    score, forbidden, cap = twin_instance(11, n=900, profiles=15, twins=6)
    sizes: list[int] = []
    real = assign_candidates._solve_flow

    def counting(rows: Any, cols: Any, vals: Any, n_rows: int, *args: Any, **kwargs: Any) -> Any:
        sizes.append(n_rows)
        return real(rows, cols, vals, n_rows, *args, **kwargs)

    monkeypatch.setattr(assign_candidates, "_solve_flow", counting)
    result = optimal_assignment(score, cap, 3, forbidden=forbidden)
    assert sizes == [score.shape[0]]
    assert result.objective == pytest.approx(lp_optimum(score, forbidden, cap, 3), abs=1e-6)
    assert result.certificate.is_optimal
    assert result.verify() <= result.certificate.tolerance
    assert not forbidden[result.pairs[:, 0], result.pairs[:, 1]].any()


@pytest.mark.parametrize("seed", [1, 2])
def test_without_conflicts_the_merged_prices_are_optimal_for_the_original(seed: int) -> None:
    """Equal capacities and no conflicts: the class optimum always splits over the members, so the prices
    copied to the members close the duality gap of the original problem."""
    score, _forbidden, cap = twin_instance(seed, n=400, profiles=8, twins=5)
    none = np.zeros(score.shape, dtype=bool)
    prices = assign_classes.class_prices(score, None, cap, np.full(score.shape[0], 3))
    assert prices is not None
    optimum = lp_optimum(score, none, cap, 3)
    assert lagrangian(score, none, cap, 3, prices) == pytest.approx(optimum, abs=1e-6)


def test_with_conflicts_the_merged_prices_still_bound_the_optimum() -> None:
    score, forbidden, cap = twin_instance(3, n=400, profiles=8, twins=5)
    prices = assign_classes.class_prices(score, sp.csr_array(forbidden), cap, np.full(score.shape[0], 3))
    assert prices is not None and (prices >= 0).all()
    optimum = lp_optimum(score, forbidden, cap, 3)
    bound = lagrangian(score, forbidden, cap, 3, prices)
    assert optimum - 1e-6 <= bound <= optimum + 1e-3 * abs(optimum)


def test_all_different_columns_keep_the_row_samples() -> None:
    score = np.random.default_rng(4).random((50, 10))
    assert assign_classes.class_prices(score, None, np.full(10, 20), np.full(50, 2)) is None


def test_an_infeasible_merged_problem_still_names_the_rows_at_fault() -> None:
    """Rows 0-2 may use only the twins 0 and 1 (one place each): the merged flow is infeasible too, so the
    row-sample path takes over and diagnoses it as before."""
    score = np.ones((6, 6))
    score[:, 2:] = 0.5
    cap = np.array([1, 1, 3, 3, 3, 3])
    forbidden = np.zeros((6, 6), dtype=bool)
    forbidden[:3, 2:] = True
    assert (
        assign_classes.class_prices(score, sp.csr_array(forbidden), cap, np.ones(6, dtype=np.int64)) is None
    )
    with pytest.raises(InfeasibleAssignment) as info:
        optimal_assignment(score, cap, 1, forbidden=forbidden)
    rows = {int(r) for r in info.value.rows}
    assert rows and rows <= {0, 1, 2}


@st.composite
def twin_problems(draw: Any) -> tuple[Any, ...]:
    n = draw(st.integers(4, 30))
    distinct = draw(st.integers(1, 5))
    m = draw(st.integers(distinct, 12))
    levels = draw(st.sampled_from([3, 10, 1000]))  # few levels: ties between different columns too
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = rng.integers(0, levels, (n, distinct)) / levels
    which = np.concatenate([np.arange(distinct), rng.integers(0, distinct, m - distinct)])
    score = base[:, which]
    demand = draw(st.integers(1, min(3, m)))
    forbidden = rng.random((n, m)) < draw(st.sampled_from([0.0, 0.05, 0.2]))
    cap = rng.integers(0, 3 * n * demand // m + 3, m)
    return score, forbidden, cap, demand


@SETTINGS
@given(twin_problems())
def test_merged_prices_never_change_the_optimum(problem: tuple[Any, ...]) -> None:
    score, forbidden, cap, demand = problem
    try:
        merged = optimal_assignment(score, cap, demand, forbidden=forbidden)
    except InfeasibleAssignment:
        with pytest.raises(InfeasibleAssignment):
            _without_classes(score, cap, demand, forbidden)
        return
    plain = _without_classes(score, cap, demand, forbidden)
    assert merged.objective == pytest.approx(plain.objective, abs=1e-9)
    assert merged.objective == pytest.approx(lp_optimum(score, forbidden, cap, demand), abs=1e-6)
    assert merged.verify() <= merged.certificate.tolerance
    n, m = score.shape
    assert_feasible(merged, (score, forbidden, cap, np.full(n, demand), np.zeros(m, dtype=np.int64)))


def _without_classes(score: Any, cap: Any, demand: int, forbidden: Any) -> Any:
    real = assign_candidates.class_prices
    assign_candidates.class_prices = lambda *args: None  # type: ignore[assignment]
    try:
        return optimal_assignment(score, cap, demand, forbidden=forbidden)
    finally:
        assign_candidates.class_prices = real
