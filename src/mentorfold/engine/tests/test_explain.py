"""explain_rows gives, for every row at once, what assign.explain gives for one row."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorfold.engine import assign
from mentorfold.engine.explain import explain_rows


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, list[tuple[int, int]]]:
    n = draw(st.integers(1, 7))
    m = draw(st.integers(2, 6))
    # Few distinct values: ties at the cut-off are common, which is what the ordering test needs.
    score = np.array(
        draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0]), min_size=n * m, max_size=n * m))
    ).reshape(n, m)
    demand = draw(st.integers(1, min(2, m - 1)))
    cap = np.full(m, int(np.ceil(n * demand / m)) + draw(st.integers(0, 1)), dtype=np.int64)
    forbidden = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=3, unique=True)
    )
    return score, cap, demand, forbidden


@settings(max_examples=150)
@given(instances(), st.integers(1, 5))
def test_every_row_matches_assign_explain(instance: tuple, top: int) -> None:
    score, cap, demand, forbidden = instance
    try:
        result = assign.optimal_assignment(score, cap, demand, forbidden=forbidden or None)
    except assign.InfeasibleAssignment:
        return
    rows = explain_rows(result, top=top)
    for i, got in enumerate(rows):
        want = [(a.column, a.score, a.reason) for a in assign.explain(result, i, top=top).alternatives]
        assert got == want, i


def test_extra_pairs_are_never_alternatives_nor_called_forbidden() -> None:
    score = np.array([[5.0, 4.0, 1.0], [1.0, 2.0, 3.0]])
    # Row 0 already holds column 0 outside the solve: forbidden to the solver, capacity used.
    result = assign.optimal_assignment(score, [0, 2, 2], [1, 1], forbidden=[(0, 0)])
    rows = explain_rows(result, top=3, extra_pairs=np.array([[0, 0]]))
    assert [c for c, _s, _r in rows[0]] == [2]
    assert rows[0][0][2] == "lower score"


def test_it_rejects_bad_top_and_out_of_range_pairs() -> None:
    result = assign.optimal_assignment(np.ones((2, 2)), [1, 1])
    with pytest.raises(ValueError, match="top must be"):
        explain_rows(result, top=0)
    with pytest.raises(ValueError, match="out of range"):
        explain_rows(result, extra_pairs=np.array([[0, 5]]))
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        explain_rows(result, extra_pairs=np.array([0.5, 1.0]))


def test_sparse_scores_fall_back_to_assign_explain() -> None:
    import scipy.sparse as sp

    score = sp.csr_array(np.array([[3.0, 0.0, 1.0], [4.0, 2.0, 0.0]]))
    result = assign.optimal_assignment(score, [1, 1, 1])
    want = [
        [(a.column, a.score, a.reason) for a in assign.explain(result, i, top=2).alternatives] for i in (0, 1)
    ]
    assert explain_rows(result, top=2) == want


def test_docstring_examples_hold() -> None:
    from mentorfold.engine import explain

    assert doctest.testmod(explain).failed == 0


def test_many_ties_across_chunks_match_assign_explain_row_by_row() -> None:
    """Repeated columns (as reviewers with the same expertise) tie at the cut-off in most rows, over two chunks."""
    rng = np.random.default_rng(14)
    n, m = 1100, 12
    score = np.round(rng.random((n, 4)), 1)[:, rng.integers(0, 4, m)]
    forbidden = [
        (int(i), int(j)) for i, j in zip(rng.integers(0, n, 40), rng.integers(0, m, 40), strict=True)
    ]
    result = assign.optimal_assignment(score, np.full(m, 200), 2, forbidden=forbidden)
    rows = explain_rows(result, top=3)
    for i in range(0, n, 7):
        want = [(a.column, a.score, a.reason) for a in assign.explain(result, i, top=3).alternatives]
        assert rows[i] == want, i
