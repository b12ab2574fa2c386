"""Small-sample statistics for outcome reports: proportions, paired changes and small-cell suppression.

Programme outcomes come from a few dozen learners or mentors answering a survey before and after. These
functions give each number the interval it deserves (`wilson_interval`, `proportion`), measure change in the
same people (`paired_difference` for scores, `paired_proportions` for yes/no answers) and hide counts so small
they could identify someone (`suppress`, checked by `is_safe`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as sps
from scipy.special import gammaln, ndtri

__all__ = [
    "PairedDifference",
    "PairedProportions",
    "Proportion",
    "TotalDisclosureError",
    "is_safe",
    "paired_difference",
    "paired_proportions",
    "proportion",
    "suppress",
    "wilson_interval",
]


class TotalDisclosureError(ValueError):
    """The published total would reveal a small cell however many other cells are hidden."""


@dataclass(frozen=True)
class Proportion:
    """A share with its Wilson score interval.

    Attributes
    ----------
    estimate : float
        ``successes / n``.
    low, high : float
        Wilson score interval at the requested confidence, within [0, 1].
    n : int
        Number of people asked (denominator).
    successes : int
        Number who said yes (numerator).
    confidence : float
        Confidence level of the interval, e.g. 0.95.
    """

    estimate: float
    low: float
    high: float
    n: int
    successes: int
    confidence: float = 0.95


@dataclass(frozen=True)
class PairedDifference:
    """Change in a score measured twice in the same people (`after - before`).

    Attributes
    ----------
    mean_difference : float
        Mean of ``after - before`` over complete pairs.
    sd_difference : float
        Sample standard deviation (``ddof=1``) of the differences.
    low, high : float
        Student t confidence interval for the mean difference.
    n : int
        Number of complete pairs used.
    n_dropped : int
        Pairs dropped because either value was NaN.
    d_z : float
        Cohen's d_z: mean difference divided by the SD of the differences. NaN when the SD is 0.
    g_z : float
        Hedges' small-sample corrected d_z, ``J(n - 1) * d_z``. NaN when the SD is 0.
    d_z_low, d_z_high : float
        Confidence interval for d_z (see `d_z_ci_method`). NaN when the SD is 0.
    d_z_ci_method : str
        ``"noncentral t"`` (exact) or ``"normal approximation"`` (fallback when the noncentral t cannot be
        inverted numerically, e.g. for an enormous t statistic); ``"undefined"`` when the SD is 0.
    t_statistic : float
        Paired t statistic (NaN when the SD is 0).
    p_value : float
        Two-sided p-value of the paired t test (`scipy.stats.ttest_rel`); NaN when the SD is 0.
    confidence : float
        Confidence level of the intervals.
    mean_before, mean_after : float
        Means of the complete pairs' before and after values (so a report shows them for the same people).
    """

    mean_difference: float
    sd_difference: float
    low: float
    high: float
    n: int
    n_dropped: int
    d_z: float
    g_z: float
    d_z_low: float
    d_z_high: float
    d_z_ci_method: str
    t_statistic: float
    p_value: float
    confidence: float
    mean_before: float
    mean_after: float


@dataclass(frozen=True)
class PairedProportions:
    """Change in a yes/no answer given twice by the same people.

    Attributes
    ----------
    before, after : float
        Share answering yes before and after, over complete pairs.
    difference : float
        ``after - before``.
    low, high : float
        Newcombe hybrid score interval (method 10) for the difference, within [-1, 1].
    n : int
        Number of complete pairs used.
    n_dropped : int
        Pairs dropped because either answer was missing (None).
    both_yes, yes_to_no, no_to_yes, both_no : int
        The 2x2 table of pairs: ``yes_to_no`` and ``no_to_yes`` are the discordant pairs.
    p_value : float
        Exact McNemar test: two-sided binomial test of ``no_to_yes`` out of the discordant pairs against
        one half; 1.0 when there are no discordant pairs.
    confidence : float
        Confidence level of the interval.
    """

    before: float
    after: float
    difference: float
    low: float
    high: float
    n: int
    n_dropped: int
    both_yes: int
    yes_to_no: int
    no_to_yes: int
    both_no: int
    p_value: float
    confidence: float


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name}: expected a whole number, got {value!r}.")
    return int(value)


def _check_confidence(confidence: object) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise ValueError(f"confidence: expected a number between 0 and 1, got {confidence!r}.")
    c = float(confidence)
    if not (0.0 < c < 1.0):
        raise ValueError(f"confidence: must be strictly between 0 and 1 (e.g. 0.95), got {c}.")
    return c


def _z(confidence: float) -> float:
    return float(ndtri(0.5 + 0.5 * confidence))


def _wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score confidence interval for a binomial proportion.

    Parameters
    ----------
    successes : int
        Number of yes answers, ``0 <= successes <= n``.
    n : int
        Number of answers, at least 1.
    confidence : float, optional
        Two-sided confidence level strictly between 0 and 1 (default 0.95).

    Returns
    -------
    (low, high) : tuple of float
        Interval within [0, 1]; ``low`` is exactly 0 when ``successes == 0`` and ``high`` exactly 1 when
        ``successes == n``.

    Raises
    ------
    ValueError
        If `n` is not a positive whole number, `successes` is outside ``[0, n]``, or `confidence` is not
        strictly between 0 and 1.

    Notes
    -----
    Wilson's interval inverts the score test, so unlike the Wald interval ``p +/- z sqrt(p(1-p)/n)`` it never
    leaves [0, 1] and keeps close to nominal coverage for the small groups typical of a mentoring cohort
    (Newcombe 1998, method 3; Agresti & Coull 1998). No continuity correction. Equal to
    ``scipy.stats.binomtest(successes, n).proportion_ci(confidence, method="wilson")``. O(1).

    Examples
    --------
    >>> low, high = wilson_interval(7, 20)
    >>> round(low, 4), round(high, 4)
    (0.1812, 0.5671)
    """
    n = _check_count(n, "n")
    successes = _check_count(successes, "successes")
    if n < 1:
        raise ValueError(f"n: need at least one answer to estimate a proportion, got n={n}.")
    if not (0 <= successes <= n):
        raise ValueError(f"successes: must be between 0 and n={n}, got {successes}.")
    c = _check_confidence(confidence)
    return _wilson(successes, n, _z(c))


