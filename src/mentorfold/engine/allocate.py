"""Grant budget allocation as a mixed-integer program (HiGHS via scipy.optimize.milp).

Given calibrated merit, requested amounts and a budget, choose who is funded and how much, respecting minimum
and maximum awards, whole-unit (or `step`) amounts and floors such as "at least 5 first-year students".
Every application gets a short reason a coordinator can read back to an applicant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .allocate_model import (
    Allocation,
    Floor,
    InfeasibleAllocation,
    SolverInput,
    _as_float_vector,
    _Box,
    _fix_box,
    _greedy_incumbent,
    _initial_box,
    _model,
    _money,
    _objective,
    _units_from_x,
    _validate_floors,
)

__all__ = [
    "Allocation",
    "Floor",
    "InfeasibleAllocation",
    "allocation_violations",
    "budget",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Relative weight of the tie-break nudge toward higher-ranked applications: too small to change a real
# optimum. It sits below HiGHS's tolerances, so exact ties are settled afterwards by _prefer_lower_index.
_TIE_EPS = 1e-9
# Applications nearest the margin solved exactly to find a strong incumbent before fixing the rest.
_CORE_SIZE = 200
# The core search stops after this many branch-and-bound nodes, not after a wall-clock time: a time limit
# would make the incumbent, and so the final awards, depend on the machine's speed and load.
_CORE_NODE_LIMIT = 500


def _milp(
    prob: SolverInput,
    box: _Box,
    idx: IntArray,
    time_limit: float,
    mip_rel_gap: float,
    node_limit: int | None = None,
) -> Any:
    c, lb, ub, a_ub, b_ub = _model(prob, box, idx)
    options: dict[str, Any] = {
        "time_limit": time_limit,
        "mip_rel_gap": mip_rel_gap,
        "disp": False,
        # HiGHS presolve is very slow on a dense budget row with thousands of columns.
        "presolve": idx.size <= 2000,
    }
    if node_limit is not None:
        options["node_limit"] = node_limit
    return milp(
        c,
        integrality=np.ones(c.size),
        bounds=Bounds(lb, ub),
        constraints=LinearConstraint(a_ub, -np.inf, b_ub),
        options=options,
    )


def _n_undecided(prob: SolverInput, box: _Box) -> int:
    return int(((box.y_lo != box.y_hi) & (prob.hi > 0)).sum())


@dataclass(frozen=True, eq=False)
class _Solved:
    units: IntArray | None  # None: infeasible
    status: str
    gap: float
    price: float  # LP shadow price of one budget unit (nan if unknown)
    floor_prices: FloatArray  # LP shadow price of one more award per floor


def _solve_units(prob: SolverInput, *, time_limit: float, mip_rel_gap: float) -> _Solved:
    """Exact solve: LP duals -> Lagrangian bound -> incumbent on a small core -> fix -> HiGHS on the rest.

    For any duals ``pi >= 0`` (budget) and ``mu >= 0`` (floors) every feasible allocation x satisfies
    ``z(x) <= UB - sum_i deficit_i(x_i)``, where UB is the Lagrangian bound and deficit_i >= 0 is what
    application i loses against its own best choice at those prices. An allocation better than a known
    incumbent z_inc therefore has every ``deficit_i < UB - z_inc``, which fixes most applications (and
    tightens the others' amounts) before the MILP sees them.
    """
    price, floor_price = float("nan"), np.zeros(len(prob.floors))
    infeasible = _Solved(None, "infeasible", float("nan"), price, floor_price)
    n = prob.hi.size
    box = _initial_box(prob)
    eligible_idx = np.flatnonzero(prob.hi > 0).astype(np.int64)
    if eligible_idx.size == 0:
        if any(k > 0 for _, k in prob.floors):
            return infeasible
        return _Solved(np.zeros(n, dtype=np.int64), "optimal", 0.0, price, floor_price)
    c, lb, ub, a_ub, b_ub = _model(prob, box, eligible_idx)
    lp = linprog(
        c, A_ub=a_ub, b_ub=b_ub, bounds=np.column_stack([lb, ub]), method="highs", options={"presolve": False}
    )
    if lp.status == 2:
        return infeasible
    incumbent: IntArray | None = None
    upper = float("inf")
    if lp.status == 0:
        duals = -np.asarray(lp.ineqlin.marginals)  # >= 0 for a maximisation
        n_pre = 2 * eligible_idx.size if prob.partial else 0
        price = max(float(duals[n_pre]), 0.0)
        floor_bonus = np.zeros(n)
        floor_price = np.maximum(duals[n_pre + 1 :], 0.0)
        for (members, _), mu in zip(prob.floors, floor_price, strict=True):
            floor_bonus[members] += mu
        margin = prob.value - price  # per unit, at the budget price
        best_u = np.where(margin > 0, prob.hi, prob.lo) if prob.partial else prob.hi
        gain = margin * best_u + prob.tie_funded + floor_bonus  # app's best funded contribution
        gain[prob.hi <= 0] = -np.inf
        upper = (
            price * prob.budget_units
            - float(floor_price @ [k for _, k in prob.floors])
            + float(np.maximum(gain, 0.0)[prob.hi > 0].sum())
        )

        # Incumbent: LP rounded down outside a small core near the margin, exact MILP inside it.
        u_lp = np.zeros(n)
        m = eligible_idx.size
        u_lp[eligible_idx] = lp.x[m:] if prob.partial else lp.x * prob.hi[eligible_idx]
        start = np.floor(u_lp + 1e-7).astype(np.int64)
        start = np.where(start >= np.where(prob.partial, prob.lo, prob.hi), start, 0)
        if not prob.partial:
            start = np.where(u_lp >= prob.hi - 1e-7, prob.hi, 0)
        start[prob.hi <= 0] = 0
        incumbent = _greedy_incumbent(prob, start)
        fixed_box = None
        if incumbent is not None:
            fixed_box = _fix_box(prob, box, upper - _objective(prob, incumbent), gain, margin, best_u)
        # Applications whose funded flag is still open make the MILP hard; trimmed-award ranges do not.
        if fixed_box is None or _n_undecided(prob, fixed_box) > _CORE_SIZE:
            # The greedy incumbent is too weak to fix enough: solve the applications nearest the margin
            # exactly (others held at the incumbent) for a stronger one.
            closeness = np.abs(gain)
            core = np.sort(np.argsort(closeness, kind="stable")[: min(_CORE_SIZE, eligible_idx.size)]).astype(
                np.int64
            )
            held = incumbent if incumbent is not None else start
            core_box = _Box(
                y_lo=(held > 0).astype(np.int64),
                y_hi=(held > 0).astype(np.int64),
                u_lo=held.copy(),
                u_hi=held.copy(),
            )
            core_box.y_lo[core], core_box.y_hi[core] = box.y_lo[core], box.y_hi[core]
            core_box.u_lo[core], core_box.u_hi[core] = box.u_lo[core], box.u_hi[core]
            res = _milp(prob, core_box, core, time_limit, mip_rel_gap, node_limit=_CORE_NODE_LIMIT)
            if res.x is not None:
                candidate = held.copy()
                candidate[core] = _units_from_x(prob, core, res.x)
                if incumbent is None or _objective(prob, candidate) > _objective(prob, incumbent):
                    incumbent = candidate
                    fixed_box = _fix_box(prob, box, upper - _objective(prob, incumbent), gain, margin, best_u)
        if fixed_box is not None:
            box = fixed_box
    free = np.flatnonzero(~box.is_constant() & (prob.hi > 0)).astype(np.int64)
    units = box.constant_units()
    status, gap = "optimal", 0.0
    if free.size:
        # mip_rel_gap is relative to the whole objective; HiGHS sees only the free part, so scale its gap by
        # (constant part + bound on free part) / bound on free part.
        in_free = np.zeros(n, dtype=bool)
        in_free[free] = True
        budget_free = prob.budget_units - int(units[~in_free].sum())
        free_bound = min(
            float(prob.value[free] @ box.u_hi[free]),
            float(prob.value[free].max()) * max(budget_free, 0),
        ) + float(prob.tie_funded[free].sum())
        const_value = _objective(prob, units)
        sub_gap = mip_rel_gap
        if free_bound > 0 and mip_rel_gap > 0:
            sub_gap = min(mip_rel_gap * (const_value + free_bound) / free_bound, 1e-2)
        res = _milp(prob, box, free, time_limit, sub_gap)
        if res.status == 2:
            return infeasible
        status = "optimal" if res.status == 0 else "time_limit"
        if res.x is not None:
            units[free] = _units_from_x(prob, free, res.x)
            abs_gap = float(getattr(res, "mip_gap", 0.0) or 0.0) * abs(float(res.fun))
            gap = abs_gap / max(abs(_objective(prob, units)), 1e-12)
        elif incumbent is None:
            raise RuntimeError(f"HiGHS found no feasible allocation: {res.message} (raise time_limit).")
        else:
            gap = float("inf")
        # Stopped early: the incumbent found before the MILP may be better than what HiGHS returned.
        if (
            status != "optimal"
            and incumbent is not None
            and (res.x is None or _objective(prob, incumbent) > _objective(prob, units))
        ):
            units = incumbent.copy()
        if status != "optimal" and np.isfinite(upper):
            value = _objective(prob, units)
            gap = min(gap, max(upper - value, 0.0) / max(abs(value), 1e-12))
    elif sum(k for _, k in prob.floors) and any(int((units[mm] > 0).sum()) < k for mm, k in prob.floors):
        return infeasible
    return _Solved(units, status, gap, price, floor_price)


def _prefer_lower_index(amounts: IntArray, keys: list[npt.NDArray[Any]]) -> IntArray:
    """Among applications identical in every key, give the larger awards to the lower indices.

    Swapping awards between indistinguishable applications keeps feasibility and the objective, so this
    makes exact ties resolve the same documented way whatever path the solver took.
    """
    n = amounts.size
    order = np.lexsort((np.arange(n), *[np.asarray(k) for k in reversed(keys)]))
    out = amounts.copy()
    stacked = np.column_stack([np.asarray(k, dtype=np.float64) for k in keys])[order]
    starts = np.flatnonzero(np.r_[True, np.any(stacked[1:] != stacked[:-1], axis=1)])
    for group in np.split(order, starts[1:]):
        if group.size > 1:
            out[group] = np.sort(amounts[group])[::-1]
    return out


def budget(
    requests: npt.ArrayLike,
    scores: npt.ArrayLike,
    budget: float,
    min_award: float,
    max_award: float,
    partial: bool = True,
    floors: Sequence[Floor] | None = None,
    *,
    need: npt.ArrayLike | None = None,
    step: int = 1,
    time_limit: float = 10.0,
    mip_rel_gap: float = 1e-6,
) -> Allocation:
    """Choose awards that maximise merit-weighted fraction of need met, within the budget.

    Parameters
    ----------
    requests : array_like of float, shape (n,)
        Amount each application asks for, > 0.
    scores : array_like of float, shape (n,)
        Calibrated merit (e.g. ``Calibration.merit``), >= 0 — use the rubric's scale, not z-scores.
    budget : float
        Total money available, >= 0.
    min_award, max_award : float
        Every award is 0 or within ``[min_award, max_award]``; ``0 <= min_award <= max_award``.
    partial : bool, default True
        If False an application is funded at ``min(request, max_award)`` or not at all.
    floors : sequence of Floor, optional
        Groups that must receive at least ``min_count`` awards.
    need : array_like of float, shape (n,), optional
        Need weight per application, >= 0 (default 1).
    step : int, default 1
        Awards are multiples of `step` currency units (e.g. 50). Bounds are rounded inward: the minimum up
        and the maximum/request down to a multiple of `step`.
    time_limit : float, default 10.0
        Wall-clock limit in seconds for each HiGHS solve; on hitting it the best allocation found so far
        is returned with status "time_limit" and its `mip_gap`.
    mip_rel_gap : float, default 1e-6
        Stop when the objective is provably within this fraction of the optimum (relative to the whole
        objective).

    Returns
    -------
    Allocation

    Raises
    ------
    InfeasibleAllocation
        When the floors cannot be met: too few eligible members, or the cheapest way to meet them exceeds
        the budget (the message names the floor and the numbers).
    ValueError
        On length mismatch, NaN, a non-positive request, a negative score/need/budget/award, ``min_award >
        max_award``, a bad `step`, or a floor member index out of range.
    RuntimeError
        If HiGHS stops without any feasible solution (e.g. time limit too short).

    Notes
    -----
    Variables: ``y_i`` in {0, 1} (funded) and, if partial, integer ``u_i`` (award = ``step * u_i``) with
    ``lo_i y_i <= u_i <= hi_i y_i`` where ``lo = ceil(min_award/step)``, ``hi = floor(min(max_award,
    request)/step)``; without partial awards ``amount_i = step * hi_i * y_i``. An application with
    ``hi_i < lo_i`` (request below the minimum award) is ineligible. Constraints: ``sum amount <= budget``
    and ``sum_{i in floor} y_i >= min_count``.

    Objective: maximise ``sum score_i * need_i * amount_i / request_i`` — each application contributes its
    merit times the fraction of its request that is met. Maximising merit-weighted dollars instead would
    value a $10,000 request ten times a $1,000 one of equal merit, biasing money toward big requests; here
    meeting every applicant's need counts alike, scaled by merit. A tie-break of relative size 1e-9 favours
    higher-ranked applications, and afterwards applications identical in request, score, need and floor
    membership are given their awards in index order, so exact ties always resolve to the lower index.
    HiGHS itself is deterministic for identical input.

    Solution method (exact up to `mip_rel_gap`): HiGHS alone stalls on this model at 10,000 applications
    (its presolve is very slow on the dense budget row, and proving optimality of a 10,000-item knapsack
    takes minutes), so we (1) solve the LP relaxation without presolve and read the shadow prices of the
    budget and floors; (2) build a feasible allocation greedily from the rounded LP (plus a swap that trims
    marginal awards to open one more minimum award), and if that is not close enough, re-solve the ~200
    applications nearest the margin exactly with the rest held; (3) using the Lagrangian bound at those
    prices, fix every application whose status cannot change in any better allocation and narrow the
    amounts of the rest; (4) hand the remaining few hundred decisions to HiGHS. Step (3) is a proof, not a
    heuristic: an application is fixed only if changing it would cost more than the gap between the bound
    and the known allocation.

    Complexity: NP-hard in general (knapsack with minimum awards); in practice O(n log n) work plus an LP
    and a small MILP — 10,000 applications in 1-3 s (benchmarks/grants_engine_bench.py). Memory O(n).
    Several tightly binding floors with ``partial=False`` can make the final proof outlast `time_limit`
    (seen: 10,000 applications, five floors of 200 awards among 500 members each); the best allocation
    is then returned with status "time_limit" and its proven `mip_gap` (there about 5e-6).

    Examples
    --------
    >>> alloc = budget([5000, 3000, 4000], [4.5, 4.0, 3.0], budget=9000, min_award=1000, max_award=5000)
    >>> alloc.amounts.tolist(), alloc.total
    ([5000, 3000, 1000], 9000)
    >>> alloc.reasons[2]
    'partial award $1,000 of $4,000 requested: budget exhausted at the margin (merit rank 3)'
    """
    req = _as_float_vector(requests, "requests", None)
    n = req.size
    if n == 0:
        raise ValueError("requests: no applications given.")
    sc = _as_float_vector(scores, "scores", n)
    nd = np.ones(n) if need is None else _as_float_vector(need, "need", n)
    if np.any(req <= 0):
        raise ValueError(
            f"requests: application {int(np.flatnonzero(req <= 0)[0])} requests a non-positive amount; requests must be > 0."
        )
    if np.any(sc < 0):
        raise ValueError(
            f"scores: application {int(np.flatnonzero(sc < 0)[0])} has a negative score; pass merit on the "
            "rubric's non-negative scale (e.g. Calibration.merit), not z-scores."
        )
    if np.any(nd < 0):
        raise ValueError(f"need: application {int(np.flatnonzero(nd < 0)[0])} has a negative need weight.")
    for label, value in (("budget", budget), ("min_award", min_award), ("max_award", max_award)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{label}: must be a finite amount >= 0, got {value!r}.")
    if min_award > max_award:
        raise ValueError(
            f"min_award ({_money(min_award)}) is above max_award ({_money(max_award)}); swap or fix them."
        )
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 1:
        raise ValueError(f"step: must be a positive integer number of currency units, got {step!r}.")
    if not (time_limit > 0) or not (mip_rel_gap >= 0):
        raise ValueError("time_limit must be > 0 and mip_rel_gap >= 0.")
    floor_list = _validate_floors(floors, n)

    step = int(step)
    lo = max(int(np.ceil(min_award / step - 1e-9)), 1)  # an award of 0 means "not funded"
    hi = np.floor(np.minimum(req, max_award) / step + 1e-9).astype(np.int64)
    eligible = hi >= lo
    budget_units = int(np.floor(budget / step + 1e-9))
    cheapest = (np.full(n, lo) if partial else hi).astype(np.int64) * step

    for name, members, min_count in floor_list:
        ok = members[eligible[members]]
        if ok.size < min_count:
            raise InfeasibleAllocation(
                f"Floor {name!r} needs {min_count} awards but only {ok.size} of its {members.size} members are "
                f"eligible (request at least the {_money(min_award)} minimum award); lower the floor or widen the group."
            )
        need_cost = int(np.sort(cheapest[ok])[:min_count].sum())
        if need_cost > budget:
            what = (
                f"{min_count} awards × {_money(lo * step)} minimum"
                if partial
                else f"its {min_count} smallest full awards"
            )
            raise InfeasibleAllocation(
                f"Floor {name!r} needs {what} = {_money(need_cost)} but the budget is {_money(budget)}; "
                "raise the budget, lower the minimum award or lower the floor."
            )

    rank_order = np.lexsort((np.arange(n), -sc))
    merit_rank = np.empty(n, dtype=np.int64)
    merit_rank[rank_order] = np.arange(1, n + 1)
    value_per_unit = sc * nd * step / req  # objective value of one `step` of money
    scale = float(value_per_unit.max()) if value_per_unit.max() > 0 else 1.0
    tie = _TIE_EPS * scale * (n - merit_rank + 1) / n
    # Zero-value applications (score or need 0) get a negative nudge: funded only if a floor needs them.
    tie = np.where(value_per_unit > 0, tie, -tie)

    solved = _solve_units(
        SolverInput(
            value=value_per_unit + tie,
            tie_funded=tie,
            lo=np.where(partial, lo, hi).astype(np.int64),
            hi=np.where(eligible, hi, 0).astype(np.int64),
            partial=partial,
            budget_units=budget_units,
            floors=[(m, k) for _, m, k in floor_list],
        ),
        time_limit=float(time_limit),
        mip_rel_gap=float(mip_rel_gap),
    )
    if solved.units is None:
        names = ", ".join(repr(name) for name, _, _ in floor_list)
        raise InfeasibleAllocation(
            f"Floors {names} cannot all be met together with a budget of {_money(budget)} and awards of "
            f"{_money(lo * step)}-{_money(max_award)}; raise the budget or lower a floor."
        )
    amounts = _prefer_lower_index(
        (solved.units * step).astype(np.int64),
        [req, sc, nd, *[np.isin(np.arange(n), m) for _, m, _ in floor_list]],
    )
    funded = amounts > 0
    status, gap = solved.status, solved.gap
    # An award is "for the floor" when the floor binds (positive shadow price) and the application's own
    # merit per dollar is below the budget's shadow price: without the floor that money would go elsewhere.
    floor_name: list[str | None] = [None] * n
    below_price = value_per_unit < solved.price * (1 - 1e-9)
    for (name, members, _), mu in zip(floor_list, solved.floor_prices, strict=True):
        if mu > 1e-12:
            for i in members[funded[members] & below_price[members]]:
                floor_name[int(i)] = floor_name[int(i)] or name
    objective = float((sc * nd * amounts / req).sum())
    total = int(amounts.sum())
    left = budget - total
    reasons: list[str] = []
    codes: list[str] = []
    for i in range(n):
        r = int(merit_rank[i])
        a = int(amounts[i])
        full = int(hi[i]) * step
        if not eligible[i]:
            codes.append("ineligible_below_min")
            reasons.append(f"not funded: request {_money(req[i])} below minimum award {_money(lo * step)}")
        elif funded[i] and floor_name[i] is not None:
            codes.append("funded_floor")
            reasons.append(f"funded {_money(a)} to satisfy floor {floor_name[i]!r} (merit rank {r})")
        elif funded[i] and a >= full and full >= req[i]:
            codes.append("funded_full")
            reasons.append(f"funded in full at {_money(a)} (merit rank {r})")
        elif funded[i] and a >= full and max_award < req[i]:
            codes.append("funded_capped")
            reasons.append(
                f"funded at the maximum award {_money(a)} of {_money(req[i])} requested (merit rank {r})"
            )
        elif funded[i] and a >= full:
            codes.append("funded_rounded")
            reasons.append(
                f"funded at {_money(a)}: request {_money(req[i])} rounded down to a multiple of {_money(step)} "
                f"(merit rank {r})"
            )
        elif funded[i]:
            codes.append("funded_partial")
            reasons.append(
                f"partial award {_money(a)} of {_money(req[i])} requested: budget exhausted at the margin "
                f"(merit rank {r})"
            )
        elif value_per_unit[i] <= 0:
            codes.append("not_funded_zero_value")
            reasons.append(f"not funded: zero merit or need weight (merit rank {r})")
        else:
            codes.append("not_funded_budget")
            reasons.append(
                f"not funded: merit rank {r} below the line and budget spent ({_money(left)} left, "
                f"smallest possible award {_money(cheapest[i])})"
            )
    return Allocation(
        amounts=amounts,
        funded=funded,
        total=total,
        objective=objective,
        status=status,
        mip_gap=gap,
        reasons=tuple(reasons),
        reason_codes=tuple(codes),
        merit_rank=merit_rank,
    )


def allocation_violations(
    amounts: npt.ArrayLike,
    requests: npt.ArrayLike,
    budget: float,
    min_award: float,
    max_award: float,
    partial: bool = True,
    floors: Sequence[Floor] | None = None,
    *,
    step: int = 1,
) -> list[str]:
    """List every rule an allocation breaks; empty for a feasible allocation.

    Parameters
    ----------
    amounts : array_like of int, shape (n,)
        Awards to check (0 = not funded).
    requests, budget, min_award, max_award, partial, floors, step
        As for `budget`.

    Returns
    -------
    list of str
        Human-readable violations.

    Raises
    ------
    ValueError
        On a length mismatch.

    Notes
    -----
    Complexity O(n + total floor members).

    Examples
    --------
    >>> allocation_violations([5000, 0], [5000, 3000], budget=4000, min_award=1000, max_award=5000)
    ['total $5,000 exceeds budget $4,000']
    """
    amt = np.asarray(amounts, dtype=np.float64)
    req = np.asarray(requests, dtype=np.float64)
    if amt.shape != req.shape:
        raise ValueError(f"amounts and requests: length mismatch ({amt.size} vs {req.size}).")
    out: list[str] = []
    if amt.sum() > budget + 1e-9:
        out.append(f"total {_money(amt.sum())} exceeds budget {_money(budget)}")
    cap = np.floor(np.minimum(req, max_award) / step + 1e-9) * step
    for i in np.flatnonzero(amt != 0):
        a = amt[i]
        if a % step:
            out.append(f"application {i}: {_money(a)} is not a multiple of {step}")
        if a < min_award or a > cap[i]:
            out.append(f"application {i}: {_money(a)} outside [{_money(min_award)}, {_money(cap[i])}]")
        if not partial and a != cap[i]:
            out.append(f"application {i}: {_money(a)} is not the full award {_money(cap[i])}")
    for fl in floors or ():
        got = int((amt[np.asarray(fl.members, dtype=np.int64)] > 0).sum())
        if got < fl.min_count:
            out.append(f"floor {fl.name!r}: {got} funded, needs {fl.min_count}")
    return out
