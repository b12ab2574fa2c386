"""Reviewer calibration, funding lines and seeded lotteries for grant decisions.

Reviewers differ in leniency: a harsh reviewer's 3 is a lenient reviewer's 4. `reviewer_offsets` removes that
difference by least squares, `funding_line` says which applications are clearly in, clearly out or too close
to call given the remaining uncertainty, and `lottery` draws among the too-close-to-call ones reproducibly.
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse.csgraph import connected_components

__all__ = [
    "Calibration",
    "DisconnectedDesignWarning",
    "FundingLine",
    "FundingStatus",
    "Reviews",
    "funding_line",
    "lottery",
    "reviewer_offsets",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class DisconnectedDesignWarning(UserWarning):
    """Reviewers fall into groups that share no application, so groups cannot be compared directly."""


@dataclass(frozen=True, eq=False)
class Reviews:
    """One row per review: which application, which reviewer, what score.

    Attributes
    ----------
    application : numpy.ndarray of int
        Application index of each review, ``0 <= application[k] < n_applications``.
    reviewer : numpy.ndarray of int
        Reviewer index of each review, ``0 <= reviewer[k] < n_reviewers``.
    score : numpy.ndarray of float
        The score given; any finite number on the rubric's scale.
    """

    application: IntArray
    reviewer: IntArray
    score: FloatArray


@dataclass(frozen=True, eq=False)
class Calibration:
    """Result of `reviewer_offsets`: calibrated merit per application and leniency per reviewer.

    Attributes
    ----------
    merit : numpy.ndarray of float, shape (n_applications,)
        Calibrated score on the rubric's original scale: the mean of the application's scores after each
        reviewer's offset is subtracted. NaN for an application with no reviews.
    merit_se : numpy.ndarray of float, shape (n_applications,)
        Standard error of `merit` (see Notes of `reviewer_offsets`). NaN when it cannot be estimated.
    offset : numpy.ndarray of float, shape (n_reviewers,)
        Reviewer leniency: how much higher than an average reviewer this reviewer scores. Offsets sum to
        zero within each connected component; 0 for a reviewer with no reviews.
    offset_se : numpy.ndarray of float, shape (n_reviewers,)
        Standard error of `offset`; NaN for a reviewer with no reviews.
    raw_mean : numpy.ndarray of float, shape (n_applications,)
        Plain mean of the application's scores (NaN with no reviews).
    residual_sd : float
        Estimated noise standard deviation sigma; NaN when there are no residual degrees of freedom.
    n_reviews_per_application : numpy.ndarray of int, shape (n_applications,)
        Number of reviews of each application.
    n_reviews_per_reviewer : numpy.ndarray of int, shape (n_reviewers,)
        Number of reviews by each reviewer.
    components : numpy.ndarray of int, shape (n_reviewers,)
        Connected component label of each reviewer in the reviewer-application overlap graph (-1 for a
        reviewer with no reviews). Offsets are only comparable inside one component.
    application_components : numpy.ndarray of int, shape (n_applications,)
        Component label of each application (-1 with no reviews).
    n_components : int
        Number of components among reviewed applications; 1 for a well-linked design.
    ridge : float
        The ridge penalty used.
    reviews : Reviews
        The validated input, kept so that `calibrated_scores` can be computed.
    """

    merit: FloatArray
    merit_se: FloatArray
    offset: FloatArray
    offset_se: FloatArray
    raw_mean: FloatArray
    residual_sd: float
    n_reviews_per_application: IntArray
    n_reviews_per_reviewer: IntArray
    components: IntArray
    application_components: IntArray
    n_components: int
    ridge: float
    reviews: Reviews

    @property
    def is_connected(self) -> bool:
        """Whether all reviewed applications are linked through shared reviewers."""
        return self.n_components <= 1

    def calibrated_scores(self) -> FloatArray:
        """Each review's score minus its reviewer's offset, in input order.

        Returns
        -------
        numpy.ndarray of float, shape (n_reviews,)

        Examples
        --------
        >>> cal = reviewer_offsets(([0, 0, 1, 1], [0, 1, 0, 1], [4.0, 2.0, 5.0, 3.0]))
        >>> cal.calibrated_scores().round(3).tolist()
        [3.0, 3.0, 4.0, 4.0]
        """
        return np.asarray(self.reviews.score - self.offset[self.reviews.reviewer], dtype=np.float64)


def _spd_inverse(matrix: FloatArray) -> FloatArray:
    """Inverse of a symmetric positive definite matrix by Cholesky (about half the work of LU inversion)."""
    factor, info = lapack.dpotrf(matrix, lower=False)
    if info != 0:
        return np.asarray(np.linalg.inv(matrix), dtype=np.float64)
    inverse, info = lapack.dpotri(factor, lower=False)
    if info != 0:
        return np.asarray(np.linalg.inv(matrix), dtype=np.float64)
    upper = np.triu(inverse)
    return np.asarray(upper + np.triu(upper, 1).T, dtype=np.float64)


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.setflags(write=False)
    return a


def _as_index_array(values: Any, name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}.")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        if (
            np.issubdtype(arr.dtype, np.floating)
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name}: expected integer indices, got dtype {arr.dtype}.")
    arr = arr.astype(np.int64, copy=True)
    if arr.min() < 0:
        raise ValueError(f"{name}: index {int(arr.min())} is negative; indices start at 0.")
    return arr


def _validate_reviews(
    scores: Reviews | tuple[Any, Any, Any], n_applications: int | None, n_reviewers: int | None
) -> tuple[Reviews, int, int]:
    if isinstance(scores, Reviews):
        app_raw, rev_raw, val_raw = scores.application, scores.reviewer, scores.score
    elif isinstance(scores, tuple) and len(scores) == 3:
        app_raw, rev_raw, val_raw = scores
    else:
        raise ValueError(
            "scores: pass a Reviews(application, reviewer, score) or a tuple of three equal-length arrays."
        )
    app = _as_index_array(app_raw, "application index")
    rev = _as_index_array(rev_raw, "reviewer index")
    val = np.asarray(val_raw, dtype=np.float64).copy()
    if val.ndim != 1:
        raise ValueError(f"score: expected a 1-D array, got shape {val.shape}.")
    if not (app.size == rev.size == val.size):
        raise ValueError(
            f"scores: length mismatch — {app.size} application indices, {rev.size} reviewer indices, "
            f"{val.size} scores; give one of each per review."
        )
    if val.size == 0:
        raise ValueError("scores: no reviews given; calibration needs at least one review.")
    if not np.all(np.isfinite(val)):
        bad = int(np.flatnonzero(~np.isfinite(val))[0])
        raise ValueError(f"score: review {bad} has a NaN or infinite score; drop it or fix the value.")
    n_app = int(app.max()) + 1 if n_applications is None else int(n_applications)
    n_rev = int(rev.max()) + 1 if n_reviewers is None else int(n_reviewers)
    if n_app <= 0 or n_rev <= 0:
        raise ValueError("n_applications and n_reviewers must be positive.")
    if app.max() >= n_app:
        raise ValueError(f"application index {int(app.max())} is out of range for n_applications={n_app}.")
    if rev.max() >= n_rev:
        raise ValueError(f"reviewer index {int(rev.max())} is out of range for n_reviewers={n_rev}.")
    pair = app * n_rev + rev
    uniq, first, counts = np.unique(pair, return_index=True, return_counts=True)
    if uniq.size != pair.size:
        k = int(first[np.flatnonzero(counts > 1)[0]])
        raise ValueError(
            f"scores: duplicate (reviewer, application) pair — reviewer {int(rev[k])} scored application "
            f"{int(app[k])} more than once; keep one score per pair (e.g. their latest)."
        )
    reviews = Reviews(_readonly(app), _readonly(rev), _readonly(val))
    return reviews, n_app, n_rev


def reviewer_offsets(
    scores: Reviews | tuple[Any, Any, Any],
    *,
    n_applications: int | None = None,
    n_reviewers: int | None = None,
    ridge: float = 0.0,
) -> Calibration:
    """Estimate reviewer leniency and calibrated application merit by least squares.

    Model: ``score[k] = merit[application[k]] + offset[reviewer[k]] + noise[k]`` with independent noise of
    common variance sigma**2. Offsets are identified by making them sum to zero within each connected
    component of the reviewer-application graph, so `merit` stays on the rubric's original scale.

    Parameters
    ----------
    scores : Reviews or tuple of three array_like
        ``(application_index, reviewer_index, score)``, one entry per review, equal lengths.
    n_applications : int, optional
        Number of applications (default: largest application index + 1). Applications without reviews get
        NaN merit.
    n_reviewers : int, optional
        Number of reviewers (default: largest reviewer index + 1).
    ridge : float, default 0.0
        Penalty ``ridge * sum(offset**2)`` added to the least-squares loss. 0 gives plain least squares;
        a small positive value (e.g. 0.5-2 on a 1-5 rubric) shrinks the offsets of reviewers with few
        reviews toward 0, like a random-effects model.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        On a length mismatch, a non-integer, negative or out-of-range index, a NaN or infinite score, a
        duplicate (reviewer, application) pair, no reviews, or a negative/NaN ridge.

    Warns
    -----
    DisconnectedDesignWarning
        When reviewers fall into more than one group with no application in common. Each group's offsets
        are then centred separately, which assumes each group's average reviewer is equally lenient.

    Notes
    -----
    With X = [A | R] the review-by-application and review-by-reviewer indicator matrices, the normal
    equations are ``[[D_a, N], [N.T, D_r]] [m; b] = [A.T y; R.T y]`` where D_a, D_r are review counts and
    N the application-by-reviewer count matrix. D_a is diagonal, so we eliminate merits and solve the
    reviewer block (Schur complement) ``S = D_r - N.T D_a^-1 N``: a graph Laplacian whose null space is the
    constant vector on each connected component. We solve ``M b = R.T y - N.T D_a^-1 A.T y`` with
    ``M = S + ridge I + P`` (P projects onto that null space; M is inverted densely by Cholesky); since the
    right-hand side is orthogonal to the null space, the solution sums to zero on every component. Then
    ``m = D_a^-1 (A.T y - N b)``.

    Standard errors: ``Cov(b) = sigma^2 M^-1 S M^-1`` (equal to ``sigma^2 (M^-1 - P) = sigma^2 S^+`` when
    ridge = 0) and, because
    ``A.T y`` is uncorrelated with the reduced right-hand side, ``Var(m_a) = sigma^2 / n_a +
    w_a Cov(b) w_a^T`` with ``w_a = N[a] / n_a``; sigma^2 = RSS / (n_reviews - n_apps - n_reviewers +
    n_components). With ridge > 0 these are the estimator's variances and ignore shrinkage bias.

    Complexity: O(n_reviews + n_reviewers^3) time, O(n_reviews + n_reviewers^2) memory; the dense reviewer
    block is fine up to a few thousand reviewers (1,000 reviewers, 30,000 reviews: well under a second).

    Examples
    --------
    Reviewer 1 scores two points below reviewer 0 on both shared applications:

    >>> cal = reviewer_offsets(([0, 0, 1, 1], [0, 1, 0, 1], [4.0, 2.0, 5.0, 3.0]))
    >>> cal.offset.round(3).tolist()
    [1.0, -1.0]
    >>> cal.merit.round(3).tolist()
    [3.0, 4.0]
    """
    if not np.isfinite(ridge) or ridge < 0:
        raise ValueError(f"ridge: must be a finite number >= 0, got {ridge!r}.")
    reviews, n_app, n_rev = _validate_reviews(scores, n_applications, n_reviewers)
    app, rev, y = reviews.application, reviews.reviewer, reviews.score
    n_obs = y.size

    n_a = np.bincount(app, minlength=n_app).astype(np.int64)
    n_r = np.bincount(rev, minlength=n_rev).astype(np.int64)
    s_a = np.bincount(app, weights=y, minlength=n_app)
    s_r = np.bincount(rev, weights=y, minlength=n_rev)
    has_a = n_a > 0
    has_r = n_r > 0
    inv_na = np.zeros(n_app)
    inv_na[has_a] = 1.0 / n_a[has_a]

    counts = sp.csr_matrix((np.ones(n_obs), (app, rev)), shape=(n_app, n_rev))
    weights = sp.diags(inv_na) @ counts  # w_a = N[a] / n_a
    schur = np.diag(n_r.astype(np.float64)) - (counts.T @ weights).toarray()
    rhs = s_r - counts.T @ (inv_na * s_a)

    # Components of the bipartite graph over applications (0..n_app-1) and reviewers (n_app..).
    graph = sp.bmat([[None, counts], [counts.T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    app_lab_raw = labels[:n_app]
    rev_lab_raw = labels[n_app:]
    used = np.unique(np.concatenate([app_lab_raw[has_a], rev_lab_raw[has_r]]))
    relabel = np.full(labels.max() + 1, -1, dtype=np.int64)
    relabel[used] = np.arange(used.size)
    app_comp = np.where(has_a, relabel[app_lab_raw], -1).astype(np.int64)
    rev_comp = np.where(has_r, relabel[rev_lab_raw], -1).astype(np.int64)
    n_comp = int(used.size)
    if n_comp > 1:
        warnings.warn(
            f"The review design splits into {n_comp} groups of reviewers with no application in common; "
            "offsets are centred within each group, so merits are only strictly comparable inside a group. "
            "Assign a few shared applications across groups to link them.",
            DisconnectedDesignWarning,
            stacklevel=2,
        )

    # Projection onto the null space of the Schur complement (constant per component; unused reviewers
    # are isolated nodes of their own).
    projector = np.zeros((n_rev, n_rev))
    rev_groups = np.where(has_r, rev_comp, n_comp + np.arange(n_rev))
    order = np.argsort(rev_groups, kind="stable")
    bounds = np.flatnonzero(np.diff(rev_groups[order])) + 1
    for members in np.split(order, bounds):
        projector[np.ix_(members, members)] = 1.0 / members.size

    system = schur + projector
    system[np.diag_indices(n_rev)] += ridge
    system_inv = _spd_inverse(system)
    offset = system_inv @ rhs
    offset[~has_r] = 0.0
    merit = np.full(n_app, np.nan)
    merit[has_a] = (inv_na * (s_a - counts @ offset))[has_a]
    raw_mean = np.full(n_app, np.nan)
    raw_mean[has_a] = s_a[has_a] / n_a[has_a]

    resid = y - merit[app] - offset[rev]
    dof = n_obs - int(has_a.sum()) - int(has_r.sum()) + n_comp
    sigma = float(np.sqrt(resid @ resid / dof)) if dof > 0 else float("nan")

    # Cov(b) / sigma^2 = M^-1 S M^-1 with S = M - ridge I - P, and P commutes with M (its range is the
    # eigenspace of M with eigenvalue 1 + ridge), so this is M^-1 - ridge M^-2 - P / (1 + ridge)^2.
    cov_b_unit = system_inv - projector / (1.0 + ridge) ** 2
    if ridge > 0:
        cov_b_unit -= ridge * (system_inv @ system_inv)
    offset_se = np.full(n_rev, np.nan)
    offset_se[has_r] = sigma * np.sqrt(np.clip(np.diag(cov_b_unit)[has_r], 0.0, None))
    # diag(W Cov_b W^T) row-block by row-block keeps memory at chunk x n_reviewers.
    quad = np.zeros(n_app)
    chunk = max(1, 4_000_000 // max(n_rev, 1))
    for start in range(0, n_app, chunk):
        w_blk = weights[start : start + chunk]
        quad[start : start + chunk] = np.asarray(w_blk.multiply(w_blk @ cov_b_unit).sum(axis=1)).ravel()
    merit_se = np.full(n_app, np.nan)
    merit_se[has_a] = sigma * np.sqrt(np.clip(inv_na[has_a] + quad[has_a], 0.0, None))

    return Calibration(
        merit=_readonly(merit),
        merit_se=_readonly(merit_se),
        offset=_readonly(offset),
        offset_se=_readonly(offset_se),
        raw_mean=_readonly(raw_mean),
        residual_sd=sigma,
        n_reviews_per_application=_readonly(n_a),
        n_reviews_per_reviewer=_readonly(n_r),
        components=_readonly(rev_comp),
        application_components=_readonly(app_comp),
        n_components=n_comp,
        ridge=float(ridge),
        reviews=reviews,
    )


class FundingStatus(enum.IntEnum):
    """Decision class of an application relative to the funding line."""

    NOT_FUNDED = 0
    BAND = 1
    FUNDED = 2


@dataclass(frozen=True, eq=False)
class FundingLine:
    """Result of `funding_line`.

    Attributes
    ----------
    line : float
        The merit score at the line.
    z : float
        Interval half-width multiplier used.
    status : numpy.ndarray of int8, shape (n,)
        `FundingStatus` value per application.
    clearly_funded, band, clearly_not : numpy.ndarray of int
        Application indices in each class, ordered by merit (highest first, ties by index).
    seats_left_for_band : int or None
        ``n_funded - len(clearly_funded)`` clipped at 0 when `n_funded` was given, else None.
    """

    line: float
    z: float
    status: npt.NDArray[np.int8]
    clearly_funded: IntArray
    band: IntArray
    clearly_not: IntArray
    seats_left_for_band: int | None


def _merit_order(merit: FloatArray) -> IntArray:
    """Indices by merit, highest first, ties broken by lower index."""
    return np.lexsort((np.arange(merit.size), -merit)).astype(np.int64)


def funding_line(
    merit: npt.ArrayLike,
    merit_se: npt.ArrayLike,
    *,
    n_funded: int | None = None,
    budget_line: float | None = None,
    z: float = 1.96,
) -> FundingLine:
    """Split applications into clearly funded, clearly not funded, and a band too close to call.

    Parameters
    ----------
    merit : array_like of float, shape (n,)
        Calibrated merit (e.g. ``Calibration.merit``).
    merit_se : array_like of float, shape (n,)
        Standard errors of `merit`, >= 0.
    n_funded : int, optional
        Number of awards; the line is the merit of the n-th ranked application. Also sets
        `seats_left_for_band`.
    budget_line : float, optional
        An explicit line score; takes precedence over `n_funded` for the line. One of the two is required.
    z : float, default 1.96
        Interval half-width in standard errors (1.96 ~ 95 % interval).

    Returns
    -------
    FundingLine

    Raises
    ------
    ValueError
        On a length mismatch, NaN/infinite merit or SE, negative SE, negative or NaN `z`, `n_funded`
        outside 1..n, or neither `n_funded` nor `budget_line` given.

    Notes
    -----
    An application is clearly funded if ``merit - z*se > line``, clearly not funded if
    ``merit + z*se < line``, otherwise in the band (so one sitting exactly on the line is in the band).
    Complexity O(n log n) for the ranking.

    Examples
    --------
    >>> fl = funding_line([5.0, 4.0, 3.9, 1.0], [0.1, 0.2, 0.2, 0.1], n_funded=2)
    >>> fl.line, fl.clearly_funded.tolist(), fl.band.tolist(), fl.clearly_not.tolist()
    (4.0, [0], [1, 2], [3])
    >>> fl.seats_left_for_band
    1
    """
    m = np.asarray(merit, dtype=np.float64)
    se = np.asarray(merit_se, dtype=np.float64)
    if m.ndim != 1 or se.ndim != 1:
        raise ValueError("merit and merit_se: expected 1-D arrays.")
    if m.size != se.size:
        raise ValueError(f"merit and merit_se: length mismatch ({m.size} vs {se.size}).")
    if m.size == 0:
        raise ValueError("merit: no applications given.")
    if not np.all(np.isfinite(m)):
        raise ValueError("merit: contains NaN or infinite values; drop unreviewed applications first.")
    if not np.all(np.isfinite(se)):
        raise ValueError("merit_se: contains NaN or infinite values; drop unreviewed applications first.")
    if np.any(se < 0):
        raise ValueError("merit_se: standard errors must be >= 0.")
    if not np.isfinite(z) or z < 0:
        raise ValueError(f"z: must be a finite number >= 0, got {z!r}.")
    if n_funded is not None and not (1 <= int(n_funded) <= m.size):
        raise ValueError(
            f"n_funded: must be between 1 and {m.size} (the number of applications), got {n_funded}."
        )
    order = _merit_order(m)
    if budget_line is not None:
        if not np.isfinite(budget_line):
            raise ValueError("budget_line: must be a finite number.")
        line = float(budget_line)
    elif n_funded is not None:
        line = float(m[order[int(n_funded) - 1]])
    else:
        raise ValueError("funding_line: give n_funded (number of awards) or budget_line (a score).")
    status = np.full(m.size, FundingStatus.BAND, dtype=np.int8)
    status[m - z * se > line] = FundingStatus.FUNDED
    status[m + z * se < line] = FundingStatus.NOT_FUNDED
    ranked_status = status[order]
    clearly = order[ranked_status == FundingStatus.FUNDED]
    seats = None if n_funded is None else max(int(n_funded) - int(clearly.size), 0)
    return FundingLine(
        line=line,
        z=float(z),
        status=_readonly(status),
        clearly_funded=_readonly(clearly),
        band=_readonly(order[ranked_status == FundingStatus.BAND]),
        clearly_not=_readonly(order[ranked_status == FundingStatus.NOT_FUNDED]),
        seats_left_for_band=seats,
    )


def lottery(candidates: npt.ArrayLike, k: int, *, seed: int) -> IntArray:
    """Draw `k` of the candidate indices at random, reproducibly from `seed`.

    Parameters
    ----------
    candidates : array_like of int
        Distinct candidate indices (e.g. ``FundingLine.band``); their order does not matter.
    k : int
        How many to draw, ``0 <= k <= len(candidates)``.
    seed : int
        Non-negative integer seed; publish it with the decision so anyone can re-draw.

    Returns
    -------
    numpy.ndarray of int64, shape (k,)
        The drawn indices in draw order (the first drawn first; useful as a waitlist order).

    Raises
    ------
    ValueError
        On non-integer or duplicate candidates, `k` out of range, or a seed that is not an int >= 0.

    Notes
    -----
    Algorithm, stable so it can be re-run by hand: sort the candidates ascending, then
    ``numpy.random.default_rng(seed).permutation(len(candidates))`` and take the sorted candidates at the
    first k positions of that permutation. default_rng is PCG64 seeded through SeedSequence; numpy keeps
    this stream stable across versions, but record the numpy version with the seed. Complexity O(n log n).

    Examples
    --------
    >>> a = lottery([12, 3, 7, 5], 2, seed=2026)
    >>> b = lottery([5, 7, 3, 12], 2, seed=2026)
    >>> bool((a == b).all()), len(a)
    (True, 2)
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ValueError(f"seed: must be an integer >= 0, got {seed!r}.")
    cand = _as_index_array(
        np.asarray(candidates).ravel() if np.ndim(candidates) == 0 else candidates, "candidates"
    )
    if np.unique(cand).size != cand.size:
        raise ValueError("candidates: contain duplicates; each candidate may appear once.")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not (0 <= int(k) <= cand.size):
        raise ValueError(
            f"k: must be an integer between 0 and {cand.size} (the number of candidates), got {k!r}."
        )
    ordered = np.sort(cand)
    perm = np.random.default_rng(int(seed)).permutation(ordered.size)
    return np.asarray(ordered[perm[: int(k)]], dtype=np.int64)
