"""Tests for mentorfold.engine.stable: stability, optimality, validation, cross-checks."""

from __future__ import annotations

import doctest
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorfold.engine import stable
from mentorfold.engine.stable import (
    PreferenceLists,
    blocking_pairs,
    feasibility_problems,
    is_feasible,
    stable_match,
)

Instance = tuple[list[list[int]], list[list[int]], list[int]]


# --------------------------------------------------------------------------- oracles


def naive_blocking_pairs(
    match: list[int], pprefs: list[list[int]], rprefs: list[list[int]], caps: list[int]
) -> list[tuple[int, int]]:
    """Textbook definition, written independently of the vectorised code."""
    out = []
    for i, plist in enumerate(pprefs):
        for j in plist:
            if i not in rprefs[j] or match[i] == j:
                continue
            current = match[i]
            if current != -1 and current in plist and plist.index(current) < plist.index(j):
                continue
            held = [k for k, r in enumerate(match) if r == j]
            if len(held) < caps[j]:
                out.append((i, j))
                continue
            ranks = [rprefs[j].index(k) if k in rprefs[j] else len(pprefs) + 1 for k in held]
            if ranks and rprefs[j].index(i) < max(ranks):
                out.append((i, j))
    return sorted(out)


def all_stable_matchings(
    pprefs: list[list[int]], rprefs: list[list[int]], caps: list[int]
) -> list[list[int]]:
    """Every feasible matching checked for stability (n <= 6 proposers)."""
    options = [[-1] + [j for j in plist if i in rprefs[j]] for i, plist in enumerate(pprefs)]
    result = []
    for combo in itertools.product(*options):
        match = list(combo)
        if any(match.count(j) > caps[j] for j in range(len(rprefs))):
            continue
        if not naive_blocking_pairs(match, pprefs, rprefs, caps):
            result.append(match)
    return result


def proposer_rank(pprefs: list[list[int]], i: int, j: int) -> int:
    return pprefs[i].index(j) if j != -1 else len(pprefs[i]) + 1


@st.composite
def instances(draw: st.DrawFn, max_p: int = 6, max_r: int = 4) -> Instance:
    n_p = draw(st.integers(1, max_p))
    n_r = draw(st.integers(1, max_r))
    pprefs = [draw(st.permutations(range(n_r)).map(lambda p: list(p))) for _ in range(n_p)]
    pprefs = [p[: draw(st.integers(0, n_r))] for p in pprefs]
    rprefs = [draw(st.permutations(range(n_p)).map(lambda p: list(p))) for _ in range(n_r)]
    rprefs = [r[: draw(st.integers(0, n_p))] for r in rprefs]
    caps = [draw(st.integers(0, 3)) for _ in range(n_r)]
    return pprefs, rprefs, caps


def correlated(n_p: int, n_r: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n_r)
    pprefs = []
    for _ in range(n_p):
        k = int(rng.integers(1, min(n_r, 6) + 1))
        util = quality + rng.normal(size=n_r)
        pprefs.append(np.argsort(-util)[:k].tolist())
    merit = rng.normal(size=n_p)
    rprefs = []
    for j in range(n_r):
        fans = [i for i in range(n_p) if j in pprefs[i]]
        # Receivers also rank a few proposers who did not rank them (not acceptable).
        extra = [int(i) for i in rng.choice(n_p, size=2, replace=False) if int(i) not in fans]
        who = fans + extra
        rprefs.append(sorted(who, key=lambda i: -(merit[i] + rng.normal())))
    caps = rng.integers(0, 4, n_r).tolist()
    return pprefs, rprefs, caps


@contextmanager
def rounds_only() -> Iterator[None]:
    """Force the vectorised rounds all the way (no sequential tail for small inputs)."""
    saved = stable._SEQUENTIAL_BELOW
    stable._SEQUENTIAL_BELOW = 0
    try:
        yield
    finally:
        stable._SEQUENTIAL_BELOW = saved


# --------------------------------------------------------------------------- properties

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)


