"""Input checks and helpers of :mod:`assign`: scores, counts, forbidden pairs, allowed blocks."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .assign_types import _CHUNK, BoolArray, FloatArray, Forbidden, IntArray


def _as_score(score: Any) -> tuple[Any, bool]:
    """Return (score, is_sparse); sparse becomes canonical CSR with explicit zeros kept."""
    if sp.issparse(score):
        csr = sp.csr_array(score, dtype=np.float64)
        csr.sum_duplicates()
        csr.sort_indices()
        if csr.ndim != 2:
            raise ValueError("score must be two-dimensional (rows x columns)")
        nan = np.flatnonzero(np.isnan(csr.data))
        if nan.size:
            i = int(np.searchsorted(csr.indptr, nan[0], side="right") - 1)
            j = int(csr.indices[nan[0]])
            raise ValueError(f"score[{i}, {j}] is NaN; give every allowed pair a number")
        if np.isinf(csr.data).any():
            raise ValueError("score contains infinity; give every allowed pair a finite number")
        return csr, True
    arr = np.asarray(score)
    if arr.ndim != 2:
        raise ValueError(f"score must be two-dimensional (rows x columns), got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"score must be numeric, got dtype {arr.dtype}")
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    for r0 in range(0, arr.shape[0], _CHUNK):
        bad = ~np.isfinite(arr[r0 : r0 + _CHUNK])
        if bad.any():
            i, j = np.argwhere(bad)[0]
            what = "NaN" if np.isnan(arr[r0 + i, j]) else "infinite"
            raise ValueError(
                f"score[{r0 + int(i)}, {int(j)}] is {what}; use a finite number, or forbid the pair"
            )
    return arr, False


def _as_counts(values: npt.ArrayLike, length: int, name: str, what: str) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(length, arr)
    if arr.ndim != 1 or arr.shape[0] != length:
        raise ValueError(
            f"{name} has shape {arr.shape} but there are {length} {what}; give one per {what[:-1]}"
        )
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
        if np.isnan(arr).any():
            raise ValueError(f"{name}[{int(np.flatnonzero(np.isnan(arr))[0])}] is NaN")
        if np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold whole numbers")
    out = arr.astype(np.int64)
    neg = np.flatnonzero(out < 0)
    if neg.size:
        k = int(neg[0])
        raise ValueError(f"{name}[{k}] is {int(out[k])}; {name} must be >= 0")
    return out


def _as_forbidden(forbidden: Forbidden, n: int, m: int) -> Any:
    """Forbidden pairs as a canonical boolean CSR (n x m), or None."""
    if forbidden is None:
        return None
    if sp.issparse(forbidden):
        mat = sp.csr_array(forbidden)
        if mat.shape != (n, m):
            raise ValueError(f"forbidden has shape {mat.shape}, expected ({n}, {m}) like score")
        mat.eliminate_zeros()
        rows, cols = mat.nonzero()
    else:
        arr = np.asarray(forbidden) if not isinstance(forbidden, np.ndarray) else forbidden
        if arr.dtype == np.bool_:
            if arr.shape != (n, m):
                raise ValueError(f"forbidden has shape {arr.shape}, expected ({n}, {m}) like score")
            rows, cols = np.nonzero(arr)
        else:
            if arr.dtype == object:
                arr = np.asarray(list(forbidden), dtype=np.int64)  # type: ignore[arg-type]
            if arr.size == 0:
                return None
            if arr.ndim != 2 or arr.shape[1] != 2 or not np.issubdtype(arr.dtype, np.integer):
                raise ValueError("forbidden must be (row, column) integer pairs or a boolean matrix")
            rows, cols = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)
            bad = np.flatnonzero((rows < 0) | (rows >= n) | (cols < 0) | (cols >= m))
            if bad.size:
                k = int(bad[0])
                raise ValueError(
                    f"forbidden pair ({int(rows[k])}, {int(cols[k])}) is out of range for a "
                    f"{n} x {m} score matrix"
                )
    if len(rows) == 0:
        return None
    data = np.ones(len(rows), dtype=bool)
    mat = sp.csr_array((data, (np.asarray(rows), np.asarray(cols))), shape=(n, m))
    mat.sum_duplicates()
    mat.sort_indices()
    return mat


def _forbidden_block(forb: Any, r0: int, r1: int) -> tuple[IntArray, IntArray]:
    """Forbidden (row offset within block, column) pairs for rows r0..r1."""
    if forb is None:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    lo, hi = int(forb.indptr[r0]), int(forb.indptr[r1])
    counts = np.diff(forb.indptr[r0 : r1 + 1])
    rows = np.repeat(np.arange(r1 - r0, dtype=np.int64), counts)
    return rows, forb.indices[lo:hi].astype(np.int64)


def _is_forbidden(forb: Any, rows: IntArray, cols: IntArray) -> BoolArray:
    if forb is None or rows.size == 0:
        return np.zeros(rows.shape[0], dtype=bool)
    m = forb.shape[1]
    fr, fc = forb.nonzero()
    keys = np.sort(fr.astype(np.int64) * m + fc)
    q = rows * m + cols
    pos = np.minimum(np.searchsorted(keys, q), keys.shape[0] - 1)
    return np.asarray(keys[pos] == q)


def _allowed_sparse(score: Any, forb: Any, cap: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    rows = np.repeat(np.arange(score.shape[0], dtype=np.int64), np.diff(score.indptr))
    cols = score.indices.astype(np.int64)
    vals = np.asarray(score.data, dtype=np.float64)
    keep = ~_is_forbidden(forb, rows, cols) & (cap[cols] > 0)
    return rows[keep], cols[keep], vals[keep]


def _dense_block(score: FloatArray, forb: Any, cap: IntArray, r0: int, r1: int) -> FloatArray:
    """Rows r0..r1 of the score with disallowed pairs set to -inf (a copy)."""
    block = np.array(score[r0:r1], dtype=np.float64, copy=True)
    fr, fc = _forbidden_block(forb, r0, r1)
    block[fr, fc] = -np.inf
    block[:, cap == 0] = -np.inf
    return block
