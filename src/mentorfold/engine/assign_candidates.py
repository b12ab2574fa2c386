"""Candidate pairs and pricing for :mod:`assign`: which pairs enter the flow, and the proof none is missing."""

from __future__ import annotations

from typing import Any

import numpy as np

from .assign_classes import class_prices
from .assign_flow import _cost_scale, _FlowResult, _short_rows, _solve_flow
from .assign_input import _dense_block
from .assign_types import _CHUNK, FloatArray, IntArray

# With many rows per column (n_rows >= _SAMPLE_ROWS_PER_COL * n_cols), column prices are first estimated on
# every _SAMPLE_EVERY-th row, capacities scaled down to match; that sample is solved the same way, so it
# samples again while it keeps at least _SAMPLE_MIN_ROWS rows and _SAMPLE_MIN_SHARE rows per column. The full
# problem's candidates are then each row's best pairs at those prices, which nearly always hold the optimum.
# Speed only: pricing over every allowed pair still proves the result, and adds any pair the estimate missed.
_SAMPLE_EVERY = 3
_SAMPLE_ROWS_PER_COL = 4.0
_SAMPLE_MIN_ROWS = 300
_SAMPLE_MIN_SHARE = 0.3
_PRICED_PER_DEMAND = 5
_NEAR_SHARE = 0.005
# A price sample stops after this many flow solves (one pricing round): its prices only seed the full
# problem's candidates, and the full problem's own pricing proves the result. At 10,000 x 1,000 this cuts the
# flow solves from 16 to 10 (the full problem still takes 2); with 1 the prices are too rough (no pricing).
_SAMPLE_SOLVES = 2
# Exact ties at the candidate cut-off (identical columns, such as reviewers with the same expertise) are
# broken by fixed pseudo-random offsets per (row % _TIE_ROWS, column), far below any real score difference,
# so rows spread over tied columns instead of all picking the lowest index (which would leave those columns
# over-subscribed and the candidates infeasible).
_TIE_SPREAD = 1e-9
_TIE_ROWS = 64
_TIE_SEED = 20261203


def _top_candidates(score: FloatArray, forb: Any, cap: IntArray, k: int) -> tuple[IntArray, IntArray]:
    n, m = score.shape
    k = min(k, m)
    rows_out: list[IntArray] = []
    cols_out: list[IntArray] = []
    for r0 in range(0, n, _CHUNK):
        r1 = min(n, r0 + _CHUNK)
        block = _dense_block(score, forb, cap, r0, r1)
        if k < m:
            top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(m), (r1 - r0, m))
        rr = np.repeat(np.arange(r0, r1, dtype=np.int64), top.shape[1])
        cc = top.reshape(-1).astype(np.int64)
        ok = np.isfinite(block[rr - r0, cc])
        rows_out.append(rr[ok])
        cols_out.append(cc[ok])
    return np.concatenate(rows_out), np.concatenate(cols_out)