@SETTINGS
@given(instances())
def test_it_returns_the_proposer_optimal_stable_matching(inst: Instance) -> None:
    pprefs, rprefs, caps = inst
    match = stable_match(pprefs, rprefs, caps).tolist()
    with rounds_only():
        assert stable_match(pprefs, rprefs, caps).tolist() == match
    assert naive_blocking_pairs(match, pprefs, rprefs, caps) == []
    assert blocking_pairs(match, pprefs, rprefs, caps) == []
    assert is_feasible(match, pprefs, rprefs, caps)
    stables = all_stable_matchings(pprefs, rprefs, caps)
    assert match in stables
    for other in stables:
        for i in range(len(pprefs)):
            assert proposer_rank(pprefs, i, match[i]) <= proposer_rank(pprefs, i, other[i])


@SETTINGS
@given(instances())
def test_receiver_optimal_variant_is_stable_and_proposer_pessimal(inst: Instance) -> None:
    pprefs, rprefs, caps = inst
    match = stable_match(pprefs, rprefs, caps, receiver_optimal=True).tolist()
    assert naive_blocking_pairs(match, pprefs, rprefs, caps) == []
    assert is_feasible(match, pprefs, rprefs, caps)
    stables = all_stable_matchings(pprefs, rprefs, caps)
    assert match in stables
    # The receiver-optimal stable matching is the worst stable one for every proposer.
    for other in stables:
        for i in range(len(pprefs)):
            assert proposer_rank(pprefs, i, match[i]) >= proposer_rank(pprefs, i, other[i])


@SETTINGS
@given(instances())
def test_compressed_input_gives_the_same_matching(inst: Instance) -> None:
    pprefs, rprefs, caps = inst
    p = PreferenceLists.from_lists(pprefs)
    r = PreferenceLists.from_lists(rprefs)
    for flag in (False, True):
        expected = stable_match(pprefs, rprefs, caps, receiver_optimal=flag)
        np.testing.assert_array_equal(stable_match(p, r, caps, receiver_optimal=flag), expected)
        got = stable_match(
            (p.indptr, p.indices), (r.indptr, r.indices), np.array(caps), receiver_optimal=flag
        )
        np.testing.assert_array_equal(got, expected)
    assert p.to_lists() == pprefs


@SETTINGS
@given(instances(), st.data())
def test_blocking_pairs_agrees_with_the_textbook_definition(inst: Instance, data: st.DataObject) -> None:
    pprefs, rprefs, caps = inst
    match = [data.draw(st.integers(-1, len(rprefs) - 1)) for _ in pprefs]
    assert blocking_pairs(match, pprefs, rprefs, caps) == naive_blocking_pairs(match, pprefs, rprefs, caps)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(20))
def test_it_agrees_with_the_matching_package(seed: int) -> None:
    from matching.games import HospitalResident

    # Larger seeds exceed the sequential-tail threshold, so the vectorised rounds run too.
    pprefs, rprefs, caps = correlated(40, 7, seed) if seed < 14 else correlated(400, 40, seed)
    # `matching` needs consistent lists (only mutually acceptable entries) and breaks
    # on zero-capacity hospitals, which can take nobody anyway: leave them out.
    res = {i: [j for j in plist if i in rprefs[j] and caps[j] > 0] for i, plist in enumerate(pprefs)}
    hos = {j: [i for i in rlist if j in pprefs[i]] for j, rlist in enumerate(rprefs) if caps[j] > 0}
    res = {i: lst for i, lst in res.items() if lst}
    hos = {j: lst for j, lst in hos.items() if lst}
    expected = np.full(len(pprefs), -1)
    if res and hos:
        game = HospitalResident.create_from_dictionaries(res, hos, {j: caps[j] for j in hos})
        for hospital, residents in game.solve(optimal="resident").items():
            for resident in residents:
                expected[resident.name] = hospital.name
    np.testing.assert_array_equal(stable_match(pprefs, rprefs, caps), expected)
    with rounds_only():
        np.testing.assert_array_equal(stable_match(pprefs, rprefs, caps), expected)


# --------------------------------------------------------------------------- hand-checked


def test_hand_checked_example_differs_between_the_two_sides() -> None:
    pprefs = [[0, 1], [0], [1, 0]]
    rprefs = [[2, 0, 1], [0, 2]]
    assert stable_match(pprefs, rprefs, [1, 1]).tolist() == [0, -1, 1]
    assert stable_match(pprefs, rprefs, [1, 1], receiver_optimal=True).tolist() == [1, -1, 0]


