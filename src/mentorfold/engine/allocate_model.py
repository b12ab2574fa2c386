"""Grant budget allocation: the problem, its inputs and checks, and the MILP model pieces.

Split out of :mod:`allocate` (which keeps the solve and the public entry points, and re-exports these
names): the result and floor types, input validation, the award-unit problem, bounds boxes, the HiGHS
model matrices, and the greedy incumbent with its fixing rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class InfeasibleAllocation(ValueError):
    """The floors cannot be met with this budget and these award limits."""


@dataclass(frozen=True, eq=False)
class Floor:
    """A minimum number of awards among a group, e.g. ``Floor("rural students", members, 5)``.

    Attributes
    ----------
    name : str
        Shown in reasons and error messages.
    members : numpy.ndarray of int
        Application indices in the group.
    min_count : int
        At least this many members must be funded.
    """

    name: str
    members: IntArray
    min_count: int


@dataclass(frozen=True, eq=False)
class Allocation:
    """Result of `budget`.

    Attributes
    ----------
    amounts : numpy.ndarray of int64, shape (n,)
        Award per application in whole currency units (0 if not funded).
    funded : numpy.ndarray of bool, shape (n,)
    total : int
        ``amounts.sum()``, never above the budget.
    objective : float
        ``sum(score * need * amount / request)`` (without the tie-break term).
    status : str
        "optimal" or "time_limit" (best solution found when the time limit hit; see `mip_gap`).
    mip_gap : float
        Upper bound on ``(best possible - objective) / objective`` (0 for a proven optimum).
    reasons : tuple of str
        One short English sentence per application.
    reason_codes : tuple of str
        Stable machine codes matching `reasons` (for translation): "funded_full", "funded_capped",
        "funded_rounded", "funded_partial", "funded_floor", "not_funded_budget", "not_funded_zero_value",
        "ineligible_below_min".
    merit_rank : numpy.ndarray of int64, shape (n,)
        1-based rank by score (ties by index).
    """

    amounts: IntArray
    funded: BoolArray
    total: int
    objective: float
    status: str
    mip_gap: float
    reasons: tuple[str, ...]
    reason_codes: tuple[str, ...]
    merit_rank: IntArray = field(repr=False)


def _money(x: float) -> str:
    return f"${int(round(x)):,}"


def _as_float_vector(values: Any, name: str, n: int | None) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}.")
    if n is not None and arr.size != n:
        raise ValueError(f"{name}: length mismatch — {arr.size} values for {n} applications.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name}: contains NaN or infinite values at index {int(np.flatnonzero(~np.isfinite(arr))[0])}."
        )
    return arr


def _validate_floors(floors: Sequence[Floor] | None, n: int) -> list[tuple[str, IntArray, int]]:
    out: list[tuple[str, IntArray, int]] = []
    for fl in floors or ():
        if not isinstance(fl, Floor):
            raise ValueError(f"floors: expected Floor objects, got {type(fl).__name__}.")
        members = np.asarray(fl.members)
        if members.ndim != 1 or (members.size and not np.issubdtype(members.dtype, np.integer)):
            raise ValueError(f"Floor {fl.name!r}: members must be a 1-D array of application indices.")
        members = members.astype(np.int64)
        if members.size and (members.min() < 0 or members.max() >= n):
            bad = int(members[(members < 0) | (members >= n)][0])
            raise ValueError(f"Floor {fl.name!r}: member index {bad} is out of range for {n} applications.")
        if np.unique(members).size != members.size:
            raise ValueError(f"Floor {fl.name!r}: members contain duplicates.")
        if isinstance(fl.min_count, bool) or int(fl.min_count) != fl.min_count or fl.min_count < 0:
            raise ValueError(f"Floor {fl.name!r}: min_count must be an integer >= 0, got {fl.min_count!r}.")
        out.append((fl.name, members, int(fl.min_count)))
    return out


@dataclass(frozen=True, eq=False)
class SolverInput:
    """The allocation problem in award units (one unit = `step` currency units).

    ``value[i]`` is the objective per unit awarded to i, ``tie_funded[i]`` a bonus per funded application,
    ``lo[i]..hi[i]`` the allowed award in units when funded (``hi = 0``: ineligible), `floors` pairs of
    (member indices, minimum funded count).
    """

    value: FloatArray
    tie_funded: FloatArray
    lo: IntArray
    hi: IntArray
    partial: bool
    budget_units: int
    floors: list[tuple[IntArray, int]]


@dataclass
class _Box:
    """Per-application bounds on the funded flag y and units u during the solve."""

    y_lo: IntArray
    y_hi: IntArray
    u_lo: IntArray
    u_hi: IntArray

    def is_constant(self) -> BoolArray:
        return np.asarray((self.y_lo == self.y_hi) & ((self.y_hi == 0) | (self.u_lo == self.u_hi)))

    def constant_units(self) -> IntArray:
        return np.where(self.is_constant() & (self.y_hi == 1), self.u_lo, 0).astype(np.int64)


def _initial_box(prob: SolverInput) -> _Box:
    eligible = prob.hi > 0
    u_lo = np.where(eligible, prob.lo, 0).astype(np.int64)
    if not prob.partial:
        u_lo = prob.hi.copy()
    return _Box(
        y_lo=np.zeros(prob.hi.size, dtype=np.int64),
        y_hi=eligible.astype(np.int64),
        u_lo=u_lo,
        u_hi=prob.hi.copy(),
    )


def _model(
    prob: SolverInput, box: _Box, idx: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, sp.csr_matrix, FloatArray]:
    """``min c x  s.t.  A x <= b,  lb <= x <= ub`` over applications `idx`; the rest are constants.

    Variables are ``[y, u]`` (funded flag, units) when partial, else ``y`` alone with ``u = hi * y``.
    Returns (c, lb, ub, A, b).
    """
    m = idx.size
    const_units = box.constant_units()
    in_model = np.zeros(prob.hi.size, dtype=bool)
    in_model[idx] = True
    budget_left = float(prob.budget_units - int(const_units[~in_model].sum()))
    pos = np.full(prob.hi.size, -1, dtype=np.int64)
    pos[idx] = np.arange(m)
    hi = prob.hi[idx].astype(np.float64)
    lo = prob.lo[idx].astype(np.float64)
    y_lb, y_ub = box.y_lo[idx].astype(np.float64), box.y_hi[idx].astype(np.float64)
    if prob.partial:
        c = -np.concatenate([prob.tie_funded[idx], prob.value[idx]])
        lb = np.concatenate([y_lb, np.zeros(m)])
        ub = np.concatenate([y_ub, box.u_hi[idx].astype(np.float64)])
        eye = sp.identity(m, format="csr")
        blocks = [
            sp.hstack([-sp.diags(box.u_hi[idx].astype(np.float64)), eye]),  # u <= u_hi y
            sp.hstack([sp.diags(np.maximum(lo, box.u_lo[idx])), -eye]),  # u >= u_lo y
            sp.hstack([sp.csr_matrix((1, m)), sp.csr_matrix(np.ones((1, m)))]),
        ]
        rhs = [np.zeros(m), np.zeros(m), np.array([budget_left])]
        width = 2 * m
    else:
        c = -(prob.value[idx] * hi + prob.tie_funded[idx])
        lb, ub = y_lb, y_ub
        blocks = [sp.csr_matrix(hi[None, :])]
        rhs = [np.array([budget_left])]
        width = m
    for members, k in prob.floors:
        already = int((const_units[members[~in_model[members]]] > 0).sum())
        cols = pos[members]
        cols = cols[cols >= 0]
        blocks.append(
            sp.csr_matrix(
                (-np.ones(cols.size), (np.zeros(cols.size, dtype=np.int64), cols)), shape=(1, width)
            )
        )
        rhs.append(np.array([-float(k - already)]))
    return c, lb, ub, sp.vstack(blocks, format="csr"), np.concatenate(rhs)


def _units_from_x(prob: SolverInput, idx: IntArray, x: FloatArray) -> IntArray:
    m = idx.size
    if prob.partial:
        y = np.round(x[:m]).astype(bool)
        return np.where(y, np.round(x[m:]), 0).astype(np.int64)
    return np.where(np.round(x).astype(bool), prob.hi[idx], 0).astype(np.int64)


def _objective(prob: SolverInput, units: IntArray) -> float:
    return float(prob.value @ units + prob.tie_funded @ (units > 0))


def _greedy_incumbent(prob: SolverInput, units: IntArray) -> IntArray | None:
    """Repair rounded LP units into a feasible allocation, then spend what is left greedily; None if stuck."""
    units = units.copy()
    n = units.size
    order = np.lexsort((np.arange(n), -prob.value))  # best value per unit first
    for members, k in prob.floors:
        short = k - int((units[members] > 0).sum())
        if short <= 0:
            continue
        cand = members[(units[members] == 0) & (prob.hi[members] > 0)]
        cand = cand[np.argsort(prob.lo[cand], kind="stable")][:short]
        if cand.size < short:
            return None
        units[cand] = prob.lo[cand]
    if units.sum() > prob.budget_units:
        protected = np.zeros(n, dtype=bool)
        for members, _ in prob.floors:
            protected[members] = True
        for i in order[::-1]:
            if units.sum() <= prob.budget_units:
                break
            if units[i] > 0 and not protected[i]:
                units[i] = 0
        if units.sum() > prob.budget_units:
            return None
    left = prob.budget_units - int(units.sum())
    for i in order:
        if left <= 0:
            break
        if prob.value[i] <= 0 and prob.tie_funded[i] <= 0:
            continue
        if units[i] == 0 and prob.hi[i] > 0 and prob.lo[i] <= left:
            add = min(int(prob.hi[i]), left) if prob.partial else int(prob.hi[i])
            units[i] = add
            left -= add
        elif prob.partial and 0 < units[i] < prob.hi[i]:
            add = min(int(prob.hi[i] - units[i]), left)
            units[i] += add
            left -= add
    if prob.partial:
        _exchange_with_donors(prob, units, order)
    return units


def _exchange_with_donors(prob: SolverInput, units: IntArray, order: IntArray, rounds: int = 20) -> None:
    """Fund one more application at its minimum by trimming the least valuable funded awards, while it pays.

    The greedy fill leaves less than a minimum award unspent; the optimum often trims a few units from
    awards at the margin to open one more minimum award. Updates `units` in place.
    """
    for _ in range(rounds):
        left = prob.budget_units - int(units.sum())
        spare = np.where(units > 0, units - prob.lo, 0).clip(0, None)
        donors = np.flatnonzero(spare > 0)
        donors = donors[np.lexsort((donors, prob.value[donors]))]  # cheapest units first
        cum_units = np.cumsum(spare[donors])
        cum_value = np.cumsum(spare[donors] * prob.value[donors])
        best_gain, best = 0.0, -1
        candidates = order[(units[order] == 0) & (prob.hi[order] > 0)][:64]
        for j in candidates:
            extra = int(prob.lo[j]) - left
            if extra <= 0:
                continue
            k = int(np.searchsorted(cum_units, extra))
            if k >= donors.size:
                continue
            before_units = int(cum_units[k - 1]) if k else 0
            before_value = float(cum_value[k - 1]) if k else 0.0
            cost = before_value + (extra - before_units) * float(prob.value[donors[k]])
            gain = float(prob.value[j]) * int(prob.lo[j]) + float(prob.tie_funded[j]) - cost
            if gain > best_gain + 1e-12:
                best_gain, best = gain, int(j)
        if best < 0:
            return
        extra = int(prob.lo[best]) - left
        for d in donors:
            if extra <= 0:
                break
            cut = min(int(spare[d]), extra)
            units[d] -= cut
            extra -= cut
        units[best] = prob.lo[best]


def _fix_box(
    prob: SolverInput, box: _Box, gap: float, gain: FloatArray, margin: FloatArray, best_u: IntArray
) -> _Box:
    """Bounds every allocation better than the incumbent must satisfy (deficit of each app < gap)."""
    slack = max(gap, 0.0) + 1e-9 * max(1.0, abs(float(prob.value @ prob.hi))) + 1e-12
    out = _Box(box.y_lo.copy(), box.y_hi.copy(), box.u_lo.copy(), box.u_hi.copy())
    elig = prob.hi > 0
    unfund = elig & (gain <= 0) & (-gain > slack)
    out.y_hi[unfund] = 0
    out.u_hi[unfund] = 0
    keep = elig & (gain > 0) & (gain > slack)
    out.y_lo[keep] = 1
    if prob.partial:
        up = keep & (best_u == prob.hi) & (margin > 0)
        give = np.floor(slack / np.where(up, margin, 1.0)).clip(0, None)
        out.u_lo[up] = np.maximum(prob.hi[up] - np.minimum(give[up], prob.hi[up]), prob.lo[up]).astype(
            np.int64
        )
        down = keep & (best_u == prob.lo) & (margin < 0)
        take = np.floor(slack / np.where(down, -margin, 1.0)).clip(0, None)
        out.u_hi[down] = np.minimum(
            prob.lo[down] + np.minimum(take[down], prob.hi[down]), prob.hi[down]
        ).astype(np.int64)
    return out
