"""Tests for the fast path of mentorfold.engine.assign: sampled prices, tie spreading, feasible candidates.

These change only how many pairs enter the flow and how often it is solved, never the optimum: each case is
checked against an exact LP (the transportation LP is integral) and its certificate re-verified. The twin
instances here would take the merged-columns path (test_assign_classes.py); the ``row_samples`` fixture keeps
them on the row-sample path these tests are about.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from scipy.optimize import linprog

from mentorfold.engine import assign_candidates, assign_flow
from mentorfold.engine.assign import InfeasibleAssignment, optimal_assignment

from .test_assign import SETTINGS, Problem, assert_feasible, milp_oracle, problems


def lp_optimum(score: np.ndarray, forbidden: np.ndarray, cap: np.ndarray, demand: int) -> float:
    """Best total score by HiGHS on the transportation LP (integral, so equal to the assignment optimum)."""
    n, m = score.shape
    allowed = np.argwhere(~forbidden)
    k = allowed.shape[0]
    rows = sp.csr_array((np.ones(k), (allowed[:, 0], np.arange(k))), shape=(n, k))
    cols = sp.csr_array((np.ones(k), (allowed[:, 1], np.arange(k))), shape=(m, k))
    res = linprog(
        -score[allowed[:, 0], allowed[:, 1]],
        A_ub=cols,
        b_ub=cap,
        A_eq=rows,
        b_eq=np.full(n, demand),
        bounds=(0, 1),
        method="highs",
    )
    assert res.status == 0
    return float(-res.fun)


def twin_instance(seed: int, n: int = 600, profiles: int = 12, twins: int = 4) -> tuple[Any, ...]:
    """Reviewers in groups of identical columns (same expertise), as in a real cycle, with 1 % conflicts.

    Exact ties between twins at any price are what made plain top-k candidates infeasible.
    """
    rng = np.random.default_rng(seed)
    base = np.round(rng.random((n, profiles)), 2)
    score = np.repeat(base, twins, axis=1)
    m = score.shape[1]
    forbidden = rng.random((n, m)) < 0.01
    cap = np.full(m, int(np.ceil(3 * n * 1.15 / m)))
    return score, forbidden, cap


@pytest.fixture
def row_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prices from row samples only, as for columns that are all different."""
    monkeypatch.setattr(assign_candidates, "class_prices", lambda *args: None)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.usefixtures("row_samples")
def test_sampled_prices_give_the_lp_optimum_with_a_valid_certificate(seed: int) -> None:
    score, forbidden, cap = twin_instance(seed)
    assert score.shape[0] >= assign_candidates._SAMPLE_ROWS_PER_COL * score.shape[1]  # the sampled path runs
    result = optimal_assignment(score, cap, 3, forbidden=forbidden)
    assert result.objective == pytest.approx(lp_optimum(score, forbidden, cap, 3), abs=1e-6)
    assert result.verify() <= result.certificate.tolerance
    assert not forbidden[result.pairs[:, 0], result.pairs[:, 1]].any()


@pytest.mark.usefixtures("row_samples")
def test_tied_columns_never_need_the_slow_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spread ties plus max-flow repair make the first candidate set feasible: no blind widening."""
    score, forbidden, cap = twin_instance(4)

    def no_fallback(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the plain top-k fallback ran")

    monkeypatch.setattr(assign_candidates, "_top_candidates", no_fallback)
    result = optimal_assignment(score, cap, 3, forbidden=forbidden)
    assert result.certificate.is_optimal


@pytest.mark.usefixtures("row_samples")
def test_few_flow_solves_at_the_full_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Good prices: the full problem is solved a handful of times, not once per pricing round of a cold start."""
    score, forbidden, cap = twin_instance(5, n=1200)
    n = score.shape[0]
    sizes: list[int] = []
    real = assign_candidates._solve_flow

    def counting(rows: Any, cols: Any, vals: Any, n_rows: int, *args: Any, **kwargs: Any) -> Any:
        if n_rows == n:
            sizes.append(int(rows.shape[0]))
        return real(rows, cols, vals, n_rows, *args, **kwargs)

    monkeypatch.setattr(assign_candidates, "_solve_flow", counting)
    result = optimal_assignment(score, cap, 3, forbidden=forbidden)
    assert result.certificate.is_optimal
    assert 1 <= len(sizes) <= 4
    assert max(sizes) < 0.5 * score.size  # pruned: far fewer arcs than pairs


@pytest.mark.usefixtures("row_samples")
def test_the_result_is_the_same_every_run() -> None:
    score, forbidden, cap = twin_instance(6)
    first = optimal_assignment(score, cap, 3, forbidden=forbidden)
    again = optimal_assignment(score.copy(), cap.copy(), 3, forbidden=forbidden.copy())
    assert np.array_equal(first.pairs, again.pairs)
    assert first.objective == again.objective
    assert np.array_equal(first.certificate.col_potential, again.certificate.col_potential)


