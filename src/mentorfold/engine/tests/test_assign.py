"""Tests for mentorfold.engine.assign: optimality vs a MILP oracle, certificates, explain."""

from __future__ import annotations

import doctest
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from mentorfold.engine import assign
from mentorfold.engine.assign import (
    Assignment,
    InfeasibleAssignment,
    explain,
    optimal_assignment,
    verify_assignment,
)

Problem = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


# --------------------------------------------------------------------------- oracle


def milp_oracle(problem: Problem, *, partial: bool = False) -> float | None:
    """Best total score by an exact MILP (binary x_ij), or None when infeasible.

    Partial: first the most pairs (rows <= demand), then the best score at that count.
    """
    score, forbid, cap, dem, low = problem
    n, m = score.shape
    idx = np.argwhere(~forbid)
    k = idx.shape[0]
    if k == 0:
        feasible = not dem.any() or partial
        return 0.0 if feasible and not low.any() else None
    rows = np.zeros((n, k))
    cols = np.zeros((m, k))
    rows[idx[:, 0], np.arange(k)] = 1
    cols[idx[:, 1], np.arange(k)] = 1
    col_c = LinearConstraint(cols, low, cap)
    ones = np.ones(k)
    if not partial:
        res = milp(
            -score[idx[:, 0], idx[:, 1]],
            constraints=[LinearConstraint(rows, dem, dem), col_c],
            integrality=ones,
            bounds=Bounds(0, 1),
        )
        return None if res.status != 0 else float(-res.fun)
    row_c = LinearConstraint(rows, 0, dem)
    first = milp(-ones, constraints=[row_c, col_c], integrality=ones, bounds=Bounds(0, 1))
    if first.status != 0:
        return None
    most = round(-first.fun)
    res = milp(
        -score[idx[:, 0], idx[:, 1]],
        constraints=[row_c, col_c, LinearConstraint(ones[None, :], most, most)],
        integrality=ones,
        bounds=Bounds(0, 1),
    )
    return float(-res.fun)


def assert_feasible(a: Assignment, problem: Problem, *, partial: bool = False) -> None:
    score, forbid, cap, dem, low = problem
    rows, cols = a.pairs[:, 0], a.pairs[:, 1]
    assert len({(int(i), int(j)) for i, j in a.pairs}) == len(a.pairs)
    assert not forbid[rows, cols].any()
    got = np.bincount(rows, minlength=score.shape[0])
    load = np.bincount(cols, minlength=score.shape[1])
    assert np.all(load <= cap) and np.all(load >= low)
    if partial:
        assert np.all(got <= dem)
        np.testing.assert_array_equal(a.short_rows, np.flatnonzero(got < dem))
    else:
        np.testing.assert_array_equal(got, dem)
        assert a.short_rows.size == 0
    assert a.objective == pytest.approx(float(score[rows, cols].sum()), abs=1e-9)
    order = np.lexsort((cols, rows))
    np.testing.assert_array_equal(order, np.arange(len(rows)))


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(size=(n, m)), 2)
    forbid = rng.random((n, m)) < draw(st.sampled_from([0.0, 0.2, 0.5]))
    cap = rng.integers(0, 4, m)
    dem = rng.integers(0, 3, n)
    low = np.minimum(rng.integers(0, 2, m), cap) if draw(st.booleans()) else np.zeros(m, np.int64)
    return score, forbid, cap, dem, low


SETTINGS = settings(max_examples=120, deadline=None, derandomize=True)


@SETTINGS
@given(problems())
def test_it_matches_the_milp_optimum_and_proves_it(problem: Problem) -> None:
    score, forbid, cap, dem, low = problem
    expected = milp_oracle(problem)
    if expected is None:
        with pytest.raises(InfeasibleAssignment):
            optimal_assignment(score, cap, dem, forbid, low)
        return
    a = optimal_assignment(score, cap, dem, forbid, low)
    assert_feasible(a, problem)
    assert a.objective == pytest.approx(expected, abs=1e-6)
    assert a.certificate.is_optimal
    assert a.certificate.gap <= a.certificate.tolerance
    assert verify_assignment(a, score, cap, dem, forbid, low) <= a.certificate.tolerance
    assert a.verify() <= a.certificate.tolerance
    # Column generation from one candidate per row reaches the same optimum.
    b = optimal_assignment(score, cap, dem, forbid, low, candidates_per_row=1)
    assert b.objective == pytest.approx(expected, abs=1e-6)
    assert b.certificate.is_optimal


