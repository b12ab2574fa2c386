"""Why each row did not get its best other columns: :func:`assign.explain` for every row at once.

:func:`assign.explain` answers for one row in O(n_cols) Python-level numpy calls; a grant cycle needs the
answer for 10,000 applications, so :func:`explain_rows` gives the same alternatives and reasons in chunked,
vectorised numpy (and falls back to :func:`assign.explain` row by row for sparse scores).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from . import assign

__all__ = ["REASONS", "explain_arrays", "explain_rows"]

REASONS = ("forbidden", "not allowed", "column full", "lower score", "worse for the total")
Row: TypeAlias = list[tuple[int, float, str]]
_CHUNK = 1024


def _as_pairs(pairs: npt.ArrayLike | None, n: int, m: int) -> npt.NDArray[np.int64]:
    if pairs is None:
        return np.zeros((0, 2), dtype=np.int64)
    arr = np.asarray(pairs)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError("extra_pairs must be a (k, 2) array of whole (row, column) numbers")
    arr = arr.astype(np.int64)
    if arr[:, 0].min() < 0 or arr[:, 0].max() >= n or arr[:, 1].min() < 0 or arr[:, 1].max() >= m:
        raise ValueError("extra_pairs has a pair out of range for this assignment")
    return arr


def explain_rows(
    assignment: assign.Assignment, *, top: int = 3, extra_pairs: npt.ArrayLike | None = None
) -> list[Row]:
    """For every row, its best ``top`` columns it did not get, each with :func:`assign.explain`'s reason.

    Parameters
    ----------
    assignment : assign.Assignment
        Result of :func:`assign.optimal_assignment`.
    top : int, default 3
        Alternatives per row, highest score first (ties: lower column first).
    extra_pairs : (k, 2) array of int, optional
        Pairs held outside the solve (for example reviews already under way, passed to the solver as
        forbidden with capacity and demand reduced). They count as the row's own columns: never listed as
        alternatives, and part of the "lower score" comparison.

    Returns
    -------
    list of list of (column, score, reason)
        One list per row; ``reason`` is one of :data:`REASONS`, exactly as :func:`assign.explain` words it.

    Raises
    ------
    ValueError
        If ``top`` is below 1 or ``extra_pairs`` is malformed or out of range.

    Notes
    -----
    Dense scores: O(n_rows * n_cols) in chunks of 1,024 rows (one partial sort per chunk), so 10,000 x 1,000
    takes well under a second. Without ``extra_pairs`` each row equals ``assign.explain(assignment, i, top)``.
    :func:`explain_arrays` gives the same as arrays, without building a Python list per row.

    Examples
    --------
    >>> import numpy as np
    >>> a = assign.optimal_assignment(np.array([[3.0, 1.0], [4.0, 0.0]]), capacities=[1, 1])
    >>> explain_rows(a, top=1)
    [[(0, 3.0, 'column full')], [(1, 0.0, 'column full')]]
    """
    if sp.issparse(assignment.score):
        _check_top(top)
        if _as_pairs(extra_pairs, assignment.n_rows, assignment.n_cols).size:
            raise ValueError("extra_pairs is only supported for a dense score")
        return [
            [(a.column, a.score, a.reason) for a in assign.explain(assignment, i, top=top).alternatives]
            for i in range(assignment.n_rows)
        ]
    cols, vals, reasons = explain_arrays(assignment, top=top, extra_pairs=extra_pairs)
    return [
        [(c, v, REASONS[w]) for c, v, w in zip(c_row, v_row, w_row, strict=True) if w >= 0]
        for c_row, v_row, w_row in zip(cols.tolist(), vals.tolist(), reasons.tolist(), strict=True)
    ]


def _check_top(top: int) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a whole number >= 1, got {top!r}")


def _lowest_tied_columns(
    block: npt.NDArray[np.float64],
    tied: npt.NDArray[np.intp],
    cut: npt.NDArray[np.float64],
    cand: npt.NDArray[np.intp],
    vals: npt.NDArray[np.float64],
) -> None:
    """Rows ``tied`` of a chunk have more columns at their cut-off score than places left: keep the lowest.

    ``cand``/``vals`` (sorted by score, then column) hold ``above`` columns scoring more than the cut-off
    first (all of them, whichever the partition picked), then columns at the cut-off: those are replaced, in
    place, by the row's lowest columns at the cut-off, found by a short scan per place (``argmax`` stops at
    the first ``True``) instead of sorting or counting along whole rows.
    """
    t, k = tied.size, cand.shape[1]
    c = cut[tied]
    above = (vals[tied] > c[:, None]).sum(axis=1)
    at_cut = block[tied] == c[:, None]
    lowest = np.empty((t, k), dtype=np.intp)
    every = np.arange(t)
    for place in range(k):
        first = at_cut.argmax(axis=1)
        lowest[:, place] = first
        at_cut[every, first] = False
    slot = np.arange(k) - above[:, None]
    cand[tied] = np.where(slot < 0, cand[tied], np.take_along_axis(lowest, np.maximum(slot, 0), axis=1))
    vals[tied] = np.where(slot < 0, vals[tied], c[:, None])


def explain_arrays(
    assignment: assign.Assignment, *, top: int = 3, extra_pairs: npt.ArrayLike | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """:func:`explain_rows` as three ``(n_rows, min(top, n_cols))`` arrays, for a dense score.

    Returns ``(columns, scores, reasons)``: row ``i``'s alternatives in order, ``reasons`` indexing
    :data:`REASONS`, or -1 where a row has fewer allowed alternatives (the entry is padding).

    Raises
    ------
    ValueError
        As :func:`explain_rows`, and for a sparse score.

    Examples
    --------
    >>> import numpy as np
    >>> a = assign.optimal_assignment(np.array([[3.0, 1.0], [4.0, 0.0]]), capacities=[1, 1])
    >>> cols, vals, why = explain_arrays(a, top=1)
    >>> cols.tolist(), vals.tolist(), [REASONS[w] for w in why[:, 0]]
    ([[0], [1]], [[3.0], [0.0]], ['column full', 'column full'])
    """
    _check_top(top)
    n, m = assignment.n_rows, assignment.n_cols
    extra = _as_pairs(extra_pairs, n, m)
    mat = assignment.score
    if sp.issparse(mat):
        raise ValueError("explain_arrays needs a dense score; use explain_rows")
    score = np.asarray(mat, dtype=np.float64)
    taken = np.concatenate([assignment.pairs, extra]) if extra.size else assignment.pairs
    worst = np.full(n, np.inf)
    np.minimum.at(worst, taken[:, 0], score[taken[:, 0], taken[:, 1]])
    worst[np.isinf(worst)] = -np.inf  # a row with no column: nothing is "lower" (as assign.explain)
    full = assignment.loads >= assignment.capacities
    forb = assignment.forbidden
    k = min(top, m)
    out_cols = np.zeros((n, k), dtype=np.int64)
    out_vals = np.zeros((n, k), dtype=np.float64)
    out_why = np.full((n, k), -1, dtype=np.int8)
    for r0 in range(0, n, _CHUNK):
        r1 = min(n, r0 + _CHUNK)
        block = np.array(score[r0:r1], dtype=np.float64, copy=True)
        sel = (taken[:, 0] >= r0) & (taken[:, 0] < r1)
        block[taken[sel, 0] - r0, taken[sel, 1]] = -np.inf
        if k < m:  # the k best (the last k after one partition) and the (k+1)-th, just before them
            part = np.argpartition(block, m - k - 1, axis=1)
            cand = part[:, m - k :]
            after = np.take_along_axis(block, part[:, m - k - 1 : m - k], axis=1)[:, 0]
        else:
            cand = np.tile(np.arange(m), (r1 - r0, 1))
        vals = np.take_along_axis(block, cand, axis=1)
        # Order by score, then column, as assign.explain.
        order = np.lexsort((cand, -vals), axis=1)
        cand = np.take_along_axis(cand, order, axis=1)
        vals = np.take_along_axis(vals, order, axis=1)
        if k < m:
            cut = vals[:, -1]
            tied = np.flatnonzero(after >= cut)
            if tied.size:
                _lowest_tied_columns(block, tied, cut, cand, vals)
        rows = np.arange(r0, r1)[:, None]
        # Listed conflicts among the candidates, by sorted keys (pairs held outside the solve are -inf in the
        # block, so never listed: they need no exception here).
        is_forbidden = np.zeros(cand.shape, dtype=bool)
        if forb is not None and forb.indptr[r1] > forb.indptr[r0]:
            lo, hi = forb.indptr[r0], forb.indptr[r1]
            f_keys = np.repeat(np.arange(r1 - r0, dtype=np.int64), np.diff(forb.indptr[r0 : r1 + 1])) * m
            f_keys += forb.indices[lo:hi]
            q = np.arange(r1 - r0, dtype=np.int64)[:, None] * m + cand
            pos = np.minimum(np.searchsorted(f_keys, q), f_keys.shape[0] - 1)
            is_forbidden = f_keys[pos] == q
        reason = np.where(is_forbidden, 0, np.where(full[cand], 2, np.where(vals <= worst[rows], 3, 4)))
        finite = np.isfinite(vals)
        out_cols[r0:r1] = cand
        out_vals[r0:r1] = np.where(finite, vals, 0.0)
        out_why[r0:r1] = np.where(finite, reason, -1)
    return out_cols, out_vals, out_why