def _pricing(
    score: FloatArray,
    forb: Any,
    cap: IntArray,
    sol: _FlowResult,
    cand_keys: IntArray,
    threshold: float,
    per_row: int,
    near: float = 0.0,
) -> tuple[IntArray, IntArray, float]:
    """Scan every allowed pair: return violating pairs to add and sum of max(0, reduced).

    With ``near`` > 0, a chunk of rows that has a violation also gets its pairs whose reduced score is above
    ``-near``: after the re-solve the potentials move and those would be the next violators.
    """
    n, m = score.shape
    add_r: list[IntArray] = []
    add_c: list[IntArray] = []
    positive = 0.0
    for r0 in range(0, n, _CHUNK):
        r1 = min(n, r0 + _CHUNK)
        red = _dense_block(score, forb, cap, r0, r1)
        red -= sol.u[r0:r1, None]
        red -= sol.p[None, :]
        red -= sol.lam
        positive += float(np.maximum(red, 0.0).sum())
        lo, hi = np.searchsorted(cand_keys, [r0 * m, r1 * m])
        ck = cand_keys[lo:hi]
        red[ck // m - r0, ck % m] = -np.inf
        worst = float(red.max()) if red.size else -np.inf
        if worst <= threshold:
            continue
        viol = red > (-near if near > 0 else threshold)
        vr, vc = np.nonzero(viol)
        counts = np.bincount(vr, minlength=r1 - r0)
        if counts.max() > per_row:
            vals = red[vr, vc]
            order = np.lexsort((-vals, vr))
            vr, vc = vr[order], vc[order]
            starts = np.repeat(np.cumsum(counts) - counts, counts)
            keep = np.arange(vr.shape[0]) - starts < per_row
            vr, vc = vr[keep], vc[keep]
        add_r.append(vr.astype(np.int64) + r0)
        add_c.append(vc.astype(np.int64))
    if not add_r:
        z = np.zeros(0, dtype=np.int64)
        return z, z, positive
    return np.concatenate(add_r), np.concatenate(add_c), positive


def _column_generation(
    mat: FloatArray,
    forb: Any,
    cap: IntArray,
    dem: IntArray,
    low: IntArray,
    partial: bool,
    keys: IntArray,
    per_row: int,
    near: float = 0.0,
    max_solves: int | None = None,
) -> tuple[_FlowResult | None, IntArray, float]:
    """Solve on candidate ``keys``, add pairs with positive reduced score, repeat.

    ``near``: the first pricing pass also adds pairs just below zero (see :func:`_pricing`).

    The last pricing pass found no violation; its sum of positive reduced scores is
    the final term of the certificate's bound.
    """
    n, m = mat.shape
    n_nodes = n + m + 2
    scale = _cost_scale(
        max(float(mat.max()), -float(mat.min())) if mat.size else 0.0, n_nodes, int(dem.sum())
    )
    solves = 0
    while True:
        rows, cols = keys // m, keys % m
        sol = _solve_flow(rows, cols, mat[rows, cols], n, m, dem, cap, low, partial)
        solves += 1
        if sol is None:
            return None, keys, 0.0
        if max_solves is not None and solves >= max_solves:
            return sol, keys, 0.0
        if partial and int(sol.chosen.sum()) < int(dem.sum()) and keys.size < n * m:
            # Reduced costs prove the best score for this many pairs, not that no
            # larger assignment exists: settle the cardinality on every allowed pair.
            all_r, all_c = _top_candidates(mat, forb, cap, m)
            widened = np.union1d(keys, all_r * m + all_c)
            if widened.size > keys.size:
                keys = widened
                continue
        add_r, add_c, positive = _pricing(mat, forb, cap, sol, keys, 2.0 / scale, per_row, near)
        near = 0.0
        if add_r.size == 0:
            return sol, keys, positive
        keys = np.union1d(keys, add_r * m + add_c)


def _sparse_column_generation(
    rows: IntArray,
    cols: IntArray,
    vals: FloatArray,
    n: int,
    m: int,
    dem: IntArray,
    cap: IntArray,
    low: IntArray,
    partial: bool,
    per_row: int,
) -> tuple[_FlowResult | None, IntArray, float]:
    """Like :func:`_column_generation` for the stored pairs of a sparse score.

    Starts from each row's ``per_row`` best pairs (the flow runs faster on fewer
    arcs), prices all stored pairs, adds violators and re-solves until none is left.
    Returns the flow result, the indices of chosen pairs, and the bound's last term.
    """
    n_nodes = n + m + 2
    scale = _cost_scale(float(np.abs(vals).max()) if vals.size else 0.0, n_nodes, int(dem.sum()))
    # Pairs are grouped by row (CSR order); rank each row's pairs by score.
    order = np.lexsort((-vals, rows))
    starts = np.searchsorted(rows, np.arange(n))
    rank = np.empty(rows.shape[0], dtype=np.int64)
    rank[order] = np.arange(rows.shape[0]) - starts[rows[order]]
    while True:
        cand = rank < per_row
        while True:
            idx = np.flatnonzero(cand)
            sol = _solve_flow(rows[idx], cols[idx], vals[idx], n, m, dem, cap, low, partial)
            if sol is None:
                break
            if partial and int(sol.chosen.sum()) < int(dem.sum()) and not cand.all():
                # Reduced costs prove the best score for this many pairs, not that no
                # larger assignment exists: settle the cardinality on every stored pair.
                cand[:] = True
                continue
            red = vals - sol.u[rows] - sol.p[cols] - sol.lam
            violating = (red > 2.0 / scale) & ~cand
            if not violating.any():
                return sol, idx[sol.chosen], float(np.maximum(red, 0.0).sum())
            cand |= violating
        if cand.all():
            return None, np.zeros(0, dtype=np.int64), 0.0
        per_row *= 2


def _tie_table(m: int) -> FloatArray:
    """Fixed pseudo-random offsets in [0, 1), one row per ``row % _TIE_ROWS`` (same every run)."""
    return np.random.default_rng(_TIE_SEED).random((_TIE_ROWS, m))


def _best_at_prices(
    score: FloatArray, forb: Any, cap: IntArray, prices: FloatArray | None, rows: IntArray, k: int
) -> IntArray:
    """Keys ``row * n_cols + col`` of the ``k`` best allowed columns of each of ``rows`` by score - price."""
    n, m = score.shape
    k = min(k, m)
    spread = _TIE_SPREAD * (1.0 + max(float(score.max()), -float(score.min()))) if score.size else 0.0
    tie = _tie_table(m) * spread
    out: list[IntArray] = []
    for c0 in range(0, rows.shape[0], _CHUNK):
        rr = rows[c0 : c0 + _CHUNK]
        if rr.size and int(rr[-1]) - int(rr[0]) + 1 == rr.shape[0]:  # a run of rows: slice, not gather
            block = _dense_block(score, forb, cap, int(rr[0]), int(rr[-1]) + 1)
        else:
            block = np.array(score[rr], dtype=np.float64, copy=True)
            if forb is not None:
                fr, fc = forb[rr].nonzero()
                block[fr, fc] = -np.inf
            block[:, cap == 0] = -np.inf
        if prices is not None:
            block -= prices[None, :]
        block += tie[rr % _TIE_ROWS]
        top = (
            np.argpartition(-block, k - 1, axis=1)[:, :k]
            if k < m
            else np.tile(np.arange(m), (rr.shape[0], 1))
        )
        ok = np.isfinite(np.take_along_axis(block, top, axis=1))
        keys = np.repeat(rr, top.shape[1]) * m + top.reshape(-1).astype(np.int64)
        out.append(keys[ok.reshape(-1)])
    return np.unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def _scaled_capacities(cap: IntArray, part: int, whole: int) -> IntArray:
    """``cap * part / whole`` in whole numbers with the same total (largest remainders round up, ties by index)."""
    exact = cap * (part / whole)
    out = np.floor(exact).astype(np.int64)
    extra = int(round(float(exact.sum()))) - int(out.sum())
    if extra > 0:
        order = np.lexsort((np.arange(cap.shape[0]), -(exact - out)))
        out[order[:extra]] += 1
    return np.asarray(out, dtype=np.int64)


def _estimate_prices(
    mat: FloatArray, forb: Any, cap: IntArray, dem: IntArray, k: int, *, nested: bool = False
) -> FloatArray | None:
    """Column potentials of the same problem on every ``_SAMPLE_EVERY``-th row, or None if not worth it.

    Capacities shrink in proportion (:func:`_scaled_capacities`); min_load is left out. The sample is solved
    by :func:`_dense_solve` itself (``nested``), so large inputs sample again.
    """
    n, m = mat.shape
    if nested:
        if n < _SAMPLE_MIN_ROWS or n < _SAMPLE_MIN_SHARE * m:
            return None
    elif n < _SAMPLE_MIN_ROWS or n < _SAMPLE_ROWS_PER_COL * m:
        return None
    idx = np.arange(0, n, _SAMPLE_EVERY, dtype=np.int64)
    sub_cap = _scaled_capacities(cap, idx.shape[0], n)
    sub_forb = forb[idx] if forb is not None else None
    sol, _keys, _positive = _dense_solve(
        mat[idx], sub_forb, sub_cap, dem[idx], np.zeros(m, np.int64), False, k, nested=True
    )
    return None if sol is None else sol.p


def _dense_solve(
    mat: FloatArray,
    forb: Any,
    cap: IntArray,
    dem: IntArray,
    low: IntArray,
    partial: bool,
    k: int,
    *,
    nested: bool = False,
    fixed_k: bool = False,
) -> tuple[_FlowResult | None, IntArray, float]:
    """Optimal flow for a dense score: estimated prices, feasible candidates, then column generation.

    1. Prices from the merged problem when many columns are identical (:func:`assign_classes.class_prices`),
       else from a row sample (:func:`_estimate_prices`); candidates are each row's ``k`` best columns at
       those prices (plain best scores without them).
    2. While a max flow over the candidates leaves rows short, those rows get twice as many candidates.
    3. :func:`_column_generation` solves, prices every allowed pair, adds violators and re-solves.
    If that finds no feasible flow, the plain search follows (not for a ``nested`` price sample): each row's ``k``, ``2k``, ...
    best columns until feasible or all allowed pairs are in (then the caller diagnoses).
    """
    n, m = mat.shape
    # Many identical columns (reviewers with the same expertise): exact prices from the merged problem.
    prices = class_prices(mat, forb, cap, dem) if not nested and not low.any() else None
    if prices is None:
        prices = _estimate_prices(mat, forb, cap, dem, k, nested=nested)
    if prices is not None and not fixed_k:
        k = max(k, _PRICED_PER_DEMAND * int(dem.max(initial=0)) + 1)  # estimated prices: a wider margin
    all_rows = np.arange(n, dtype=np.int64)
    keys = _best_at_prices(mat, forb, cap, prices, all_rows, k)
    if not low.any():
        per_row = np.full(n, min(k, m), dtype=np.int64)
        while True:
            short = _short_rows(keys // m, keys % m, n, m, dem, cap)
            grow = short[per_row[short] < m]
            if grow.size == 0:
                break
            per_row[grow] = np.minimum(2 * per_row[grow], m)
            more = [
                _best_at_prices(mat, forb, cap, prices, grow[per_row[grow] == size], int(size))
                for size in np.unique(per_row[grow])
            ]
            keys = np.union1d(keys, np.concatenate(more))
    # Estimated prices miss by a little: one wider first pricing pass usually saves a whole re-solve.
    near = _NEAR_SHARE * float(mat.max() - mat.min()) if prices is not None and mat.size else 0.0
    sol, keys, positive = _column_generation(
        mat, forb, cap, dem, low, partial, keys, k, near, max_solves=_SAMPLE_SOLVES if nested else None
    )
    while sol is None and not nested and k < m:
        k = min(m, 2 * k)
        rows, cols = _top_candidates(mat, forb, cap, k)
        keys = np.unique(rows * m + cols)
        sol, keys, positive = _column_generation(mat, forb, cap, dem, low, partial, keys, k)
    return sol, keys, positive
