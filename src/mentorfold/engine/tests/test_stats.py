from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from mentorfold.engine import stats
from mentorfold.engine.stats import (
    TotalDisclosureError,
    is_safe,
    paired_difference,
    paired_proportions,
    proportion,
    suppress,
    wilson_interval,
)

confidences = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])


def test_doctests_pass() -> None:
    assert doctest.testmod(stats).failed == 0


# --- Wilson ---------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 2000), frac=st.floats(0, 1), confidence=confidences)
def test_wilson_interval_equals_scipy(n: int, frac: float, confidence: float) -> None:
    k = int(round(frac * n))
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, confidence)
    assert low == pytest.approx(ci.low, abs=1e-12)
    assert high == pytest.approx(ci.high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_interval_hand_computed() -> None:
    # p = 0.35, z = 1.959964: centre = (0.35 + z^2/40) / (1 + z^2/20) = 0.374170,
    # half = z * sqrt(0.35 * 0.65 / 20 + z^2 / 1600) / (1 + z^2/20) = 0.192977.
    low, high = wilson_interval(7, 20)
    assert low == pytest.approx(0.181192, abs=1e-6)
    assert high == pytest.approx(0.567146, abs=1e-6)


def test_wilson_interval_touches_the_ends_exactly_at_zero_and_all() -> None:
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(5, 5)[1] == 1.0
    assert wilson_interval(0, 5)[1] == pytest.approx(0.434482, abs=1e-6)


def test_wider_confidence_gives_a_wider_interval() -> None:
    l90, h90 = wilson_interval(12, 30, 0.90)
    l99, h99 = wilson_interval(12, 30, 0.99)
    assert l99 < l90 < h90 < h99


@pytest.mark.parametrize(
    ("successes", "n", "confidence", "message"),
    [
        (0, 0, 0.95, "n: need at least one answer"),
        (3, 2, 0.95, "successes: must be between 0 and n=2"),
        (-1, 2, 0.95, "successes: must be between 0 and n=2"),
        (1, 2, 1.0, "confidence: must be strictly between 0 and 1"),
        (1, 2, 0.0, "confidence: must be strictly between 0 and 1"),
        (1.0, 2, 0.95, "successes: expected a whole number"),
        (True, 2, 0.95, "successes: expected a whole number"),
        (1, "2", 0.95, "n: expected a whole number"),
        (1, 2, "0.95", "confidence: expected a number"),
    ],
)
def test_wilson_interval_rejects_bad_input(
    successes: object, n: object, confidence: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        wilson_interval(successes, n, confidence)  # type: ignore[arg-type]


def test_proportion_bundles_estimate_and_interval() -> None:
    p = proportion(np.int64(7), 20, confidence=0.9)  # type: ignore[arg-type]
    assert (p.estimate, p.n, p.successes, p.confidence) == (0.35, 20, 7, 0.9)
    assert (p.low, p.high) == wilson_interval(7, 20, 0.9)
    assert isinstance(p.n, int) and isinstance(p.successes, int)
    with pytest.raises(ValueError, match="n: need at least one answer"):
        proportion(0, 0)


# --- Paired differences ---------------------------------------------------------------------------------

scores = st.floats(-100, 100, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
maybe_scores = st.one_of(scores, st.just(float("nan")))


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(st.tuples(maybe_scores, maybe_scores), min_size=2, max_size=60),
    confidence=confidences,
)
def test_paired_difference_equals_scipy_paired_t(pairs: list[tuple[float, float]], confidence: float) -> None:
    before = [b for b, _ in pairs]
    after = [a for _, a in pairs]
    complete = [(b, a) for b, a in pairs if not (math.isnan(b) or math.isnan(a))]
    assume(len(complete) >= 2)
    b = np.array([p[0] for p in complete])
    a = np.array([p[1] for p in complete])
    d = a - b
    assume(np.std(d) > 1e-6 * (1 + np.abs(d).max()))
    r = paired_difference(before, after, confidence)
    n = len(complete)
    assert (r.n, r.n_dropped) == (n, len(pairs) - n)
    assert r.mean_difference == pytest.approx(d.mean(), abs=1e-9)
    assert r.sd_difference == pytest.approx(d.std(ddof=1), rel=1e-9)
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
    assert r.low == pytest.approx(d.mean() - half, abs=1e-9)
    assert r.high == pytest.approx(d.mean() + half, abs=1e-9)
    test = sps.ttest_rel(a, b)
    assert r.t_statistic == pytest.approx(test.statistic, rel=1e-9)
    assert r.p_value == pytest.approx(test.pvalue, rel=1e-9, abs=1e-300)
    assert r.d_z == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-9)
    assert abs(r.g_z) <= abs(r.d_z)
    assert r.d_z_low <= r.d_z <= r.d_z_high


def test_paired_difference_hand_computed() -> None:
    # differences 1, 1, 0, 1, 2: mean 1, sd sqrt(2/4) = 0.70711, t = 1 / (0.70711 / sqrt 5) = 3.16228, df 4,
    # t_{0.975, 4} = 2.776445, half-width = 2.776445 * 0.70711 / 2.23607 = 0.877989.
    r = paired_difference([2, 3, 3, 4, 2], [3, 4, 3, 5, 4])
    assert r.mean_difference == 1.0
    assert r.sd_difference == pytest.approx(math.sqrt(0.5))
    assert r.t_statistic == pytest.approx(math.sqrt(10))
    assert r.low == pytest.approx(0.122011, abs=1e-6)
    assert r.high == pytest.approx(1.877989, abs=1e-6)
    assert r.p_value == pytest.approx(0.034109, abs=1e-6)
    assert r.d_z == pytest.approx(math.sqrt(2))
    # exact J(4) = Gamma(2) / (sqrt 2 * Gamma(1.5)) = 1 / (sqrt 2 * 0.886227) = 0.797885
    assert r.g_z == pytest.approx(0.797885 * math.sqrt(2), abs=1e-6)
    assert r.d_z_ci_method == "noncentral t"


def test_paired_difference_drops_pairs_with_a_missing_value() -> None:
    nan = float("nan")
    r = paired_difference([2, nan, 3, 3, 4, 2, 5], [3, 4, 4, 3, 5, 4, nan])
    assert (r.n, r.n_dropped) == (5, 2)
    assert r.mean_difference == 1.0
    assert r.mean_before == pytest.approx(14 / 5)
    assert r.mean_after == pytest.approx(19 / 5)


def test_paired_difference_with_equal_differences_reports_mean_and_nan_effect() -> None:
    r = paired_difference([1, 2, 3], [2, 3, 4])
    assert (r.mean_difference, r.sd_difference, r.low, r.high) == (1.0, 0.0, 1.0, 1.0)
    assert math.isnan(r.d_z) and math.isnan(r.g_z) and math.isnan(r.p_value) and math.isnan(r.d_z_low)
    assert r.d_z_ci_method == "undefined"


def test_two_pairs_give_zero_hedges_g() -> None:
    r = paired_difference([1, 2], [2, 4])
    assert r.g_z == 0.0 and r.d_z > 0


@pytest.mark.parametrize("df", [4, 5, 10, 30, 100])
def test_exact_hedges_correction_is_close_to_the_usual_approximation(df: int) -> None:
    assert stats._hedges_j(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=3e-3)


@settings(max_examples=60, deadline=None)
@given(
    d_z=st.floats(-3, 3).map(lambda x: round(x, 3)),
    n=st.integers(2, 200),
    confidence=st.sampled_from([0.8, 0.95, 0.99]),
)
def test_d_z_interval_inverts_the_noncentral_t(d_z: float, n: int, confidence: float) -> None:
    low, high, method = stats._dz_interval(d_z, n, confidence)
    assert method == "noncentral t"
    t_obs = d_z * math.sqrt(n)
    alpha = 1 - confidence
    assert sps.nct.cdf(t_obs, n - 1, low * math.sqrt(n)) == pytest.approx(1 - alpha / 2, abs=1e-6)
    assert sps.nct.cdf(t_obs, n - 1, high * math.sqrt(n)) == pytest.approx(alpha / 2, abs=1e-6)
    # Oracle on a grid: a noncentrality inside the interval is not rejected, one just outside is.
    for delta, rejected in (
        (low + 0.01, False),
        (high - 0.01, False),
        (low - 0.05, True),
        (high + 0.05, True),
    ):
        p_two = 2 * min(
            sps.nct.cdf(t_obs, n - 1, delta * math.sqrt(n)), sps.nct.sf(t_obs, n - 1, delta * math.sqrt(n))
        )
        if high - low > 0.03:
            assert (p_two < alpha) == rejected


def test_d_z_interval_approaches_the_normal_approximation_for_large_n() -> None:
    low, high, _ = stats._dz_interval(0.5, 2000, 0.95)
    se = math.sqrt(1 / 2000 + 0.25 / 4000)
    assert low == pytest.approx(0.5 - 1.959964 * se, abs=2e-3)
    assert high == pytest.approx(0.5 + 1.959964 * se, abs=2e-3)


def test_d_z_interval_falls_back_to_normal_for_an_enormous_t() -> None:
    r = paired_difference([0] * 5, [1000, 1000, 1000, 1000, 1000.0000001])
    assert r.d_z_ci_method == "normal approximation"
    assert r.d_z_low < r.d_z < r.d_z_high


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ([1, 2, 3], [1, 2], r"before/after: lengths differ \(3 vs 2\)"),
        ([1, float("nan")], [2, 3], "need at least 2 complete pairs for a paired comparison, got 1"),
        ([1], [2], "need at least 2 complete pairs"),
        ([1, float("inf")], [2, 3], "before: value at position 1 is infinite"),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], "before: expected a flat list"),
        (["a", "b"], [1, 2], "before: expected numbers"),
    ],
)
def test_paired_difference_rejects_bad_input(before: object, after: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        paired_difference(before, after)  # type: ignore[arg-type]


def test_paired_difference_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence: must be strictly between 0 and 1"):
        paired_difference([1, 2], [2, 4], confidence=95)


# --- Paired proportions ---------------------------------------------------------------------------------


def newcombe_oracle(n11: int, n12: int, n21: int, n22: int, alpha: float = 0.05) -> tuple[float, float]:
    """Fagerland, Lydersen & Laake's R code (Newcombe square-and-add, paired) for p1+ - p+1, transliterated."""
    total = n11 + n12 + n21 + n22
    p1, p2 = (n11 + n12) / total, (n11 + n21) / total
    ci1 = sps.binomtest(n11 + n12, total).proportion_ci(1 - alpha, method="wilson")
    ci2 = sps.binomtest(n11 + n21, total).proportion_ci(1 - alpha, method="wilson")
    margins = [n11 + n12, n21 + n22, n11 + n21, n12 + n22]
    if 0 in margins:
        psi = 0.0
    else:
        a = n11 * n22 - n12 * n21
        root = math.sqrt(math.prod(margins))
        psi = (a - total / 2) / root if a > total / 2 else (0.0 if a >= 0 else a / root)
    lo = (
        p1
        - p2
        - math.sqrt((p1 - ci1.low) ** 2 + (ci2.high - p2) ** 2 - 2 * psi * (p1 - ci1.low) * (ci2.high - p2))
    )
    hi = (
        p1
        - p2
        + math.sqrt((p2 - ci2.low) ** 2 + (ci1.high - p1) ** 2 - 2 * psi * (p2 - ci2.low) * (ci1.high - p1))
    )
    return lo, hi


def answers_from_table(
    both_yes: int, yes_to_no: int, no_to_yes: int, both_no: int
) -> tuple[list[bool], list[bool]]:
    before = [True] * (both_yes + yes_to_no) + [False] * (no_to_yes + both_no)
    after = [True] * both_yes + [False] * yes_to_no + [True] * no_to_yes + [False] * both_no
    return before, after


@pytest.mark.parametrize(
    "table",
    [
        (1, 1, 7, 12),  # Bentur et al. 2009, Fagerland et al. ch. 8
        (59, 6, 16, 80),  # Cavo et al. 2012, Fagerland et al. ch. 8
        (0, 0, 0, 5),
        (3, 0, 0, 4),
    ],
)
def test_paired_proportions_interval_matches_the_reference_code(table: tuple[int, int, int, int]) -> None:
    before, after = answers_from_table(*table)
    r = paired_proportions(before, after)
    # The reference estimates before - after with table rows = before; ours is after - before.
    lo, hi = newcombe_oracle(*table)
    assert r.low == pytest.approx(max(-1.0, -hi), abs=1e-12)
    assert r.high == pytest.approx(min(1.0, -lo), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(table=st.tuples(*[st.integers(0, 40)] * 4), confidence=confidences)
def test_paired_proportions_agree_with_oracles(table: tuple[int, int, int, int], confidence: float) -> None:
    assume(sum(table) > 0)
    both_yes, yes_to_no, no_to_yes, both_no = table
    before, after = answers_from_table(*table)
    r = paired_proportions(before, after, confidence)
    assert (r.both_yes, r.yes_to_no, r.no_to_yes, r.both_no, r.n) == (*table, sum(table))
    assert r.difference == pytest.approx((no_to_yes - yes_to_no) / sum(table))
    lo, hi = newcombe_oracle(*table, alpha=1 - confidence)
    assert r.low == pytest.approx(max(-1.0, -hi), abs=1e-9)
    assert r.high == pytest.approx(min(1.0, -lo), abs=1e-9)
    assert -1.0 <= r.low <= r.difference <= r.high <= 1.0
    if yes_to_no + no_to_yes:
        assert r.p_value == pytest.approx(sps.binomtest(no_to_yes, yes_to_no + no_to_yes).pvalue)
    else:
        assert r.p_value == 1.0


def test_mcnemar_exact_hand_computed() -> None:
    # 1 yes->no and 7 no->yes: p = 2 * P(X <= 1 | Bin(8, 1/2)) = 2 * 9 / 256 = 0.0703125
    before, after = answers_from_table(1, 1, 7, 12)
    assert paired_proportions(before, after).p_value == pytest.approx(18 / 256)


def test_paired_proportions_drops_pairs_with_a_missing_answer_and_accepts_zero_one() -> None:
    r = paired_proportions([1, 0, None, True, 0], [1, 1, True, None, np.bool_(False)])  # type: ignore[list-item]
    assert (r.n, r.n_dropped, r.both_yes, r.no_to_yes, r.both_no) == (3, 2, 1, 1, 1)


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ([True], [True, False], r"lengths differ \(1 vs 2\)"),
        ([None], [True], "no complete pair"),
        ([2], [True], "before: answer at position 0 must be True, False, 1, 0 or None"),
        ([True, "yes"], [True, True], "before: answer at position 1"),
        ("10", "01", "got a string"),
    ],
)
def test_paired_proportions_rejects_bad_input(before: object, after: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        paired_proportions(before, after)  # type: ignore[arg-type]


# --- Suppression ----------------------------------------------------------------------------------------


def test_suppress_hides_small_cells_and_shows_zeros() -> None:
    assert suppress({"a": 0, "b": 1, "c": 9, "d": 10, "e": 250}) == {
        "a": 0,
        "b": None,
        "c": None,
        "d": 10,
        "e": 250,
    }


def test_suppress_hides_the_next_smallest_cell_when_the_total_is_published() -> None:
    assert suppress({"yes": 42, "no": 15, "unsure": 3}, total=60) == {"yes": 42, "no": None, "unsure": None}


def test_suppress_breaks_ties_by_label() -> None:
    assert suppress({"b": 20, "a": 20, "c": 2}, total=42) == {"b": 20, "a": None, "c": None}


def test_two_hidden_ones_are_recoverable_so_a_third_cell_is_hidden() -> None:
    # Zeros are always shown, so two hidden cells summing to 2 must both be 1.
    assert suppress({"a": 1, "b": 1, "c": 20, "d": 30}, total=52) == {
        "a": None,
        "b": None,
        "c": None,
        "d": 30,
    }


@pytest.mark.parametrize(("counts", "total"), [({"a": 3, "b": 0}, 3), ({"a": 1, "b": 1}, 2), ({"a": 4}, 4)])
def test_suppress_refuses_a_total_that_reveals_a_small_cell(counts: dict[str, int], total: int) -> None:
    with pytest.raises(TotalDisclosureError, match="publish these counts without their total"):
        suppress(counts, total=total)
    assert all(v in (0, None) for v in suppress(counts).values())


def test_a_large_total_still_reveals_cells_when_everyone_is_alone_in_a_cell() -> None:
    counts = {f"school {i}": 1 for i in range(10)}
    with pytest.raises(TotalDisclosureError):
        suppress(counts, threshold=10, total=10)
    assert set(suppress(counts, threshold=10).values()) == {None}


@settings(max_examples=200, deadline=None)
@given(
    counts=st.dictionaries(st.text(max_size=3), st.integers(0, 30), max_size=8), threshold=st.integers(1, 12)
)
def test_a_total_at_or_above_the_threshold_fails_only_when_every_non_zero_cell_is_one(
    counts: dict[str, int], threshold: int
) -> None:
    total = sum(counts.values())
    if total < threshold:
        return
    positives = [v for v in counts.values() if v > 0]
    all_ones = bool(positives) and all(v == 1 for v in positives) and threshold > 1
    try:
        suppress(counts, threshold, total)
    except TotalDisclosureError:
        assert all_ones
    else:
        assert not all_ones


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        ({"a": -1}, {}, r"counts\['a'\]: a count cannot be negative"),
        ({"a": 1.5}, {}, r"counts\['a'\]: expected a whole number"),
        ({"a": True}, {}, r"counts\['a'\]: expected a whole number"),
        ({1: 3}, {}, "counts: labels must be strings"),
        ({"a": 3}, {"threshold": 0}, "threshold: must be at least 1"),
        ({"a": 30, "b": 20}, {"total": 51}, r"total: must equal the sum of the counts \(50\)"),
        ({"a": 30, "b": None}, {"total": 30}, "total: 30 is smaller than the known counts"),
        ([("a", 3)], {}, "counts: expected a mapping"),
    ],
)
def test_suppress_rejects_bad_input(counts: object, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(counts, **kwargs)  # type: ignore[arg-type]


def test_is_safe_rejects_an_impossible_total() -> None:
    with pytest.raises(ValueError, match="total: 61 is inconsistent"):
        is_safe({"a": 30, "b": 20}, total=61)
    with pytest.raises(ValueError, match="total: 30 is inconsistent"):
        is_safe({"a": 30, "b": None}, total=30)


def compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write `total` as `parts` whole numbers >= 1 (what a reader considers possible)."""
    if parts == 1:
        return [(total,)] if total >= 1 else []
    return [(first, *rest) for first in range(1, total) for rest in compositions(total - first, parts - 1)]


tables = st.dictionaries(st.sampled_from("abcde"), st.integers(0, 25), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(counts=tables, threshold=st.integers(1, 12), publish_total=st.booleans())
def test_suppression_properties(counts: dict[str, int], threshold: int, publish_total: bool) -> None:
    total = sum(counts.values()) if publish_total else None
    try:
        shown = suppress(counts, threshold, total)
    except TotalDisclosureError:
        assert publish_total
        # Raised only when even hiding every non-zero cell leaves one recoverable.
        positives = [v for v in counts.values() if v > 0]
        assert any(v < threshold for v in positives)
        assert len(positives) == 1 or sum(positives) <= len(positives)
        return
    assert list(shown) == list(counts)
    # No shown cell is small, and every shown value is the true one.
    for key, value in shown.items():
        assert value is None or value == counts[key]
        assert value is None or not (0 < value < threshold)
    # Every small cell is hidden; without a total nothing else is.
    hidden = [k for k, v in shown.items() if v is None]
    primary = [k for k, v in counts.items() if 0 < v < threshold]
    assert set(primary) <= set(hidden)
    if total is None:
        assert set(hidden) == set(primary)
    else:
        assert len(hidden) <= len(primary) + 1
        # A reader who subtracts the shown cells from the total cannot pin down any hidden cell.
        hidden_sum = total - sum(v for v in shown.values() if v is not None)
        possible = compositions(hidden_sum, len(hidden)) if hidden else []
        assert tuple(counts[k] for k in hidden) in possible or not hidden
        for i in range(len(hidden)):
            assert len({combo[i] for combo in possible}) >= 2
    assert is_safe(shown, total, threshold)
    # Idempotent: suppressing the published table again changes nothing.
    assert suppress(shown, threshold, total) == shown
    assert suppress(counts, threshold, total) == shown


@settings(max_examples=200, deadline=None)
@given(counts=tables, threshold=st.integers(2, 12))
def test_is_safe_flags_the_raw_table_exactly_when_a_cell_is_small(
    counts: dict[str, int], threshold: int
) -> None:
    has_small = any(0 < v < threshold for v in counts.values())
    assert is_safe(counts, None, threshold) is (not has_small)
    assert is_safe(counts, sum(counts.values()), threshold) is (not has_small)


def test_is_safe_examples() -> None:
    assert is_safe({"a": None, "b": 12}, total=None)
    assert not is_safe({"a": None, "b": 12}, total=15)
    assert not is_safe({"a": None, "b": None, "c": 12}, total=14)
    assert is_safe({"a": None, "b": None, "c": 12}, total=15)
    assert not is_safe({"a": 3}, threshold=5)
    assert is_safe({"a": 3}, threshold=3)