@SETTINGS
@given(problems())
def test_sparse_and_dense_inputs_agree(problem: Problem) -> None:
    score, forbid, cap, dem, low = problem
    allowed = np.nonzero(~forbid)
    sparse = sp.csr_array((score[allowed], allowed), shape=score.shape)
    try:
        dense = optimal_assignment(score, cap, dem, forbid, low)
    except InfeasibleAssignment:
        with pytest.raises(InfeasibleAssignment):
            optimal_assignment(sparse, cap, dem, None, low)
        return
    a = optimal_assignment(sparse, cap, dem, None, low)
    assert a.objective == pytest.approx(dense.objective, abs=1e-6)
    assert_feasible(a, problem)
    assert verify_assignment(a, sparse, cap, dem, None, low) <= a.certificate.tolerance
    pruned = optimal_assignment(sparse, cap, dem, None, low, candidates_per_row=1)
    assert pruned.objective == pytest.approx(dense.objective, abs=1e-6)
    assert verify_assignment(pruned, sparse, cap, dem, None, low) <= pruned.certificate.tolerance
    # Same pairs forbidden through `forbidden` on a full sparse matrix.
    everything = np.nonzero(np.ones_like(forbid))
    full = sp.csr_array((score[everything], everything), shape=score.shape)
    b = optimal_assignment(full, cap, dem, forbid, low)
    assert b.objective == pytest.approx(dense.objective, abs=1e-6)


@SETTINGS
@given(problems())
def test_allow_partial_gives_most_pairs_then_best_score(problem: Problem) -> None:
    score, forbid, cap, dem, low = problem
    expected = milp_oracle(problem, partial=True)
    if expected is None:
        with pytest.raises(InfeasibleAssignment):
            optimal_assignment(score, cap, dem, forbid, low, allow_partial=True)
        return
    a = optimal_assignment(score, cap, dem, forbid, low, allow_partial=True)
    assert_feasible(a, problem, partial=True)
    assert a.objective == pytest.approx(expected, abs=1e-6)
    assert verify_assignment(a, score, cap, dem, forbid, low) <= a.certificate.tolerance
    # Pruned candidates must not lose pairs (negative scores make this a real risk).
    pruned = optimal_assignment(score, cap, dem, forbid, low, allow_partial=True, candidates_per_row=1)
    assert len(pruned.pairs) == len(a.pairs)
    assert pruned.objective == pytest.approx(expected, abs=1e-6)
    allowed = np.nonzero(~forbid)
    sparse = sp.csr_array((score[allowed], allowed), shape=score.shape)
    b = optimal_assignment(sparse, cap, dem, None, low, allow_partial=True, candidates_per_row=1)
    assert b.objective == pytest.approx(expected, abs=1e-6)
    assert len(b.pairs) == len(a.pairs)


def test_pruned_partial_assignment_keeps_the_most_pairs() -> None:
    # Row 0's best column is taken by row 1; its only other option scores below zero.
    # A max-score-only search over the best candidate per row would leave row 0 out.
    score = np.array([[1.0, -5.0], [2.0, -9.0]])
    forbidden = [(1, 1)]
    for candidates in (1, None):
        a = optimal_assignment(
            score, [1, 1], forbidden=forbidden, allow_partial=True, candidates_per_row=candidates
        )
        assert a.pairs.tolist() == [[0, 1], [1, 0]]
        assert a.short_rows.size == 0


# --------------------------------------------------------------------------- hand-checked


def test_hand_checked_two_by_two() -> None:
    a = optimal_assignment(np.array([[3.0, 1.0], [4.0, 0.0]]), [1, 1])
    assert a.pairs.tolist() == [[0, 1], [1, 0]]
    assert a.objective == 5.0
    assert (a.n_rows, a.n_cols) == (2, 2)