def proportion(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Share of yes answers with its Wilson interval, as one record for a report.

    Parameters
    ----------
    successes : int
        Number of yes answers, ``0 <= successes <= n``.
    n : int
        Number of answers, at least 1.
    confidence : float, optional
        Two-sided confidence level strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Proportion

    Raises
    ------
    ValueError
        As `wilson_interval`.

    Notes
    -----
    See `wilson_interval`. O(1).

    Examples
    --------
    >>> p = proportion(7, 20)
    >>> p.estimate, round(p.low, 3), round(p.high, 3), p.n, p.successes
    (0.35, 0.181, 0.567, 20, 7)
    """
    low, high = wilson_interval(successes, n, confidence)
    return Proportion(
        estimate=int(successes) / int(n),
        low=low,
        high=high,
        n=int(n),
        successes=int(successes),
        confidence=float(confidence),
    )


def _as_float_vector(values: Sequence[float], name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected numbers (NaN for a missing answer), got {values!r}.") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a flat list of numbers, got shape {arr.shape}.")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name}: value at position {int(np.flatnonzero(np.isinf(arr))[0])} is infinite.")
    return arr


def _hedges_j(df: int) -> float:
    """Exact small-sample bias correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))."""
    if df <= 1:
        return 0.0
    return math.exp(gammaln(df / 2.0) - 0.5 * math.log(df / 2.0) - gammaln((df - 1) / 2.0))


def _dz_interval(d_z: float, n: int, confidence: float) -> tuple[float, float, str]:
    """Invert the noncentral t distribution of sqrt(n) d_z; fall back to the normal approximation."""
    if d_z < 0:
        # T(-t; df, -nc) mirrors T(t; df, nc), and scipy's nct is more accurate in the upper half.
        low, high, method = _dz_interval(-d_z, n, confidence)
        return -high, -low, method
    df = n - 1
    t_obs = d_z * math.sqrt(n)
    alpha = 1.0 - confidence

    def cdf_minus(nc: float, target: float) -> float:
        return float(sps.nct.cdf(t_obs, df, nc)) - target

    # The noncentrality interval is roughly t_obs +/- z sqrt(1 + t_obs^2 / (2 df)); bracket outward from there.
    scale = math.sqrt(1.0 + t_obs * t_obs / (2.0 * df))
    try:
        limits = []
        for target in (1.0 - alpha / 2.0, alpha / 2.0):
            step = scale
            lo, hi = t_obs - step, t_obs + step
            for _ in range(60):
                f_lo, f_hi = cdf_minus(lo, target), cdf_minus(hi, target)
                if not (math.isfinite(f_lo) and math.isfinite(f_hi)):
                    raise ArithmeticError("noncentral t is not finite in the bracket")
                if f_lo >= 0.0 >= f_hi:
                    break
                step *= 2.0
                lo, hi = (lo - step, hi) if f_lo < 0.0 else (lo, hi + step)
            else:
                raise ArithmeticError("noncentral t bracket failed")
            limits.append(float(optimize.brentq(cdf_minus, lo, hi, args=(target,), xtol=1e-12)))
        low, high = limits[0] / math.sqrt(n), limits[1] / math.sqrt(n)
        if math.isfinite(low) and math.isfinite(high) and low <= d_z <= high:
            return low, high, "noncentral t"
    except (ArithmeticError, RuntimeError, ValueError):
        pass
    se = math.sqrt(1.0 / n + d_z * d_z / (2.0 * n))
    z = _z(confidence)
    return d_z - z * se, d_z + z * se, "normal approximation"


def paired_difference(
    before: Sequence[float], after: Sequence[float], confidence: float = 0.95
) -> PairedDifference:
    """Mean change ``after - before`` in the same people, with t interval, effect size and p-value.

    Parameters
    ----------
    before, after : sequence of float
        Scores of the same people in the same order; NaN marks a missing answer.
    confidence : float, optional
        Two-sided confidence level strictly between 0 and 1 (default 0.95).

    Returns
    -------
    PairedDifference

    Raises
    ------
    ValueError
        If the sequences differ in length, are not flat sequences of numbers, contain an infinite value,
        fewer than 2 complete pairs remain, or `confidence` is out of range.

    Notes
    -----
    Pairs with NaN in either position are dropped (complete-case analysis; `n_dropped` reports how many):
    a person who answered only once says nothing about change. The interval for the mean is
    ``mean +/- t_{1-a/2, n-1} sd / sqrt(n)``; the p-value is that of `scipy.stats.ttest_rel`.

    Effect size d_z = mean / sd of the differences (Cohen's d for paired data; it is not comparable with a
    between-groups d). g_z multiplies it by the exact Hedges correction
    ``J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))``, df = n - 1; J(1) = 0, so with only two pairs
    g_z is 0 — two pairs cannot support an effect size. The interval for d_z inverts the noncentral t
    distribution of ``sqrt(n) d_z`` (exact under normality; Steiger & Fouladi 1997); if that cannot be solved
    numerically it falls back to the normal approximation ``se = sqrt(1/n + d_z^2 / (2n))`` and says so in
    `d_z_ci_method`. When every difference is equal the SD is 0: the mean and its (zero-width) interval are
    reported, effect sizes, t and p are NaN. O(n) plus a few root-finding steps.

    Examples
    --------
    >>> r = paired_difference([2, 3, 3, 4, 2], [3, 4, 3, 5, 4])
    >>> r.n, r.mean_difference, round(r.sd_difference, 4), round(r.d_z, 4)
    (5, 1.0, 0.7071, 1.4142)
    >>> round(r.low, 4), round(r.high, 4), round(r.p_value, 4)
    (0.122, 1.878, 0.0341)
    """
    b = _as_float_vector(before, "before")
    a = _as_float_vector(after, "after")
    if b.size != a.size:
        raise ValueError(
            f"before/after: lengths differ ({b.size} vs {a.size}); give one value per person in each, "
            "NaN where an answer is missing."
        )
    c = _check_confidence(confidence)
    keep = ~(np.isnan(b) | np.isnan(a))
    n = int(keep.sum())
    if n < 2:
        raise ValueError(
            f"before/after: need at least 2 complete pairs for a paired comparison, got {n} "
            f"({b.size - n} dropped for a missing value)."
        )
    b, a = b[keep], a[keep]
    diff = a - b
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1))
    df = n - 1
    half = float(sps.t.ppf(0.5 + 0.5 * c, df)) * sd / math.sqrt(n)
    nan = float("nan")
    if sd == 0.0:
        d_z = g_z = dz_low = dz_high = t_stat = p_value = nan
        method = "undefined"
    else:
        test = sps.ttest_rel(a, b)
        t_stat, p_value = float(test.statistic), float(test.pvalue)
        d_z = mean / sd
        g_z = _hedges_j(df) * d_z
        dz_low, dz_high, method = _dz_interval(d_z, n, c)
    return PairedDifference(
        mean_difference=mean,
        sd_difference=sd,
        low=mean - half,
        high=mean + half,
        n=n,
        n_dropped=int(keep.size - n),
        d_z=d_z,
        g_z=g_z,
        d_z_low=dz_low,
        d_z_high=dz_high,
        d_z_ci_method=method,
        t_statistic=t_stat,
        p_value=p_value,
        confidence=c,
        mean_before=float(b.mean()),
        mean_after=float(a.mean()),
    )


def _as_answer(value: object, name: str, i: int) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and int(value) in (0, 1):
        return bool(value)
    raise ValueError(f"{name}: answer at position {i} must be True, False, 1, 0 or None, got {value!r}.")


def paired_proportions(
    before: Sequence[bool | int | None], after: Sequence[bool | int | None], confidence: float = 0.95
) -> PairedProportions:
    """Change in the share of yes answers in the same people, with McNemar's exact test.

    Parameters
    ----------
    before, after : sequence of bool or None
        Yes/no answers of the same people in the same order; None marks a missing answer. 1 and 0 are
        accepted for True and False.
    confidence : float, optional
        Two-sided confidence level strictly between 0 and 1 (default 0.95).

    Returns
    -------
    PairedProportions

    Raises
    ------
    ValueError
        If the sequences differ in length, hold anything but True/False/1/0/None, no complete pair remains,
        or `confidence` is out of range.

    Notes
    -----
    Pairs with a missing answer in either position are dropped (`n_dropped`). With ``b`` = yes-to-no and
    ``c`` = no-to-yes pairs, the exact McNemar p-value is the two-sided binomial test of ``c`` successes in
    ``b + c`` trials with p = 1/2 (`scipy.stats.binomtest`); only people who changed their answer carry
    information. The interval for ``after - before`` is Newcombe's hybrid score interval for paired
    proportions (Newcombe 1998, Stat Med 17:2635, method 10: Wilson limits without continuity correction): the two marginal
    Wilson intervals combined with Newcombe's estimate of their correlation: with ``A = both_yes * both_no -
    yes_to_no * no_to_yes``, phi = ``(A - n/2) / sqrt(product of margins)`` when ``A > n/2``, 0 when
    ``0 <= A <= n/2``, ``A / sqrt(...)`` when ``A < 0``, and 0 when a margin is empty (as in Altman et al.,
    *Statistics with Confidence*, 2nd ed., and Fagerland, Lydersen & Laake 2017, ch. 8). The interval is
    truncated to [-1, 1] and behaves far better than the Wald interval for small n or shares near 0 or 1.
    O(n).

    Examples
    --------
    >>> r = paired_proportions([False, False, False, True, False, True],
    ...                        [True, True, False, True, True, True])
    >>> r.before, r.after, round(r.difference, 4), r.no_to_yes, r.yes_to_no
    (0.3333333333333333, 0.8333333333333334, 0.5, 3, 0)
    >>> round(r.p_value, 4)
    0.25
    """
    if isinstance(before, str | bytes) or isinstance(after, str | bytes):
        raise ValueError("before/after: expected sequences of True/False/None, got a string.")
    if len(before) != len(after):
        raise ValueError(
            f"before/after: lengths differ ({len(before)} vs {len(after)}); give one answer per person "
            "in each, None where an answer is missing."
        )
    cf = _check_confidence(confidence)
    table = [[0, 0], [0, 0]]  # [before yes?][after yes?] with index 1 = yes
    dropped = 0
    for i, (x, y) in enumerate(zip(before, after, strict=True)):
        bx, ay = _as_answer(x, "before", i), _as_answer(y, "after", i)
        if bx is None or ay is None:
            dropped += 1
            continue
        table[int(bx)][int(ay)] += 1
    both_yes, yes_to_no, no_to_yes, both_no = table[1][1], table[1][0], table[0][1], table[0][0]
    n = both_yes + yes_to_no + no_to_yes + both_no
    if n == 0:
        raise ValueError(f"before/after: no complete pair ({dropped} dropped for a missing answer).")
    p_before = (both_yes + yes_to_no) / n
    p_after = (both_yes + no_to_yes) / n
    z = _z(cf)
    l_a, u_a = _wilson(both_yes + no_to_yes, n, z)
    l_b, u_b = _wilson(both_yes + yes_to_no, n, z)
    margins = (both_yes + yes_to_no) * (no_to_yes + both_no) * (both_yes + no_to_yes) * (yes_to_no + both_no)
    cross = both_yes * both_no - yes_to_no * no_to_yes
    if margins == 0 or 0 <= cross <= n / 2:
        phi = 0.0
    elif cross > n / 2:
        phi = (cross - n / 2) / math.sqrt(margins)
    else:
        phi = cross / math.sqrt(margins)
    theta = p_after - p_before
    delta = math.sqrt(
        max(
            0.0, (p_after - l_a) ** 2 - 2.0 * phi * (p_after - l_a) * (u_b - p_before) + (u_b - p_before) ** 2
        )
    )
    epsilon = math.sqrt(
        max(
            0.0, (u_a - p_after) ** 2 - 2.0 * phi * (u_a - p_after) * (p_before - l_b) + (p_before - l_b) ** 2
        )
    )
    discordant = yes_to_no + no_to_yes
    p_value = 1.0 if discordant == 0 else float(sps.binomtest(no_to_yes, discordant, 0.5).pvalue)
    return PairedProportions(
        before=p_before,
        after=p_after,
        difference=theta,
        low=max(-1.0, theta - delta),
        high=min(1.0, theta + epsilon),
        n=n,
        n_dropped=dropped,
        both_yes=both_yes,
        yes_to_no=yes_to_no,
        no_to_yes=no_to_yes,
        both_no=both_no,
        p_value=min(1.0, p_value),
        confidence=cf,
    )


def _check_threshold(threshold: object) -> int:
    t = _check_count(threshold, "threshold")
    if t < 1:
        raise ValueError(f"threshold: must be at least 1, got {t}.")
    return t


def _check_cells(counts: Mapping[str, int | None]) -> dict[str, int | None]:
    if not isinstance(counts, Mapping):
        raise ValueError(f"counts: expected a mapping of label to count, got {type(counts).__name__}.")
    cells: dict[str, int | None] = {}
    for key, value in counts.items():
        if not isinstance(key, str):
            raise ValueError(f"counts: labels must be strings, got {key!r}.")
        if value is None:
            cells[key] = None
            continue
        v = _check_count(value, f"counts[{key!r}]")
        if v < 0:
            raise ValueError(f"counts[{key!r}]: a count cannot be negative, got {v}.")
        cells[key] = v
    return cells


def _hidden(cells: Mapping[str, int | None], total: int) -> tuple[int, int]:
    """Number of hidden cells and the sum they must share, as a reader can work it out."""
    k = sum(1 for v in cells.values() if v is None)
    published = sum(v for v in cells.values() if v is not None)
    return k, total - published


def _is_recoverable(k: int, hidden_sum: int) -> bool:
    # A reader knows zeros are always published, so each hidden cell is at least 1. With k hidden cells
    # sharing hidden_sum, each lies in [1, hidden_sum - (k - 1)]: one cell alone, or k cells of 1, is exact.
    return k == 1 or (k >= 2 and hidden_sum <= k)


def suppress(
    counts: Mapping[str, int | None], threshold: int = 10, total: int | None = None
) -> dict[str, int | None]:
    """Hide counts small enough to identify someone, plus whatever the total would let a reader recover.

    Parameters
    ----------
    counts : mapping of str to int or None
        One breakdown (one row of a table): label to number of people. None marks a cell already hidden
        upstream, so ``suppress(suppress(c, t, total), t, total)`` returns the same result.
    threshold : int, optional
        Smallest count that may be shown (default 10): cells with ``0 < count < threshold`` are hidden.
    total : int or None, optional
        The row total if it is published next to the cells; None if it is not. When every cell is known it
        must equal their sum.

    Returns
    -------
    dict of str to int or None
        Same labels in the same order; hidden cells are None.

    Raises
    ------
    ValueError
        If a count is negative or not a whole number, `threshold` < 1, or `total` is inconsistent with the
        counts (smaller than the shown cells plus one per hidden cell, or different from their sum).
    TotalDisclosureError
        (a ValueError) if publishing `total` would reveal a hidden cell whatever else is hidden, e.g. a
        single non-zero cell below the threshold; publish the row without its total. When
        ``total >= threshold`` this happens only if every non-zero cell is 1 (each person in their own
        cell), so callers that already hide small totals must still catch it.

    Notes
    -----
    Primary suppression hides every cell with ``0 < count < threshold``. Zeros are shown: a zero describes
    nobody and cannot single anyone out, and showing them keeps tables readable. (A zero can still tell a
    reader that *everyone* in the row shares an answer; rows where that matters should be merged or left
    unpublished by the caller.) Because zeros are always shown, a reader knows every hidden cell is at
    least 1.

    Complementary suppression applies only when the total is published: a reader then knows the hidden
    cells sum to ``total - shown``. A hidden cell is recoverable when it is the only hidden cell, or when
    the hidden sum equals the number of hidden cells (all must be 1). While that holds, the smallest shown
    non-zero cell (ties broken by label) is hidden too. Each shown non-zero cell is at least `threshold`, so
    one extra cell nearly always suffices. This protects a single one-way breakdown against exact recovery
    by subtraction; linked tables (rows and columns both totalled) need a joint method such as the
    hypercube method of tau-Argus. O(k log k) for k cells.

    Examples
    --------
    >>> suppress({"yes": 42, "no": 15, "unsure": 3}, threshold=10)
    {'yes': 42, 'no': 15, 'unsure': None}
    >>> suppress({"yes": 42, "no": 15, "unsure": 3}, threshold=10, total=60)
    {'yes': 42, 'no': None, 'unsure': None}
    >>> suppress({"yes": 42, "no": 0}, threshold=10, total=42)
    {'yes': 42, 'no': 0}
    """
    t = _check_threshold(threshold)
    cells = _check_cells(counts)
    result: dict[str, int | None] = {
        key: (None if v is not None and 0 < v < t else v) for key, v in cells.items()
    }
    if total is None:
        return result
    tot = _check_count(total, "total")
    known = [v for v in cells.values() if v is not None]
    n_unknown = len(cells) - len(known)
    if n_unknown == 0 and tot != sum(known):
        raise ValueError(
            f"total: must equal the sum of the counts ({sum(known)}), got {tot}; pass total=None if the "
            "total is not published."
        )
    if tot < sum(known) + n_unknown:
        raise ValueError(
            f"total: {tot} is smaller than the known counts ({sum(known)}) plus one per hidden cell "
            f"({n_unknown})."
        )
    while True:
        k, hidden_sum = _hidden(result, tot)
        if k == 0 or not _is_recoverable(k, hidden_sum):
            return result
        candidates = sorted((v, key) for key, v in result.items() if v is not None and v > 0)
        if not candidates:
            raise TotalDisclosureError(
                "total: publishing the total would reveal a hidden small count whatever else is hidden; "
                "publish these counts without their total (total=None)."
            )
        result[candidates[0][1]] = None


def is_safe(published: Mapping[str, int | None], total: int | None = None, threshold: int = 10) -> bool:
    """Whether a published breakdown shows no small cell and lets no hidden cell be worked out.

    Parameters
    ----------
    published : mapping of str to int or None
        The breakdown as it will be shown; None marks a hidden cell.
    total : int or None, optional
        The published row total, or None if the total is not shown.
    threshold : int, optional
        Smallest count that may be shown (default 10).

    Returns
    -------
    bool
        True when no shown cell is in ``[1, threshold)`` and, with a total, no hidden cell is recoverable
        by subtraction (see `suppress`, Notes).

    Raises
    ------
    ValueError
        If a count is negative or not a whole number, `threshold` < 1, or `total` is smaller than the shown
        cells plus one per hidden cell (no breakdown could produce it).

    Notes
    -----
    The checker for `suppress`: ``is_safe(suppress(c, t, total), total, t)`` always holds. O(k).

    Examples
    --------
    >>> is_safe({"yes": 42, "no": 15, "unsure": None}, total=60)
    False
    >>> is_safe({"yes": 42, "no": None, "unsure": None}, total=60)
    True
    """
    t = _check_threshold(threshold)
    cells = _check_cells(published)
    if any(v is not None and 0 < v < t for v in cells.values()):
        return False
    if total is None:
        return True
    tot = _check_count(total, "total")
    k, hidden_sum = _hidden(cells, tot)
    if hidden_sum < k or (k == 0 and hidden_sum != 0):
        raise ValueError(
            f"total: {tot} is inconsistent with the shown cells (hidden cells would sum to {hidden_sum} "
            f"across {k} cells, each at least 1)."
        )
    return k == 0 or not _is_recoverable(k, hidden_sum)
