"""Many-to-one stable matching (deferred acceptance) and its checkers.

Learners (proposers) rank mentors (receivers) and mentors rank learners; a mentor
takes up to ``capacities[j]`` learners. Everything runs on numpy arrays in a
compressed-row (CSR) preference format so 50,000 learners match in well under a
second; plain lists of lists are accepted too and converted once.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "PreferenceLists",
    "Preferences",
    "blocking_pairs",
    "feasibility_problems",
    "is_feasible",
    "stable_match",
]

IntArray: TypeAlias = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class PreferenceLists:
    """Preference lists in compressed-row form.

    Row ``a`` (a proposer or a receiver) ranks ``indices[indptr[a]:indptr[a + 1]]``,
    most preferred first. This is the layout of ``scipy.sparse.csr_array`` without
    the data array, and the fast input path of :func:`stable_match`.

    Parameters
    ----------
    indptr : numpy.ndarray
        int64 array of length ``n_rows + 1``, ``indptr[0] == 0``, non-decreasing.
    indices : numpy.ndarray
        int64 array of length ``indptr[-1]`` holding indices of the other side.

    Examples
    --------
    >>> p = PreferenceLists.from_lists([[1, 0], [], [0]])
    >>> p.indptr.tolist(), p.indices.tolist()
    ([0, 2, 2, 3], [1, 0, 0])
    >>> p.to_lists()
    [[1, 0], [], [0]]
    """

    indptr: IntArray
    indices: IntArray

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[int]]) -> PreferenceLists:
        """Build the compressed form from a list of preference lists."""
        lengths = np.fromiter((len(row) for row in lists), dtype=np.int64, count=len(lists))
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int64, count=int(indptr[-1]))
        return cls(indptr, indices)

    @property
    def n_rows(self) -> int:
        """Number of preference lists."""
        return int(self.indptr.shape[0] - 1)

    def to_lists(self) -> list[list[int]]:
        """Return the lists as plain Python lists (for display and tests)."""
        flat = self.indices.tolist()
        bounds = self.indptr.tolist()
        return [flat[bounds[a] : bounds[a + 1]] for a in range(self.n_rows)]


Preferences: TypeAlias = "PreferenceLists | tuple[npt.ArrayLike, npt.ArrayLike] | Sequence[Sequence[int]]"


def _as_csr(prefs: Preferences, n_other: int, name: str, other: str) -> PreferenceLists:
    """Convert any accepted preference form to validated int64 CSR."""
    if isinstance(prefs, PreferenceLists):
        indptr, indices = prefs.indptr, prefs.indices
    elif (
        isinstance(prefs, tuple)
        and len(prefs) == 2
        and isinstance(prefs[0], np.ndarray)
        and isinstance(prefs[1], np.ndarray)
    ):
        indptr, indices = prefs[0], prefs[1]
    else:
        try:
            built = PreferenceLists.from_lists(prefs)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(
                f"{name}: expected a list of lists of integer indices or a (indptr, indices) "
                f"tuple of numpy arrays ({exc})"
            ) from exc
        indptr, indices = built.indptr, built.indices
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    if indptr.ndim != 1 or indices.ndim != 1 or indptr.shape[0] < 1:
        raise ValueError(f"{name}: indptr and indices must be one-dimensional, indptr non-empty")
    if indptr.size and not np.issubdtype(indptr.dtype, np.integer):
        raise ValueError(f"{name}: indptr must have an integer dtype, got {indptr.dtype}")
    if indices.size and not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{name}: indices must have an integer dtype, got {indices.dtype}")
    indptr = indptr.astype(np.int64, copy=False)
    indices = indices.astype(np.int64, copy=False)
    if indptr[0] != 0 or indptr[-1] != indices.shape[0] or np.any(np.diff(indptr) < 0):
        raise ValueError(
            f"{name}: indptr must start at 0, be non-decreasing and end at len(indices)={indices.shape[0]}"
        )
    bad = np.flatnonzero((indices < 0) | (indices >= n_other))
    if bad.size:
        pos = int(bad[0])
        row = int(np.searchsorted(indptr, pos, side="right") - 1)
        raise ValueError(
            f"{name}[{row}] contains {other} index {int(indices[pos])}, out of range "
            f"0..{n_other - 1}; use indices of existing {other}s only"
        )
    return PreferenceLists(indptr, indices)


def _as_capacities(capacities: npt.ArrayLike, n_receivers: int) -> IntArray:
    cap = np.asarray(capacities)
    if cap.ndim != 1:
        raise ValueError(f"capacities must be one-dimensional, got shape {cap.shape}")
    if cap.shape[0] != n_receivers:
        raise ValueError(
            f"capacities has length {cap.shape[0]} but receiver_prefs has {n_receivers} lists; "
            "give one capacity per receiver"
        )
    if cap.size and not np.issubdtype(cap.dtype, np.integer):
        if not np.issubdtype(cap.dtype, np.floating):
            raise ValueError(f"capacities must be integers, got dtype {cap.dtype}")
        if np.any(np.isnan(cap)):
            raise ValueError(f"capacities[{int(np.flatnonzero(np.isnan(cap))[0])}] is NaN")
        if np.any(cap != np.round(cap)):
            raise ValueError("capacities must be whole numbers")
    cap = cap.astype(np.int64)
    neg = np.flatnonzero(cap < 0)
    if neg.size:
        j = int(neg[0])
        raise ValueError(f"capacities[{j}] is {int(cap[j])}; capacities must be >= 0")
    return cap


def _row_ids(indptr: IntArray) -> IntArray:
    return np.repeat(np.arange(indptr.shape[0] - 1, dtype=np.int64), np.diff(indptr))


@dataclass(frozen=True)
class _Pairs:
    """Mutually acceptable pairs, sorted by (proposer, receiver)."""

    proposer: IntArray
    receiver: IntArray
    p_rank: IntArray  # position of receiver in the proposer's list
    r_rank: IntArray  # position of proposer in the receiver's list
    p_entry: IntArray  # index into proposer CSR indices
    r_entry: IntArray  # index into receiver CSR indices
    p_keys: IntArray  # all proposer-list entries as proposer * n_r + receiver, sorted
    p_keys_entry: IntArray  # their index into proposer CSR indices
    r_keys: IntArray  # all receiver-list entries as proposer * n_r + receiver, sorted
    r_keys_entry: IntArray  # their index into receiver CSR indices


def _sorted_keys(keys: IntArray, payload: IntArray, bound: int) -> tuple[IntArray, IntArray]:
    """Sort ``keys`` carrying ``payload`` (``0 <= payload < bound``).

    Packs key and payload into one int64 when it fits, because a plain sort is about
    three times faster than an argsort.
    """
    if keys.size == 0:
        return keys, payload
    shift = max(int(bound), 1).bit_length()
    if int(keys.max()) < (1 << (62 - shift)):
        packed = np.sort((keys << shift) | payload)
        return packed >> shift, packed & ((1 << shift) - 1)
    order = np.argsort(keys, kind="stable")
    return keys[order], payload[order]


def _acceptable_pairs(
    p: PreferenceLists, r: PreferenceLists, n_p: int, n_r: int, *, with_lookup: bool = False
) -> _Pairs:
    """Join both sides' lists; raise on duplicates within a list.

    All entries of both sides are sorted once by (proposer, receiver, side): a pair
    ranked by both sides shows up as two neighbours, a duplicate as two neighbours
    from the same side.
    """
    p_rows = _row_ids(p.indptr)
    r_rows = _row_ids(r.indptr)
    nnz_p, nnz_r = p.indices.shape[0], r.indices.shape[0]
    keys = np.concatenate((p_rows * n_r + p.indices, r.indices * n_r + r_rows))
    side_bit = max(nnz_p, nnz_r, 1).bit_length()
    payload = np.concatenate(
        (np.arange(nnz_p, dtype=np.int64), np.arange(nnz_r, dtype=np.int64) | (1 << side_bit))
    )
    keys, payload = _sorted_keys(keys, payload, 1 << (side_bit + 1))
    side = (payload >> side_bit).astype(bool)
    entry = payload & ((1 << side_bit) - 1)
    same = keys[1:] == keys[:-1]
    dup = np.flatnonzero(same & (side[1:] == side[:-1]))
    if dup.size:
        i, j = divmod(int(keys[dup[0]]), n_r)
        if side[dup[0]]:
            raise ValueError(
                f"receiver_prefs[{j}] lists proposer {i} more than once; rank each proposer at most once"
            )
        raise ValueError(
            f"proposer_prefs[{i}] lists receiver {j} more than once; rank each receiver at most once"
        )
    # Proposer entries (side 0) sort before receiver entries (side 1) of the same key.
    hit = np.flatnonzero(same)
    pe = entry[hit]
    re = entry[hit + 1]
    prop = p_rows[pe]
    recv = p.indices[pe]
    empty = np.zeros(0, dtype=np.int64)
    lookups = (empty, empty, empty, empty)
    if with_lookup:
        lookups = (keys[~side], entry[~side], keys[side], entry[side])
    return _Pairs(
        proposer=prop,
        receiver=recv,
        p_rank=pe - p.indptr[prop],
        r_rank=re - r.indptr[recv],
        p_entry=pe,
        r_entry=re,
        p_keys=lookups[0],
        p_keys_entry=lookups[1],
        r_keys=lookups[2],
        r_keys_entry=lookups[3],
    )


def _segment_gather(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenate ``arange(s, s + c)`` for each (s, c) without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(total, dtype=np.int64)


def _compress(mask: IntArray | npt.NDArray[np.bool_], rows: IntArray, n_rows: int) -> IntArray:
    counts = np.bincount(rows[mask], minlength=n_rows)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


# Below this many free proposers a plain loop beats a vectorised round, whose ~40
# numpy calls cost ~0.1 ms however few proposers remain. At 50,000 x 5,000 the last
# 32 free proposers still make ~170 proposals in the loop (~2 us each).
_SEQUENTIAL_BELOW = 32


def _sequential_tail(
    free: IntArray,
    ptr: IntArray,
    end: IntArray,
    f_recv: IntArray,
    f_rank: IntArray,
    slot_rank: IntArray,
    soff: IntArray,
    held: IntArray,
    cap: IntArray,
    threshold: IntArray,
    match: IntArray,
    r: PreferenceLists,
) -> None:
    """Finish deferred acceptance one proposal at a time (same state as the rounds)."""
    stack = free.tolist()
    while stack:
        i = stack.pop()
        e, stop = int(ptr[i]), int(end[i])
        while e < stop:
            j, k = int(f_recv[e]), int(f_rank[e])
            if k >= threshold[j]:
                e += 1
                continue
            base, h, c = int(soff[j]), int(held[j]), int(cap[j])
            match[i] = j
            if h < c:
                slot_rank[base + h] = k
                held[j] = h + 1
                if h + 1 == c:
                    threshold[j] = slot_rank[base : base + c].max()
                break
            block = slot_rank[base : base + c]
            w = int(block.argmax())
            loser = int(r.indices[r.indptr[j] + block[w]])
            block[w] = k
            threshold[j] = block.max()
            match[loser] = -1
            ptr[loser] += 1
            stack.append(loser)
            break
        ptr[i] = e


def _proposer_proposing(
    pairs: _Pairs, p: PreferenceLists, r: PreferenceLists, cap: IntArray, n_p: int, n_r: int
) -> IntArray:
    """Deferred acceptance in simultaneous rounds.

    Every free proposer proposes to its next acceptable receiver at once; each receiver
    keeps its best ``cap`` among held and new proposers. The outcome does not depend
    on the order of proposals, so this equals the sequential proposer-optimal result.
    """
    # Acceptable entries in each proposer's preference order.
    mask = np.zeros(p.indices.shape[0], dtype=bool)
    mask[pairs.p_entry] = True
    rrank_full = np.empty(p.indices.shape[0], dtype=np.int64)
    rrank_full[pairs.p_entry] = pairs.r_rank
    f_recv = p.indices[mask]
    f_rank = rrank_full[mask]
    f_indptr = _compress(mask, _row_ids(p.indptr), n_p)

    n_acc = np.bincount(pairs.receiver, minlength=n_r)
    seats = np.minimum(cap, n_acc)
    soff = np.zeros(n_r + 1, dtype=np.int64)
    np.cumsum(seats, out=soff[1:])
    slot_rank = np.empty(int(soff[-1]), dtype=np.int64)
    held = np.zeros(n_r, dtype=np.int64)
    big = np.int64(r.indices.shape[0] + 1)
    # A proposal with rank >= threshold is refused outright (receiver full of better ones).
    threshold = np.where(cap > 0, big, np.int64(-1))
    shift = int(big).bit_length()
    low = (1 << shift) - 1

    ptr = f_indptr[:-1].copy()
    end = f_indptr[1:]
    match = np.full(n_p, -1, dtype=np.int64)
    free = np.flatnonzero(ptr < end)
    while free.size:
        if free.size < _SEQUENTIAL_BELOW:
            _sequential_tail(free, ptr, end, f_recv, f_rank, slot_rank, soff, held, cap, threshold, match, r)
            break
        parts: list[IntArray] = []
        # Skip, within this round, every receiver already full of better proposers:
        # thresholds only fall, so those proposals would be refused anyway.
        entry = ptr[free]
        recv = f_recv[entry]
        rank = f_rank[entry]
        ok = rank < threshold[recv]
        if not ok.all():
            kept = [(free[ok], recv[ok], rank[ok])]
            refused = free[~ok]
            while refused.size:
                ptr[refused] += 1
                refused = refused[ptr[refused] < end[refused]]
                entry = ptr[refused]
                r_recv = f_recv[entry]
                r_rank = f_rank[entry]
                r_ok = r_rank < threshold[r_recv]
                kept.append((refused[r_ok], r_recv[r_ok], r_rank[r_ok]))
                refused = refused[~r_ok]
            free = np.concatenate([k[0] for k in kept])
            recv = np.concatenate([k[1] for k in kept])
            rank = np.concatenate([k[2] for k in kept])
        if free.size:
            packed = np.sort((recv << shift) | rank)
            g_recv = packed >> shift
            g_rank = packed & low
            first = np.ones(packed.shape[0], dtype=bool)
            first[1:] = g_recv[1:] != g_recv[:-1]
            starts = np.flatnonzero(first)
            sizes = np.diff(np.append(starts, packed.shape[0]))
            size = np.repeat(sizes, sizes)
            within = np.arange(packed.shape[0]) - np.repeat(starts, sizes)
            g_held = held[g_recv]
            g_cap = cap[g_recv]
            who = r.indices[r.indptr[g_recv] + g_rank]
            over = g_held + size > g_cap
            # Receivers with room for all newcomers: append, nobody is rejected.
            quick = ~over
            slot_rank[soff[g_recv[quick]] + g_held[quick] + within[quick]] = g_rank[quick]
            match[who[quick]] = g_recv[quick]
            q_first = quick & first
            filled = g_recv[q_first & (g_held + size == g_cap)]
            held[g_recv[q_first]] += size[q_first]
            if filled.size:
                block = _segment_gather(soff[filled], cap[filled])
                offsets = np.cumsum(cap[filled]) - cap[filled]
                threshold[filled] = np.maximum.reduceat(slot_rank[block], offsets)
            if over.any():
                # Full receivers: keep the best ``cap`` of held and new, reject the rest.
                o_recv = g_recv[over & first]
                old = _segment_gather(soff[o_recv], held[o_recv])
                old_recv = np.repeat(o_recv, held[o_recv])
                merged = np.concatenate(
                    ((g_recv[over] << shift) | g_rank[over], (old_recv << shift) | slot_rank[old])
                )
                merged.sort()
                m_recv = merged >> shift
                m_rank = merged & low
                n = merged.shape[0]
                m_first = np.ones(n, dtype=bool)
                m_first[1:] = m_recv[1:] != m_recv[:-1]
                m_within = np.arange(n) - np.maximum.accumulate(np.where(m_first, np.arange(n), 0))
                m_cap = cap[m_recv]
                keep = m_within < m_cap
                m_who = r.indices[r.indptr[m_recv] + m_rank]
                slot_rank[soff[m_recv[keep]] + m_within[keep]] = m_rank[keep]
                match[m_who[keep]] = m_recv[keep]
                held[o_recv] = cap[o_recv]
                last = m_within == m_cap - 1
                threshold[m_recv[last]] = m_rank[last]
                rejected = m_who[~keep]
                match[rejected] = -1
                ptr[rejected] += 1
                parts.append(rejected[ptr[rejected] < end[rejected]])
        if not parts:
            break
        free = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return match


def _receiver_proposing(
    pairs: _Pairs, p: PreferenceLists, r: PreferenceLists, cap: IntArray, n_p: int, n_r: int
) -> IntArray:
    """Receiver-proposing deferred acceptance in simultaneous rounds.

    Each receiver with ``v`` vacant seats offers to its next ``v`` acceptable proposers;
    each proposer holds its best offer so far.
    """
    mask = np.zeros(r.indices.shape[0], dtype=bool)
    mask[pairs.r_entry] = True
    prank_full = np.empty(r.indices.shape[0], dtype=np.int64)
    prank_full[pairs.r_entry] = pairs.p_rank
    g_prop = r.indices[mask]
    g_rank = prank_full[mask]
    g_indptr = _compress(mask, _row_ids(r.indptr), n_r)

    big = np.int64(p.indices.shape[0] + 1)
    shift = int(big).bit_length()
    low = (1 << shift) - 1
    rptr = g_indptr[:-1].copy()
    rend = g_indptr[1:]
    held = np.zeros(n_r, dtype=np.int64)
    best = np.full(n_p, big, dtype=np.int64)
    match = np.full(n_p, -1, dtype=np.int64)
    offers = np.minimum(cap, rend - rptr)
    while True:
        active = np.flatnonzero(offers > 0)
        if active.size == 0:
            break
        count = offers[active]
        entry = _segment_gather(rptr[active], count)
        rptr[active] += count
        held[active] += count
        prop = g_prop[entry]
        rank = g_rank[entry]
        offerer = np.repeat(active, count)
        better = rank < best[prop]
        held -= np.bincount(offerer[~better], minlength=n_r)
        packed = np.sort((prop[better] << shift) | rank[better])
        g_p = packed >> shift
        g_r = packed & low
        first = np.ones(packed.shape[0], dtype=bool)
        first[1:] = g_p[1:] != g_p[:-1]
        g_recv = p.indices[p.indptr[g_p] + g_r]
        held -= np.bincount(g_recv[~first], minlength=n_r)
        win_p = g_p[first]
        prev = match[win_p]
        held -= np.bincount(prev[prev >= 0], minlength=n_r)
        match[win_p] = g_recv[first]
        best[win_p] = g_r[first]
        offers = np.minimum(cap - held, rend - rptr)
    return match


def _prepare(
    proposer_prefs: Preferences,
    receiver_prefs: Preferences,
    capacities: npt.ArrayLike,
) -> tuple[PreferenceLists, PreferenceLists, IntArray, int, int]:
    n_p = _n_lists(proposer_prefs, "proposer_prefs")
    n_r = _n_lists(receiver_prefs, "receiver_prefs")
    cap = _as_capacities(capacities, n_r)
    p = _as_csr(proposer_prefs, n_r, "proposer_prefs", "receiver")
    r = _as_csr(receiver_prefs, n_p, "receiver_prefs", "proposer")
    return p, r, cap, n_p, n_r


def _n_lists(prefs: Preferences, name: str) -> int:
    if isinstance(prefs, PreferenceLists):
        return prefs.n_rows
    if isinstance(prefs, tuple) and len(prefs) == 2 and isinstance(prefs[0], np.ndarray):
        return int(np.asarray(prefs[0]).shape[0]) - 1
    try:
        return len(prefs)
    except TypeError as exc:
        raise ValueError(f"{name}: expected a sequence of preference lists") from exc


def stable_match(
    proposer_prefs: Preferences,
    receiver_prefs: Preferences,
    capacities: npt.ArrayLike,
    *,
    receiver_optimal: bool = False,
) -> IntArray:
    """Many-to-one stable matching by deferred acceptance (Gale-Shapley).

    Learners (proposers) propose to mentors (receivers); a mentor holds its best
    ``capacities[j]`` proposals and rejects the rest. The result is the
    proposer-optimal stable matching: no learner does better in any stable matching.

    Parameters
    ----------
    proposer_prefs : list of lists, (indptr, indices) tuple or PreferenceLists
        ``proposer_prefs[i]`` lists receiver indices, most preferred first. The
        compressed form is a tuple ``(indptr, indices)`` of integer numpy arrays where
        proposer ``i`` ranks ``indices[indptr[i]:indptr[i + 1]]`` (the fast path).
    receiver_prefs : list of lists, (indptr, indices) tuple or PreferenceLists
        ``receiver_prefs[j]`` lists proposer indices, most preferred first.
    capacities : array_like of int
        ``capacities[j] >= 0`` seats of receiver ``j``; one per receiver list.
    receiver_optimal : bool, optional
        If True, receivers propose instead, giving the receiver-optimal stable
        matching. The result is still indexed by proposer.

    Returns
    -------
    numpy.ndarray
        int64 array ``match`` of length ``n_proposers``; ``match[i]`` is the receiver
        of proposer ``i`` or -1 if unmatched. A pair is only ever matched if each
        ranks the other (mutual acceptability).

    Raises
    ------
    ValueError
        On an index out of range, a duplicate inside one list, a negative or
        non-integer capacity, a capacities length that differs from the number of
        receiver lists, or a malformed compressed form.

    Notes
    -----
    Runs in simultaneous rounds with numpy: all free proposers propose at once and each
    receiver keeps its best ``capacities[j]``; within a round a proposer skips
    receivers already full of proposers they rank higher. When fewer than 32
    proposers are still free, a plain loop finishes. Deferred acceptance is order
    independent, so all of this gives the matching of the textbook sequential loop.
    Preparing the ranks costs O(L log L) for L list entries (two sorts); each round
    costs O(m log m) in the m proposals plus held seats of touched receivers, and the
    total work is O(L log L). Memory is O(L + n_proposers + n_receivers).

    Examples
    --------
    >>> stable_match([[0, 1], [0], [1, 0]], [[2, 0, 1], [0, 2]], [1, 1])
    array([ 0, -1,  1])
    >>> stable_match([[0, 1], [0], [1, 0]], [[2, 0, 1], [0, 2]], [1, 1], receiver_optimal=True)
    array([ 1, -1,  0])
    """
    p, r, cap, n_p, n_r = _prepare(proposer_prefs, receiver_prefs, capacities)
    pairs = _acceptable_pairs(p, r, n_p, n_r)
    if receiver_optimal:
        return _receiver_proposing(pairs, p, r, cap, n_p, n_r)
    return _proposer_proposing(pairs, p, r, cap, n_p, n_r)


def _as_match(match: npt.ArrayLike, n_p: int, n_r: int) -> IntArray:
    m = np.asarray(match)
    if m.ndim != 1 or m.shape[0] != n_p:
        raise ValueError(
            f"match has shape {m.shape} but there are {n_p} proposers; give one entry per proposer"
        )
    if m.size and not np.issubdtype(m.dtype, np.integer):
        raise ValueError(f"match must hold integer receiver indices, got dtype {m.dtype}")
    m = m.astype(np.int64, copy=False)
    bad = np.flatnonzero((m < -1) | (m >= n_r))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"match[{i}] is {int(m[i])}, out of range; use -1 (unmatched) or 0..{n_r - 1}")
    return m


def _lookup(keys: IntArray, values: IntArray, queries: IntArray, missing: np.int64) -> IntArray:
    """``values`` at the positions of ``queries`` in sorted ``keys``; ``missing`` if absent."""
    out = np.full(queries.shape[0], missing, dtype=np.int64)
    if keys.size and queries.size:
        pos = np.minimum(np.searchsorted(keys, queries), keys.shape[0] - 1)
        hit = keys[pos] == queries
        out[hit] = values[pos[hit]]
    return out


def blocking_pairs(
    match: npt.ArrayLike,
    proposer_prefs: Preferences,
    receiver_prefs: Preferences,
    capacities: npt.ArrayLike,
) -> list[tuple[int, int]]:
    """List every blocking pair of a matching; an empty list means it is stable.

    ``(i, j)`` blocks when the two rank each other, ``i`` is not matched to ``j``,
    ``i`` prefers ``j`` to its current state (it is unmatched, matched to a receiver
    it does not rank, or matched to a receiver ranked below ``j``) and ``j`` has a
    free seat or holds someone it ranks below ``i`` (or does not rank at all).

    Parameters
    ----------
    match : array_like of int
        ``match[i]`` is the receiver of proposer ``i`` or -1.
    proposer_prefs, receiver_prefs, capacities
        As in :func:`stable_match`.

    Returns
    -------
    list of tuple of int
        The blocking pairs ``(i, j)`` sorted by ``i`` then ``j``.

    Raises
    ------
    ValueError
        On malformed preferences or capacities (as in :func:`stable_match`) or a
        ``match`` of the wrong length or with an out-of-range receiver.

    Notes
    -----
    Vectorised over all mutually acceptable pairs: O(L log L) for L list entries.
    Capacity violations and unacceptable matched pairs are not blocking pairs; see
    :func:`feasibility_problems`.

    Examples
    --------
    >>> blocking_pairs([0, -1], [[0], [0]], [[1, 0]], [1])
    [(1, 0)]
    >>> blocking_pairs([-1, 0], [[0], [0]], [[1, 0]], [1])
    []
    """
    p, r, cap, n_p, n_r = _prepare(proposer_prefs, receiver_prefs, capacities)
    m = _as_match(match, n_p, n_r)
    pairs = _acceptable_pairs(p, r, n_p, n_r, with_lookup=True)
    big = np.int64(max(p.indices.shape[0], r.indices.shape[0]) + 1)
    # Each side judges its current partners by its own list; a partner missing from
    # the list (or no partner) is worse than anyone listed.
    matched = np.flatnonzero(m >= 0)
    own_rank = _lookup(pairs.p_keys, pairs.p_keys_entry, matched * n_r + m[matched], big)
    own_rank[own_rank != big] -= p.indptr[matched[own_rank != big]]
    p_current = np.full(n_p, big, dtype=np.int64)
    p_current[matched] = own_rank
    load = np.bincount(m[matched], minlength=n_r)
    held_rank = _lookup(pairs.r_keys, pairs.r_keys_entry, matched * n_r + m[matched], big)
    held_rank[held_rank != big] -= r.indptr[m[matched][held_rank != big]]
    worst = np.full(n_r, -1, dtype=np.int64)
    np.maximum.at(worst, m[matched], held_rank)
    wants = pairs.p_rank < p_current[pairs.proposer]
    recv = pairs.receiver
    welcomes = (load[recv] < cap[recv]) | (pairs.r_rank < worst[recv])
    block = wants & welcomes
    return list(zip(pairs.proposer[block].tolist(), recv[block].tolist(), strict=True))


def feasibility_problems(
    match: npt.ArrayLike,
    proposer_prefs: Preferences,
    receiver_prefs: Preferences,
    capacities: npt.ArrayLike,
) -> list[str]:
    """Describe why a matching is not feasible; an empty list means it is.

    Parameters
    ----------
    match : array_like of int
        ``match[i]`` is the receiver of proposer ``i`` or -1.
    proposer_prefs, receiver_prefs, capacities
        As in :func:`stable_match`.

    Returns
    -------
    list of str
        One message per receiver over capacity and per matched pair that is not
        mutually acceptable (one side does not rank the other).

    Raises
    ------
    ValueError
        On malformed input, as in :func:`blocking_pairs`.

    Notes
    -----
    O(L log L) for L list entries.

    Examples
    --------
    >>> feasibility_problems([0, 0], [[0], [0]], [[0, 1]], [1])
    ['receiver 0 holds 2 proposers but has capacity 1']
    >>> feasibility_problems([0, -1], [[0], []], [[0, 1]], [1])
    []
    """
    p, r, cap, n_p, n_r = _prepare(proposer_prefs, receiver_prefs, capacities)
    m = _as_match(match, n_p, n_r)
    pairs = _acceptable_pairs(p, r, n_p, n_r)
    problems: list[str] = []
    load = np.bincount(m[m >= 0], minlength=n_r)
    for j in np.flatnonzero(load > cap).tolist():
        problems.append(f"receiver {j} holds {int(load[j])} proposers but has capacity {int(cap[j])}")
    ok = np.zeros(n_p, dtype=bool)
    ok[pairs.proposer[pairs.receiver == m[pairs.proposer]]] = True
    for i in np.flatnonzero((m >= 0) & ~ok).tolist():
        problems.append(
            f"proposer {i} is matched to receiver {int(m[i])} but they do not both rank each other"
        )
    return problems


def is_feasible(
    match: npt.ArrayLike,
    proposer_prefs: Preferences,
    receiver_prefs: Preferences,
    capacities: npt.ArrayLike,
) -> bool:
    """Return True if ``match`` respects capacities and mutual acceptability.

    Parameters
    ----------
    match : array_like of int
        ``match[i]`` is the receiver of proposer ``i`` or -1.
    proposer_prefs, receiver_prefs, capacities
        As in :func:`stable_match`.

    Returns
    -------
    bool
        Whether :func:`feasibility_problems` finds nothing.

    Raises
    ------
    ValueError
        On malformed input, as in :func:`blocking_pairs`.

    Notes
    -----
    O(L log L) for L list entries.

    Examples
    --------
    >>> is_feasible([0, -1], [[0], [0]], [[0, 1]], [1])
    True
    """
    return not feasibility_problems(match, proposer_prefs, receiver_prefs, capacities)