@pytest.mark.usefixtures("row_samples")
def test_sampling_does_not_change_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    score, forbidden, cap = twin_instance(7)
    sampled = optimal_assignment(score, cap, 3, forbidden=forbidden)
    monkeypatch.setattr(assign_candidates, "_SAMPLE_ROWS_PER_COL", float("inf"))
    plain = optimal_assignment(score, cap, 3, forbidden=forbidden)
    assert sampled.objective == pytest.approx(plain.objective, abs=1e-9)


def test_scaled_capacities_keep_the_total_and_round_by_remainder() -> None:
    cap = np.array([35, 35, 35, 10, 1, 0])
    out = assign_candidates._scaled_capacities(cap, 1, 10)
    assert out.sum() == round(cap.sum() / 10)
    assert np.all(out >= np.floor(cap / 10)) and np.all(out <= np.ceil(cap / 10))
    assert out.tolist() == [4, 4, 3, 1, 0, 0]  # remainders .5 .5 .5 .0 .1: two of the .5s round up, by index


def test_short_rows_names_rows_a_max_flow_cannot_fill() -> None:
    # rows 0 and 1 only have column 0 (capacity 1): one of them stays short.
    rows = np.array([0, 1, 2, 2])
    cols = np.array([0, 0, 0, 1])
    short = assign_flow._short_rows(rows, cols, 3, 2, np.array([1, 1, 1]), np.array([1, 5]))
    assert short.size == 1 and int(short[0]) in (0, 1)


def test_tightened_potentials_never_raise_the_bound() -> None:
    """Raising unused columns' potentials to 0 and re-optimising rows keeps the certificate valid and tight."""
    rng = np.random.default_rng(8)
    score = rng.random((50, 8))
    score[:, 4:] = 0.0  # columns nobody wants: shortest paths leave them free
    result = optimal_assignment(score, np.full(8, 20), 2)
    assert result.certificate.col_potential.min() >= 0.0
    assert result.verify() <= result.certificate.tolerance


@SETTINGS
@given(problems())
def test_the_sampled_path_on_small_problems_matches_the_milp_optimum(problem: Problem) -> None:
    """Sampling forced on at any size (recursively), with min_load and partial mode: still exact and proven."""
    score, forbid, cap, dem, low = problem
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(assign_candidates, "_SAMPLE_EVERY", 2)
        mp.setattr(assign_candidates, "_SAMPLE_MIN_ROWS", 2)
        mp.setattr(assign_candidates, "_SAMPLE_ROWS_PER_COL", 0.5)
        mp.setattr(assign_candidates, "_SAMPLE_MIN_SHARE", 0.2)
        for partial in (False, True):
            expected = milp_oracle(problem, partial=partial)
            if expected is None:
                with pytest.raises(InfeasibleAssignment):
                    optimal_assignment(score, cap, dem, forbid, low, allow_partial=partial)
                continue
            a = optimal_assignment(score, cap, dem, forbid, low, allow_partial=partial)
            assert_feasible(a, problem, partial=partial)
            assert a.objective == pytest.approx(expected, abs=1e-6)
            assert a.verify() <= a.certificate.tolerance


def _solve_counting(
    monkeypatch: pytest.MonkeyPatch, score: Any, forbidden: Any, cap: Any
) -> tuple[Any, dict]:
    per_size: dict[int, int] = {}
    real = assign_flow._solve_flow

    def counting(rows: Any, cols: Any, vals: Any, n_rows: int, *args: Any, **kwargs: Any) -> Any:
        per_size[n_rows] = per_size.get(n_rows, 0) + 1
        return real(rows, cols, vals, n_rows, *args, **kwargs)

    monkeypatch.setattr(assign_candidates, "_solve_flow", counting)
    result = optimal_assignment(score, cap, 3, forbidden=forbidden)
    assert result.certificate.is_optimal
    assert result.verify() <= result.certificate.tolerance
    return result, per_size


@pytest.mark.usefixtures("row_samples")
def test_price_samples_stop_after_one_pricing_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sampled prices are only a starting point: each sample level solves at most _SAMPLE_SOLVES times (this
    instance's smallest sample needs 4 uncapped), while the full problem still runs to its proof."""
    score, forbidden, cap = twin_instance(1, n=3000, profiles=60, twins=5)
    capped, per_size = _solve_counting(monkeypatch, score, forbidden, cap)
    samples = {size: count for size, count in per_size.items() if size < score.shape[0]}
    assert len(samples) == 3
    assert max(samples.values()) <= assign_candidates._SAMPLE_SOLVES == 2
    monkeypatch.setattr(assign_candidates, "_SAMPLE_SOLVES", None)
    uncapped, per_size_uncapped = _solve_counting(monkeypatch, score, forbidden, cap)
    assert sum(per_size_uncapped.values()) > sum(per_size.values())
    assert capped.objective == pytest.approx(uncapped.objective, abs=1e-9)
