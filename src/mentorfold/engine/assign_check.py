"""Independent checks of an :mod:`assign` result: the optimality certificate, and why a row got what it got."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .assign_input import _allowed_sparse, _as_counts, _as_forbidden, _as_score, _dense_block, _is_forbidden
from .assign_types import _CHUNK, Alternative, Assignment, FloatArray, Forbidden, IntArray, RowExplanation


def _bound(
    u: FloatArray, p: FloatArray, lam: float, demand: IntArray, cap: IntArray, low: IntArray, k: int
) -> float:
    return float(demand @ u + lam * k + cap @ np.maximum(p, 0.0) - low @ np.maximum(-p, 0.0))


def verify_assignment(
    assignment: Assignment,
    score: Any,
    capacities: npt.ArrayLike,
    demand: npt.ArrayLike = 1,
    forbidden: Forbidden = None,
    min_load: npt.ArrayLike | None = None,
) -> float:
    """Independently check an assignment and its certificate; return the proven gap.

    Recomputes feasibility, the objective from ``score``, and the dual bound of
    :class:`Certificate` over every allowed pair, using only the potentials.

    Parameters
    ----------
    assignment : Assignment
        Result to check (only ``pairs``, ``certificate`` and ``allow_partial`` are used).
    score, capacities, demand, forbidden, min_load
        The original inputs, as for :func:`optimal_assignment`.

    Returns
    -------
    float
        ``bound - objective`` (>= 0 up to rounding). No feasible assignment (of the
        same number of pairs, in partial mode) scores more than ``objective + gap``.

    Raises
    ------
    ValueError
        If a pair is out of range, repeated, forbidden or not allowed, a row or
        column count breaks demand / capacity / min_load, or the stored objective
        does not match the score.

    Notes
    -----
    O(n_rows * n_cols) for dense scores (in chunks), O(nnz) for sparse.

    Examples
    --------
    >>> import numpy as np
    >>> from mentorfold.engine.assign import optimal_assignment
    >>> s = np.array([[3.0, 1.0], [4.0, 0.0]])
    >>> a = optimal_assignment(s, [1, 1])
    >>> verify_assignment(a, s, [1, 1]) <= a.certificate.tolerance
    True
    """
    mat, is_sparse = _as_score(score)
    n, m = mat.shape
    cap = _as_counts(capacities, m, "capacities", "columns")
    dem = _as_counts(demand, n, "demand", "rows")
    low = np.zeros(m, np.int64) if min_load is None else _as_counts(min_load, m, "min_load", "columns")
    forb = _as_forbidden(forbidden, n, m)
    pr, pc = assignment.pairs[:, 0], assignment.pairs[:, 1]
    if pr.size and (pr.min() < 0 or pr.max() >= n or pc.min() < 0 or pc.max() >= m):
        raise ValueError("assignment has a pair out of range for this score matrix")
    keys = pr * m + pc
    if np.unique(keys).shape[0] != keys.shape[0]:
        raise ValueError("assignment uses a (row, column) pair twice")
    if _is_forbidden(forb, pr, pc).any():
        raise ValueError("assignment uses a forbidden pair")
    if is_sparse:
        rows, cols, vals = _allowed_sparse(mat, None, np.ones(m, np.int64))
        skeys = rows * m + cols
        pos = np.minimum(np.searchsorted(skeys, keys), max(skeys.shape[0] - 1, 0))
        if keys.size and (skeys.size == 0 or np.any(skeys[pos] != keys)):
            raise ValueError("assignment uses a pair that is not stored in the sparse score")
        got_v = vals[pos] if keys.size else np.zeros(0)
    else:
        got_v = mat[pr, pc]
    got = np.bincount(pr, minlength=n)
    load = np.bincount(pc, minlength=m)
    if assignment.allow_partial:
        if np.any(got > dem):
            raise ValueError("a row got more columns than its demand")
    elif np.any(got != dem):
        raise ValueError(f"rows {np.flatnonzero(got != dem)[:20].tolist()} do not get exactly their demand")
    if np.any(load > cap) or np.any(load < low):
        raise ValueError(
            f"columns {np.flatnonzero((load > cap) | (load < low))[:20].tolist()} break capacity or min_load"
        )
    objective = float(np.sum(got_v))
    if abs(objective - assignment.objective) > 1e-9 * (1.0 + abs(objective)):
        raise ValueError(f"stored objective {assignment.objective} != recomputed {objective}")
    cert = assignment.certificate
    u = cert.row_potential
    if assignment.allow_partial:
        u = np.maximum(u, 0.0)
    p, lam = cert.col_potential, cert.cardinality_potential
    if not assignment.allow_partial and lam != 0.0:
        raise ValueError("cardinality potential must be 0 when rows must meet their demand exactly")
    bound = _bound(u, p, lam, dem, cap, low, int(pr.shape[0]))
    if is_sparse:
        rows, cols, vals = _allowed_sparse(mat, forb, cap)
        bound += float(np.maximum(vals - u[rows] - p[cols] - lam, 0.0).sum())
    else:
        for r0 in range(0, n, _CHUNK):
            r1 = min(n, r0 + _CHUNK)
            red = _dense_block(mat, forb, cap, r0, r1)
            red -= u[r0:r1, None]
            red -= p[None, :]
            red -= lam
            bound += float(np.maximum(red, 0.0).sum())
    return bound - objective


def explain(assignment: Assignment, i: int, *, top: int = 5) -> RowExplanation:
    """Say what row ``i`` got and why it did not get its best other columns.

    Parameters
    ----------
    assignment : Assignment
        Result of :func:`optimal_assignment`.
    i : int
        Row to explain.
    top : int, optional
        Number of alternatives to list (highest score first, default 5).

    Returns
    -------
    RowExplanation
        ``assigned``: (column, score) pairs; ``alternatives``: the best columns not
        assigned to ``i``, each with a reason: ``"forbidden"`` (a listed conflict),
        ``"not allowed"`` (absent from a sparse score), ``"column full"`` (at capacity
        with rows that were better for the total), ``"lower score"`` (scores below
        every column ``i`` got) or ``"worse for the total"`` (taking it would lower the
        optimum; its reduced cost is not positive).

    Raises
    ------
    ValueError
        If ``i`` is out of range.

    Notes
    -----
    O(n_cols + k log k) for ``k`` assigned pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from mentorfold.engine.assign import optimal_assignment
    >>> a = optimal_assignment(np.array([[3.0, 1.0], [4.0, 0.0]]), [1, 1])
    >>> [(x.column, x.reason) for x in explain(a, 0).alternatives]
    [(0, 'column full')]
    """
    n, m = assignment.n_rows, assignment.n_cols
    if not 0 <= i < n:
        raise ValueError(f"row {i} is out of range 0..{n - 1}")
    mat = assignment.score
    allowed = np.ones(m, dtype=bool)
    if sp.issparse(mat):
        row = np.full(m, -np.inf)
        lo, hi = mat.indptr[i], mat.indptr[i + 1]
        row[mat.indices[lo:hi]] = mat.data[lo:hi]
        allowed[:] = False
        allowed[mat.indices[lo:hi]] = True
    else:
        row = np.asarray(mat[i], dtype=np.float64)
    forbidden_row = np.zeros(m, dtype=bool)
    if assignment.forbidden is not None:
        f = assignment.forbidden
        forbidden_row[f.indices[f.indptr[i] : f.indptr[i + 1]]] = True
    mine = assignment.columns_of(i)
    assigned = tuple((int(j), float(row[j])) for j in mine)
    worst_mine = min((s for _, s in assigned), default=-np.inf)
    loads = assignment.loads
    cert = assignment.certificate
    others = np.setdiff1d(np.arange(m), mine)
    key = np.where(allowed[others], row[others], -np.inf)
    order = others[np.lexsort((others, -key))][:top]
    out: list[Alternative] = []
    for j in order.tolist():
        s = float(row[j])
        if forbidden_row[j]:
            out.append(Alternative(j, s, "forbidden", f"row {i} and column {j} are a listed conflict"))
        elif not allowed[j]:
            out.append(Alternative(j, s, "not allowed", f"column {j} is not a candidate for row {i}"))
        elif loads[j] >= assignment.capacities[j]:
            holders = assignment.rows_of(j)[:10].tolist()
            out.append(
                Alternative(
                    j,
                    s,
                    "column full",
                    f"column {j} was at capacity ({int(assignment.capacities[j])}) with rows "
                    f"{holders}, which gave a higher total",
                )
            )
        elif s <= worst_mine:
            out.append(Alternative(j, s, "lower score", f"score {s:.6g} is below every column row {i} got"))
        else:
            reduced = s - cert.row_potential[i] - cert.col_potential[j] - cert.cardinality_potential
            out.append(
                Alternative(
                    j,
                    s,
                    "worse for the total",
                    f"taking column {j} would lower the total (reduced score {reduced:.3g} <= 0)",
                )
            )
    return RowExplanation(row=i, assigned=assigned, alternatives=tuple(out))
