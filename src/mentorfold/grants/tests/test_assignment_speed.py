"""The assignment's bookkeeping around the solve is vectorised (issue 14 §6) and gives what the row-by-row
version gave: id pairs to matrix indices, and the stored explanations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mentorfold.accounts.tests.factories import ReviewerProfileFactory
from mentorfold.engine import assign
from mentorfold.engine.explain import explain_rows

from .. import review as reviews
from ..models import GrantCycle
from .factories import ApplicationFactory, GrantCycleFactory


def test_pairs_array_maps_ids_to_indices_and_drops_pairs_outside_the_solve() -> None:
    app_ids = np.array([3, 7, 10, 42], dtype=np.int64)
    rev_ids = np.array([5, 6, 90], dtype=np.int64)
    pairs = [(7, 90), (3, 5), (8, 5), (42, 91), (1, 6), (99, 6), (10, 6), (42, 4)]
    out = reviews._pairs_array(pairs, app_ids, rev_ids)
    assert out.tolist() == [[1, 2], [0, 0], [2, 1]]
    assert out.dtype == np.int64
    assert reviews._pairs_array([], app_ids, rev_ids).shape == (0, 2)
    assert reviews._pairs_array([(3, 5)], np.zeros(0, np.int64), rev_ids).shape == (0, 2)


def _row_by_row(result: Any, kept_idx: Any, app_ids: list[int], rev_ids: list[int]) -> dict[str, Any]:
    """How the explanations were built before: one Python list per row from explain_rows."""
    return {
        str(app_ids[i]): [[rev_ids[c], round(v, 4), reviews.EXPLAIN_CODES[why]] for c, v, why in alternatives]
        for i, alternatives in enumerate(explain_rows(result, top=reviews.EXPLAIN_TOP, extra_pairs=kept_idx))
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_stored_explanations_equal_the_row_by_row_ones(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 60, 9
    score = np.round(rng.random((n, m)), 2)  # rounded: ties at the cut-off happen
    forbidden = rng.random((n, m)) < 0.05
    kept = np.array([[0, 1], [5, 2], [7, 0]], dtype=np.int64)
    forbidden[kept[:, 0], kept[:, 1]] = True
    demand = np.full(n, 2)
    demand[kept[:, 0]] -= 1
    cap = np.full(m, 16)
    np.subtract.at(cap, kept[:, 1], 1)
    result = assign.optimal_assignment(score, cap, demand, forbidden=forbidden)
    app_ids = list(range(100, 100 + 2 * n, 2))
    rev_ids = list(range(7, 7 + 3 * m, 3))
    assert reviews._explanations(result, kept, app_ids, rev_ids) == _row_by_row(
        result, kept, app_ids, rev_ids
    )


@pytest.mark.django_db
def test_assignment_run_queries_do_not_grow_with_applications(django_assert_max_num_queries: Any) -> None:
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, reviewers_per_application=2)
    for topic in ("surgery", "pediatrics", "rural medicine"):
        ReviewerProfileFactory(expertise=topic, max_load=40)
    for k in range(40):
        ApplicationFactory(cycle=cycle, topics=("surgery", "pediatrics")[k % 2])
    reviews.conflicts_detect(cycle=cycle)
    with django_assert_max_num_queries(40):
        run = reviews.assignment_run(cycle=cycle)
    assert run.n_pairs == 80 and run.is_optimal
    assert len(run.explanations) == 40
