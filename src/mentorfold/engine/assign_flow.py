"""The min-cost flow behind :mod:`assign`: integer scaling, the OR-Tools solve, dual potentials, diagnosis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .assign_types import BoolArray, FloatArray, InfeasibleAssignment, IntArray


@dataclass(frozen=True)
class _FlowResult:
    chosen: BoolArray  # per candidate pair
    u: FloatArray
    p: FloatArray
    lam: float


def _cost_scale(max_abs: float, n_nodes: int, total_flow: int) -> float:
    # OR-Tools' cost scaling multiplies costs by about n_nodes and sums cost * flow in
    # int64; keep max|cost| * n_nodes * total_flow below 2**61, and the potentials
    # (at most n_nodes * max|cost|) exactly representable in float64 (< 2**53).
    limit = min(2.0**61 / ((n_nodes + 2.0) * (total_flow + 2.0)), 2.0**52 / (n_nodes + 2.0), 2.0**40)
    return limit / max(max_abs, 1e-300) if max_abs > 0 else 1.0


def _potentials(n_nodes: int, tail: IntArray, head: IntArray, cost: IntArray) -> IntArray:
    """Shortest-path distances from a virtual source joined to every node (cost 0).

    Bellman-Ford restricted to the nodes whose distance changed in the previous pass
    (vectorised SPFA). The residual graph of an optimal flow has no negative cycle.
    """
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    indptr = np.searchsorted(tail, np.arange(n_nodes + 1))
    dist = np.zeros(n_nodes, dtype=np.int64)
    frontier = np.arange(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return dist
        arcs = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
        h = head[arcs]
        cand = dist[tail[arcs]] + cost[arcs]
        better = cand < dist[h]
        if not better.any():
            return dist
        np.minimum.at(dist, h[better], cand[better])
        changed = np.zeros(n_nodes, dtype=bool)
        changed[h[better]] = True
        frontier = np.flatnonzero(changed)
    raise RuntimeError("negative cycle in the residual graph: the flow was not optimal")


def _min_cost_flows(
    tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray, supplies: IntArray
) -> IntArray | None:
    """Flow on each arc of an optimal min-cost flow (OR-Tools), or None when the supplies cannot be met."""
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    solver.set_nodes_supplies(np.arange(supplies.shape[0]), supplies)
    status = solver.solve()
    if status == solver.INFEASIBLE:
        return None
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return np.asarray(solver.flows(np.arange(tails.shape[0])), dtype=np.int64)


def _residual_distances(
    n_nodes: int, tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray, flows: IntArray
) -> FloatArray:
    """Shortest-path distances (:func:`_potentials`) in the residual graph of an optimal flow."""
    fwd, bwd = flows < caps, flows > 0
    return _potentials(
        n_nodes,
        np.concatenate((tails[fwd], heads[bwd])),
        np.concatenate((heads[fwd], tails[bwd])),
        np.concatenate((costs[fwd], -costs[bwd])),
    ).astype(np.float64)


def _solve_flow(
    rows: IntArray,
    cols: IntArray,
    vals: FloatArray,
    n: int,
    m: int,
    demand: IntArray,
    cap: IntArray,
    low: IntArray,
    partial: bool,
) -> _FlowResult | None:
    """Max-score flow on the candidate pairs; None when infeasible.

    Nodes: rows 0..n-1, columns n..n+m-1, source s, sink t. Arcs s->i (demand_i),
    i->j (1, cost -score), j->t (cap_j - low_j, lower bound moved into supplies) and,
    in partial mode, a bypass s->t so rows may stay short.
    """
    s, t = n + m, n + m + 1
    n_nodes = n + m + 2
    total = int(demand.sum())
    n_pairs = rows.shape[0]
    tails = np.concatenate((np.full(n, s), rows, n + np.arange(m), [s])).astype(np.int64)
    heads = np.concatenate((np.arange(n), n + cols, np.full(m, t), [t])).astype(np.int64)
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[s] = total
    supplies[n : n + m] = -low
    supplies[t] = -(total - int(low.sum()))
    scale = _cost_scale(float(np.abs(vals).max()) if n_pairs else 0.0, n_nodes, total)
    pair_cost = -np.round(vals * scale).astype(np.int64)

    def run(bypass: int, phase_one: bool) -> tuple[IntArray, IntArray] | None:
        caps = np.concatenate((demand, np.ones(n_pairs, np.int64), cap - low, [bypass]))
        if phase_one:
            costs = np.concatenate((np.full(n, -1), np.zeros(n_pairs + m + 1))).astype(np.int64)
        else:
            costs = np.concatenate((np.zeros(n), pair_cost, np.zeros(m + 1))).astype(np.int64)
        flows = _min_cost_flows(tails, heads, caps, costs, supplies)
        return None if flows is None else (flows, caps)

    if np.any(cap < low):
        return None
    if partial:
        first = run(total, True)
        if first is None:
            return None
        k = int(first[0][:n].sum())
        solved = run(total - k, False)
    else:
        solved = run(0, False)
    if solved is None:
        return None
    flows, caps = solved
    costs = np.concatenate((np.zeros(n), pair_cost, np.zeros(m + 1))).astype(np.int64)
    dist = _residual_distances(n_nodes, tails, heads, caps, costs, flows)
    p = (dist[t] - dist[n : n + m]) / scale
    if partial:
        u = np.maximum(dist[:n] - dist[s], 0.0) / scale
        lam = float((dist[s] - dist[t]) / scale)
    else:
        u = (dist[:n] - dist[t]) / scale
        lam = 0.0
        p, u = _tighten(rows, vals, cols, p, u, demand, low)
    return _FlowResult(chosen=flows[n : n + n_pairs] > 0, u=u, p=p, lam=lam)


def _tighten(
    rows: IntArray,
    vals: FloatArray,
    cols: IntArray,
    p: FloatArray,
    u: FloatArray,
    demand: IntArray,
    low: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """Potentials with the same or a lower certificate bound, and meaningful where the flow left them free.

    Shortest paths give a column that no candidate pair uses an arbitrary negative potential, which makes
    pricing report every pair of that column as a violation. Raising ``p_j`` to 0 where ``min_load_j`` is 0
    never raises the bound (its capacity term is unchanged, reduced scores only fall); then each row's
    potential becomes its ``demand``-th best ``score - p`` among the candidates, which minimises the row's
    share of the bound over the candidates. So the bound stays equal to the optimum of the candidate problem.
    """
    p = np.where(low == 0, np.maximum(p, 0.0), p)
    if rows.size == 0:
        return p, u
    red = vals - p[cols]
    order = np.lexsort((-red, rows))
    counts = np.bincount(rows, minlength=u.shape[0])
    starts = np.cumsum(counts) - counts
    ok = (demand >= 1) & (counts >= demand)
    i = np.flatnonzero(ok)
    u = u.copy()
    u[i] = red[order[starts[i] + demand[i] - 1]]
    return p, u


def _diagnose(
    rows: IntArray,
    cols: IntArray,
    vals: FloatArray,
    n: int,
    m: int,
    dem: IntArray,
    cap: IntArray,
    low: IntArray,
) -> NoReturn:
    """Raise InfeasibleAssignment naming the rows left short by a max-cardinality flow."""
    sol = _solve_flow(rows, cols, vals, n, m, dem, cap, low, partial=True)
    if sol is None:
        cols_low = np.flatnonzero(low > 0)
        raise InfeasibleAssignment(
            f"the min_load of columns {cols_low[:20].tolist()} cannot all be met together; "
            "lower min_load or allow more pairs",
            columns=cols_low,
        )
    got = np.bincount(rows[sol.chosen], minlength=n)
    short = np.flatnonzero(got < dem)
    load = np.bincount(cols[sol.chosen], minlength=m)
    near = np.unique(cols[np.isin(rows, short)])
    full = near[load[near] >= cap[near]]
    raise InfeasibleAssignment(
        f"rows {short[:20].tolist()}{' ...' if short.size > 20 else ''} cannot all get their "
        f"demand: the columns they may use ({full[:20].tolist()}) are full; add capacity, "
        "allow more pairs, or pass allow_partial=True",
        rows=short,
        columns=full,
    )


def _short_rows(
    rows: IntArray,
    cols: IntArray,
    n: int,
    m: int,
    dem: IntArray,
    cap: IntArray,
    pair_cap: IntArray | None = None,
) -> IntArray:
    """Rows that a maximum flow over the candidate pairs leaves below their demand (min_load ignored).

    Each pair carries one unit, or ``pair_cap`` units (merged columns, :mod:`assign_classes`).

    A max flow (no costs) takes milliseconds where the min-cost flow takes most of a second, so candidate
    sets are made feasible with it before the costly solve.
    """
    s, t = n + m, n + m + 1
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(
        np.concatenate((np.full(n, s), rows, n + np.arange(m))).astype(np.int64),
        np.concatenate((np.arange(n), n + cols, np.full(m, t))).astype(np.int64),
        np.concatenate((dem, np.ones(rows.shape[0], np.int64) if pair_cap is None else pair_cap, cap)).astype(
            np.int64
        ),
    )
    status = solver.solve(s, t)
    if status != solver.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    got = np.asarray(solver.flows(np.arange(n)), dtype=np.int64)
    return np.flatnonzero(got < dem).astype(np.int64)