def test_hand_checked_demand_two_with_capacity() -> None:
    score = np.array([[5.0, 4.0, 1.0], [5.0, 3.0, 2.0], [1.0, 1.0, 1.0]])
    a = optimal_assignment(score, [2, 2, 2], demand=2)
    # Six seats for six pairs: every column is full and each row skips one column,
    # a different one per row. Skipping (2, 1, 0) loses 1 + 3 + 1, the least possible.
    assert a.pairs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 2], [2, 1], [2, 2]]
    assert a.objective == pytest.approx(23 - 5)


def test_min_load_forces_a_less_popular_column() -> None:
    score = np.array([[2.0, 1.0], [2.0, 0.0]])
    a = optimal_assignment(score, [2, 2], min_load=[0, 1])
    assert a.pairs.tolist() == [[0, 1], [1, 0]]
    assert a.objective == 3.0
    assert a.certificate.is_optimal


def test_explicit_zeros_in_sparse_input_are_allowed_pairs() -> None:
    score = sp.csr_array((np.array([0.0, 1.0]), (np.array([0, 1]), np.array([0, 0]))), shape=(2, 2))
    a = optimal_assignment(score, [1, 1], allow_partial=True)
    # Only column 0 is allowed for both rows; explicit zero counts as allowed.
    assert a.pairs.tolist() == [[1, 0]]
    assert a.short_rows.tolist() == [0]
    b = optimal_assignment(score, [2, 1])
    assert b.pairs.tolist() == [[0, 0], [1, 0]]


def test_forbidden_pairs_are_never_used() -> None:
    score = np.array([[10.0, 0.0], [0.0, 10.0]])
    a = optimal_assignment(score, [1, 1], forbidden=[(0, 0)])
    assert a.pairs.tolist() == [[0, 1], [1, 0]]
    b = optimal_assignment(score, [1, 1], forbidden=np.array([[True, False], [False, False]]))
    assert b.pairs.tolist() == a.pairs.tolist()
    c = optimal_assignment(score, [1, 1], forbidden=sp.csr_array(np.array([[True, False], [False, False]])))
    assert c.pairs.tolist() == a.pairs.tolist()


def test_allow_partial_lists_short_rows() -> None:
    score = np.array([[1.0], [2.0], [3.0]])
    a = optimal_assignment(score, [2], allow_partial=True)
    assert a.pairs.tolist() == [[1, 0], [2, 0]]
    assert a.short_rows.tolist() == [0]
    assert a.objective == 5.0
    assert verify_assignment(a, score, [2]) <= a.certificate.tolerance


def test_explain_gives_a_reason_for_each_alternative() -> None:
    # Row 0 likes column 0 best, but row 1 can only use column 0 and is worth more there;
    # column 1 is a conflict for row 0; column 2 scores below what row 0 got.
    score = np.array([[9.0, 8.0, 1.0, 5.0], [10.0, 0.0, 0.0, 0.0]])
    forbidden = [(0, 1), (1, 1), (1, 2), (1, 3)]
    a = optimal_assignment(score, [1, 1, 1, 1], forbidden=forbidden)
    assert a.pairs.tolist() == [[0, 3], [1, 0]]
    assert a.loads.tolist() == [1, 0, 0, 1]
    assert a.rows_of(0).tolist() == [1] and a.columns_of(0).tolist() == [3]
    why = explain(a, 0)
    assert why.assigned == ((3, 5.0),)
    assert [(x.column, x.reason) for x in why.alternatives] == [
        (0, "column full"),
        (1, "forbidden"),
        (2, "lower score"),
    ]
    assert "at capacity (1)" in why.alternatives[0].detail
    with pytest.raises(ValueError, match="row 5 is out of range"):
        explain(a, 5)


def test_doctests_pass() -> None:
    result = doctest.testmod(assign)
    assert result.failed == 0 and result.attempted > 0


def test_doctests_of_the_split_modules_pass() -> None:
    from mentorfold.engine import assign_check

    result = doctest.testmod(assign_check)
    assert result.failed == 0 and result.attempted >= 2


# --------------------------------------------------------------------------- infeasible


