"""Candidate pairs and pricing for :mod:`assign`: which pairs enter the flow, and the proof none is missing."""

from __future__ import annotations

from typing import Any

import numpy as np

from .assign_flow import _cost_scale, _FlowResult, _solve_flow
from .assign_input import _dense_block
from .assign_types import _CHUNK, FloatArray, IntArray


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
) -> tuple[IntArray, IntArray, float]:
    """Scan every allowed pair: return violating pairs to add and sum of max(0, reduced)."""
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
        np.maximum(red, 0.0, out=red)
        positive += float(red.sum())
        lo, hi = np.searchsorted(cand_keys, [r0 * m, r1 * m])
        ck = cand_keys[lo:hi]
        red[ck // m - r0, ck % m] = 0.0
        viol = red > threshold
        if not viol.any():
            continue
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
) -> tuple[_FlowResult | None, IntArray, float]:
    """Solve on candidate ``keys``, add pairs with positive reduced score, repeat.

    The last pricing pass found no violation; its sum of positive reduced scores is
    the final term of the certificate's bound.
    """
    n, m = mat.shape
    n_nodes = n + m + 2
    scale = _cost_scale(
        max(float(mat.max()), -float(mat.min())) if mat.size else 0.0, n_nodes, int(dem.sum())
    )
    while True:
        rows, cols = keys // m, keys % m
        sol = _solve_flow(rows, cols, mat[rows, cols], n, m, dem, cap, low, partial)
        if sol is None:
            return None, keys, 0.0
        if partial and int(sol.chosen.sum()) < int(dem.sum()) and keys.size < n * m:
            # Reduced costs prove the best score for this many pairs, not that no
            # larger assignment exists: settle the cardinality on every allowed pair.
            all_r, all_c = _top_candidates(mat, forb, cap, m)
            widened = np.union1d(keys, all_r * m + all_c)
            if widened.size > keys.size:
                keys = widened
                continue
        add_r, add_c, positive = _pricing(mat, forb, cap, sol, keys, 2.0 / scale, per_row)
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