def test_hand_checked_many_to_one_example() -> None:
    # Mentor 0 has two seats and prefers learners 3, 1, 0; learner 2 only wants mentor 0.
    pprefs = [[0, 1], [0, 1], [0], [1, 0]]
    rprefs = [[3, 1, 0, 2], [0, 1, 3]]
    match = stable_match(pprefs, rprefs, [2, 1])
    # Round 1: 0,1,2 -> m0 (keeps 1, 0; rejects 2), 3 -> m1. Learner 2 has no one left.
    assert match.tolist() == [0, 0, -1, 1]


def test_unacceptable_pairs_never_match() -> None:
    # Learner 0 ranks mentor 0 but mentor 0 does not rank learner 0.
    assert stable_match([[0]], [[]], [1]).tolist() == [-1]
    assert stable_match([[]], [[0]], [1]).tolist() == [-1]


def test_zero_capacity_and_empty_inputs() -> None:
    assert stable_match([[0], [0]], [[0, 1]], [0]).tolist() == [-1, -1]
    assert stable_match([], [[]], [1]).tolist() == []
    assert stable_match([[]], [], []).tolist() == [-1]


def test_blocking_pairs_and_feasibility_on_a_bad_matching() -> None:
    pprefs = [[0], [0]]
    rprefs = [[1, 0]]
    assert blocking_pairs([0, -1], pprefs, rprefs, [1]) == [(1, 0)]
    assert feasibility_problems([0, 0], pprefs, rprefs, [1]) == [
        "receiver 0 holds 2 proposers but has capacity 1"
    ]
    problems = feasibility_problems([0, -1], [[], [0]], rprefs, [1])
    assert problems == ["proposer 0 is matched to receiver 0 but they do not both rank each other"]
    assert not is_feasible([0, -1], [[], [0]], rprefs, [1])


def test_doctests_pass() -> None:
    result = doctest.testmod(stable)
    assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- validation


def test_it_rejects_an_out_of_range_receiver_index() -> None:
    with pytest.raises(ValueError, match=r"proposer_prefs\[1\] contains receiver index 5, out of range"):
        stable_match([[0], [5]], [[0]], [1])


def test_it_rejects_an_out_of_range_index_in_compressed_form() -> None:
    p = (np.array([0, 1, 2]), np.array([0, -1]))
    with pytest.raises(ValueError, match=r"proposer_prefs\[1\] contains receiver index -1"):
        stable_match(p, [[0, 1]], [1])
    with pytest.raises(ValueError, match=r"receiver_prefs\[0\] contains proposer index 2"):
        stable_match([[0], [0]], [[2]], [1])


def test_it_rejects_a_duplicate_in_a_proposer_list() -> None:
    with pytest.raises(ValueError, match=r"proposer_prefs\[0\] lists receiver 1 more than once"):
        stable_match([[1, 0, 1]], [[0], [0]], [1, 1])


def test_it_rejects_a_duplicate_in_a_receiver_list() -> None:
    with pytest.raises(ValueError, match=r"receiver_prefs\[1\] lists proposer 0 more than once"):
        stable_match([[1]], [[0], [0, 0]], [1, 1])


def test_it_rejects_a_negative_capacity() -> None:
    with pytest.raises(ValueError, match=r"capacities\[1\] is -2; capacities must be >= 0"):
        stable_match([[0]], [[0], [0]], [1, -2])


def test_it_rejects_a_capacities_length_mismatch() -> None:
    with pytest.raises(ValueError, match="capacities has length 3 but receiver_prefs has 2 lists"):
        stable_match([[0]], [[0], [0]], [1, 1, 1])


def test_it_rejects_fractional_capacities_and_bad_indptr() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        stable_match([[0]], [[0]], [1.5])
    with pytest.raises(ValueError, match="indptr must start at 0"):
        stable_match((np.array([0, 2]), np.array([0])), [[0]], [1])


def test_checkers_reject_a_match_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="match has shape"):
        blocking_pairs([0], [[0], [0]], [[0, 1]], [1])
    with pytest.raises(ValueError, match=r"match\[0\] is 3, out of range"):
        is_feasible([3, -1], [[0], [0]], [[0, 1]], [1])