def test_it_names_rows_with_too_few_allowed_columns() -> None:
    score = np.ones((3, 2))
    with pytest.raises(InfeasibleAssignment, match=r"rows \[1\] have fewer allowed columns") as err:
        optimal_assignment(score, [3, 3], forbidden=[(1, 0), (1, 1)])
    assert err.value.rows == (1,)


def test_it_names_rows_that_compete_for_a_full_column() -> None:
    score = np.ones((3, 2))
    forbidden = [(0, 1), (1, 1)]
    with pytest.raises(InfeasibleAssignment, match=r"rows \[(0|1)\] cannot all get their demand") as err:
        optimal_assignment(score, [1, 5], forbidden=forbidden)
    assert err.value.columns == (0,)
    assert isinstance(err.value, ValueError)


def test_it_reports_total_capacity_below_total_demand() -> None:
    with pytest.raises(InfeasibleAssignment, match="total capacity 2 is below total demand 3"):
        optimal_assignment(np.ones((3, 2)), [1, 1])


def test_it_reports_min_load_that_cannot_be_met() -> None:
    with pytest.raises(InfeasibleAssignment, match=r"min_load exceeds capacities for columns \[1\]"):
        optimal_assignment(np.ones((3, 2)), [2, 1], min_load=[0, 2])
    with pytest.raises(
        InfeasibleAssignment, match=r"columns \[0\] have fewer allowed rows than their min_load"
    ):
        optimal_assignment(np.ones((2, 2)), [2, 2], forbidden=[(0, 0)], min_load=[2, 0])
    with pytest.raises(InfeasibleAssignment, match="total min_load 4 exceeds total demand 2"):
        optimal_assignment(np.ones((2, 2)), [2, 2], min_load=[2, 2])


# --------------------------------------------------------------------------- validation


def test_it_rejects_a_nan_score() -> None:
    score = np.ones((2, 2))
    score[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"score\[1, 0\] is NaN"):
        optimal_assignment(score, [1, 1])
    with pytest.raises(ValueError, match=r"score\[1, 0\] is NaN"):
        optimal_assignment(sp.csr_array(score), [1, 1])


def test_it_rejects_a_negative_capacity() -> None:
    with pytest.raises(ValueError, match=r"capacities\[1\] is -1; capacities must be >= 0"):
        optimal_assignment(np.ones((2, 2)), [1, -1])


def test_it_rejects_length_mismatches() -> None:
    with pytest.raises(ValueError, match="capacities has shape"):
        optimal_assignment(np.ones((2, 2)), [1, 1, 1])
    with pytest.raises(ValueError, match="demand has shape"):
        optimal_assignment(np.ones((2, 2)), [1, 1], demand=[1, 1, 1])
    with pytest.raises(ValueError, match="min_load has shape"):
        optimal_assignment(np.ones((2, 2)), [1, 1], min_load=[0])


def test_it_rejects_out_of_range_forbidden_pairs_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"forbidden pair \(0, 7\) is out of range"):
        optimal_assignment(np.ones((2, 2)), [1, 1], forbidden=[(0, 7)])
    with pytest.raises(ValueError, match="forbidden has shape"):
        optimal_assignment(np.ones((2, 2)), [1, 1], forbidden=np.zeros((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="two-dimensional"):
        optimal_assignment(np.ones(3), [1, 1, 1])
    with pytest.raises(ValueError, match=r"demand\[0\] is -1"):
        optimal_assignment(np.ones((2, 2)), [1, 1], demand=[-1, 1])


def test_verify_rejects_a_tampered_assignment() -> None:
    score = np.array([[3.0, 1.0], [4.0, 0.0]])
    a = optimal_assignment(score, [1, 1])
    with pytest.raises(ValueError, match="stored objective"):
        verify_assignment(replace(a, objective=9.0), score, [1, 1])
    worse = replace(a, pairs=np.array([[0, 0], [1, 1]]), objective=3.0)
    # A feasible but worse assignment keeps its (valid) bound: the gap exposes it.
    assert verify_assignment(worse, score, [1, 1]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="break capacity"):
        verify_assignment(replace(a, pairs=np.array([[0, 0], [1, 0]]), objective=7.0), score, [1, 1])
    with pytest.raises(ValueError, match="forbidden pair"):
        verify_assignment(a, score, [1, 1], forbidden=[(1, 0)])
