from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorfold.engine.calibrate import (
    DisconnectedDesignWarning,
    FundingStatus,
    Reviews,
    funding_line,
    lottery,
    reviewer_offsets,
)


def simulate(
    seed: int,
    n_apps: int = 400,
    n_reviewers: int = 60,
    per_app: int = 3,
    leniency_sd: float = 0.8,
    noise_sd: float = 0.6,
) -> tuple[Reviews, np.ndarray, np.ndarray]:
    """Random overlapping assignment: every application gets `per_app` distinct random reviewers."""
    rng = np.random.default_rng(seed)
    merit = rng.normal(0.0, 1.0, n_apps)
    leniency = rng.normal(0.0, leniency_sd, n_reviewers)
    app = np.repeat(np.arange(n_apps), per_app)
    rev = np.concatenate([rng.choice(n_reviewers, per_app, replace=False) for _ in range(n_apps)])
    score = merit[app] + leniency[rev] + rng.normal(0.0, noise_sd, app.size)
    return Reviews(app, rev, score), merit, leniency


def top_overlap(estimate: np.ndarray, truth: np.ndarray, fraction: float = 0.2) -> float:
    k = int(round(fraction * truth.size))
    return len(set(np.argsort(-estimate)[:k]) & set(np.argsort(-truth)[:k])) / k


def dense_oracle(
    reviews: Reviews, n_apps: int, n_rev: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain dense least squares with a sum-to-zero contrast basis for offsets (connected designs only)."""
    a = np.zeros((reviews.score.size, n_apps))
    a[np.arange(reviews.score.size), reviews.application] = 1
    r = np.zeros((reviews.score.size, n_rev))
    r[np.arange(reviews.score.size), reviews.reviewer] = 1
    contrast = np.vstack([np.eye(n_rev - 1), -np.ones((1, n_rev - 1))])  # offsets = contrast @ theta
    x = np.hstack([a, r @ contrast])
    coef, *_ = np.linalg.lstsq(x, reviews.score, rcond=None)
    resid = reviews.score - x @ coef
    sigma2 = resid @ resid / (x.shape[0] - x.shape[1])
    cov = sigma2 * np.linalg.inv(x.T @ x)
    offset = contrast @ coef[n_apps:]
    offset_cov = contrast @ cov[n_apps:, n_apps:] @ contrast.T
    return coef[:n_apps], np.sqrt(np.diag(cov)[:n_apps]), offset, np.sqrt(np.diag(offset_cov))


# --- reviewer_offsets -------------------------------------------------------------------------------


def test_it_recovers_offsets_exactly_without_noise() -> None:
    reviews, merit, leniency = simulate(7, n_apps=30, n_reviewers=6, noise_sd=0.0)
    cal = reviewer_offsets(reviews)
    centred = leniency - leniency.mean()
    np.testing.assert_allclose(cal.offset, centred, atol=1e-9)
    np.testing.assert_allclose(cal.merit, merit + leniency.mean(), atol=1e-9)
    assert cal.residual_sd == pytest.approx(0.0, abs=1e-7)


def test_it_matches_dense_least_squares_estimates_and_standard_errors() -> None:
    reviews, _, _ = simulate(3, n_apps=40, n_reviewers=8)
    cal = reviewer_offsets(reviews)
    merit, merit_se, offset, offset_se = dense_oracle(reviews, 40, 8)
    np.testing.assert_allclose(cal.merit, merit, atol=1e-8)
    np.testing.assert_allclose(cal.merit_se, merit_se, rtol=1e-6)
    np.testing.assert_allclose(cal.offset, offset, atol=1e-8)
    np.testing.assert_allclose(cal.offset_se, offset_se, rtol=1e-6)
    assert cal.is_connected


def test_calibrated_ranking_recovers_true_top_fifth_better_than_raw_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    raw, calibrated = [], []
    for seed in range(8):
        reviews, merit, _ = simulate(seed)
        cal = reviewer_offsets(reviews)
        raw.append(top_overlap(cal.raw_mean, merit))
        calibrated.append(top_overlap(cal.merit, merit))
    with capsys.disabled():
        print(
            f"\ntop-20% overlap over 8 seeds: raw mean {np.mean(raw):.3f}, calibrated {np.mean(calibrated):.3f}"
        )
    assert np.mean(calibrated) > np.mean(raw) + 0.03


def test_standard_errors_cover_true_merit_about_95_percent() -> None:
    covered = []
    for seed in range(3):
        reviews, merit, leniency = simulate(100 + seed, n_apps=1500, n_reviewers=80)
        cal = reviewer_offsets(reviews)
        # Offsets sum to zero, so the estimate targets merit + mean leniency.
        target = merit + leniency.mean()
        covered.append(np.mean(np.abs(cal.merit - target) <= 1.96 * cal.merit_se))
    assert 0.88 <= np.mean(covered) <= 0.99


def test_it_accepts_a_plain_tuple_and_gives_calibrated_scores() -> None:
    cal = reviewer_offsets(([0, 0, 1, 1], [0, 1, 0, 1], [4.0, 2.0, 5.0, 3.0]))
    np.testing.assert_allclose(cal.offset, [1.0, -1.0])
    np.testing.assert_allclose(cal.calibrated_scores(), [3.0, 3.0, 4.0, 4.0])
    np.testing.assert_allclose(cal.raw_mean, [3.0, 4.0])
    assert cal.n_reviews_per_application.tolist() == [2, 2]


def test_unreviewed_applications_and_idle_reviewers_are_marked() -> None:
    cal = reviewer_offsets(
        ([0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 0], [4.0, 2.0, 5.0, 3.0, 3.5, 4.0]),
        n_applications=4,
        n_reviewers=3,
    )
    assert np.isnan(cal.merit[3]) and np.isnan(cal.merit_se[3]) and np.isnan(cal.raw_mean[3])
    assert cal.offset[2] == 0.0 and np.isnan(cal.offset_se[2])
    assert cal.components[2] == -1 and cal.application_components[3] == -1
    assert cal.n_components == 1


def test_disconnected_design_warns_and_centres_each_component() -> None:
    # Reviewers {0, 1} only see applications {0, 1}; reviewers {2, 3} only see {2, 3}.
    app = [0, 0, 1, 1, 2, 2, 3, 3]
    rev = [0, 1, 0, 1, 2, 3, 2, 3]
    score = [4.0, 3.0, 5.0, 3.5, 2.0, 4.0, 3.0, 4.5]
    with pytest.warns(DisconnectedDesignWarning, match="2 groups"):
        cal = reviewer_offsets((app, rev, score))
    assert cal.n_components == 2 and not cal.is_connected
    assert cal.components[0] == cal.components[1] != cal.components[2] == cal.components[3]
    assert cal.offset[:2].sum() == pytest.approx(0.0, abs=1e-12)
    assert cal.offset[2:].sum() == pytest.approx(0.0, abs=1e-12)


def test_connected_design_does_not_warn() -> None:
    reviews, _, _ = simulate(1, n_apps=50, n_reviewers=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reviewer_offsets(reviews)


def test_ridge_shrinks_offsets_toward_zero() -> None:
    reviews, _, _ = simulate(2, n_apps=60, n_reviewers=12)
    plain = reviewer_offsets(reviews)
    shrunk = reviewer_offsets(reviews, ridge=5.0)
    assert np.linalg.norm(shrunk.offset) < np.linalg.norm(plain.offset)
    assert shrunk.offset.sum() == pytest.approx(0.0, abs=1e-9)
    assert np.all(shrunk.offset_se <= plain.offset_se + 1e-12)


def test_it_is_deterministic() -> None:
    reviews, _, _ = simulate(5, n_apps=100, n_reviewers=20)
    a, b = reviewer_offsets(reviews), reviewer_offsets(reviews)
    assert np.array_equal(a.merit, b.merit) and np.array_equal(a.merit_se, b.merit_se)


@pytest.mark.parametrize(
    ("scores", "kwargs", "match"),
    [
        (([0, 1], [0, 1, 1], [1.0, 2.0]), {}, "length mismatch"),
        (([0, 1], [0, 1], [1.0, np.nan]), {}, "NaN"),
        (([0, 1], [0, 1], [1.0, np.inf]), {}, "NaN or infinite"),
        (([0, 0], [1, 1], [1.0, 2.0]), {}, "duplicate"),
        (([0, 5], [0, 1], [1.0, 2.0]), {"n_applications": 3}, "application index 5 is out of range"),
        (([0, 1], [0, 4], [1.0, 2.0]), {"n_reviewers": 2}, "reviewer index 4 is out of range"),
        (([0, -1], [0, 1], [1.0, 2.0]), {}, "negative"),
        (([0, 1.5], [0, 1], [1.0, 2.0]), {}, "integer"),
        (([], [], []), {}, "no reviews"),
        (([0, 1], [0, 1], [1.0, 2.0]), {"ridge": -1.0}, "ridge"),
        ([[0, 1], [0, 1], [1.0, 2.0]], {}, "Reviews"),
    ],
)
def test_reviewer_offsets_rejects_bad_input(scores: object, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        reviewer_offsets(scores, **kwargs)  # type: ignore[arg-type]


# --- funding_line -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    data=st.lists(
        st.tuples(st.floats(-5, 5, allow_nan=False), st.floats(0, 2, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    n_funded_frac=st.floats(0, 1),
    z=st.sampled_from([0.0, 1.0, 1.96]),
)
def test_funding_line_classes_are_consistent(
    data: list[tuple[float, float]], n_funded_frac: float, z: float
) -> None:
    merit = np.array([m for m, _ in data])
    se = np.array([s for _, s in data])
    n_funded = max(1, int(round(n_funded_frac * merit.size)))
    fl = funding_line(merit, se, n_funded=n_funded, z=z)
    assert fl.line == np.sort(merit)[::-1][n_funded - 1]
    assert np.all(merit[fl.clearly_funded] - z * se[fl.clearly_funded] > fl.line)
    assert np.all(merit[fl.clearly_not] + z * se[fl.clearly_not] < fl.line)
    band = fl.band
    assert np.all((merit[band] - z * se[band] <= fl.line) & (merit[band] + z * se[band] >= fl.line))
    assert fl.clearly_funded.size + fl.band.size + fl.clearly_not.size == merit.size
    assert sorted(np.concatenate([fl.clearly_funded, fl.band, fl.clearly_not]).tolist()) == list(
        range(merit.size)
    )
    assert np.all(fl.status[fl.clearly_funded] == FundingStatus.FUNDED)
    assert np.all(fl.status[fl.band] == FundingStatus.BAND)
    assert fl.clearly_funded.size < n_funded or n_funded == 0
    assert fl.seats_left_for_band == n_funded - fl.clearly_funded.size
    # The n-th ranked application sits on the line, so the band is never empty.
    assert fl.band.size >= 1


def test_funding_line_with_an_explicit_score() -> None:
    fl = funding_line([5.0, 4.0, 3.0], [0.1, 0.1, 0.1], budget_line=3.5)
    assert fl.line == 3.5
    assert fl.clearly_funded.tolist() == [0, 1] and fl.clearly_not.tolist() == [2]
    assert fl.seats_left_for_band is None


def test_funding_line_orders_each_class_by_merit() -> None:
    fl = funding_line([1.0, 9.0, 5.0, 8.0], [0.0, 0.0, 0.0, 0.0], budget_line=2.0)
    assert fl.clearly_funded.tolist() == [1, 3, 2]


@pytest.mark.parametrize(
    ("merit", "se", "kwargs", "match"),
    [
        ([1.0, 2.0], [0.1], {"n_funded": 1}, "length mismatch"),
        ([1.0, np.nan], [0.1, 0.1], {"n_funded": 1}, "merit: contains NaN"),
        ([1.0, 2.0], [0.1, np.nan], {"n_funded": 1}, "merit_se: contains NaN"),
        ([1.0, 2.0], [0.1, -0.1], {"n_funded": 1}, ">= 0"),
        ([1.0, 2.0], [0.1, 0.1], {"n_funded": 3}, "n_funded"),
        ([1.0, 2.0], [0.1, 0.1], {"n_funded": 0}, "n_funded"),
        ([1.0, 2.0], [0.1, 0.1], {}, "give n_funded"),
        ([1.0, 2.0], [0.1, 0.1], {"n_funded": 1, "z": -1.0}, "z"),
        ([], [], {"n_funded": 1}, "no applications"),
    ],
)
def test_funding_line_rejects_bad_input(
    merit: list[float], se: list[float], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        funding_line(merit, se, **kwargs)  # type: ignore[arg-type]


# --- lottery ----------------------------------------------------------------------------------------


def test_lottery_is_reproducible_and_ignores_input_order() -> None:
    candidates = [41, 7, 19, 3, 28, 11, 5]
    first = lottery(candidates, 3, seed=2026)
    again = lottery(candidates, 3, seed=2026)
    shuffled = lottery(list(reversed(candidates)), 3, seed=2026)
    assert first.tolist() == again.tolist() == shuffled.tolist()
    assert set(first.tolist()) <= set(candidates) and len(set(first.tolist())) == 3


def test_lottery_draw_is_pinned_for_a_published_seed() -> None:
    # The documented algorithm: sort, then default_rng(seed).permutation, take the first k.
    expected = np.sort([41, 7, 19, 3, 28, 11, 5])[np.random.default_rng(2026).permutation(7)[:3]]
    assert lottery([41, 7, 19, 3, 28, 11, 5], 3, seed=2026).tolist() == expected.tolist()
    assert lottery(np.arange(10), 4, seed=1).tolist() == [8, 4, 7, 0]


def test_lottery_different_seeds_give_different_draws() -> None:
    draws = {tuple(lottery(np.arange(20), 5, seed=s).tolist()) for s in range(6)}
    assert len(draws) >= 5


def test_lottery_edges() -> None:
    assert lottery([3, 1, 2], 0, seed=0).tolist() == []
    assert sorted(lottery([3, 1, 2], 3, seed=0).tolist()) == [1, 2, 3]
    assert lottery(np.array([], dtype=np.int64), 0, seed=0).size == 0


@pytest.mark.parametrize(
    ("candidates", "k", "seed", "match"),
    [
        ([1, 2, 3], 4, 0, "k: must be"),
        ([1, 2, 3], -1, 0, "k: must be"),
        ([1, 2, 3], 1, -1, "seed"),
        ([1, 2, 3], 1, 1.5, "seed"),
        ([1, 2, 3], 1, True, "seed"),
        ([1, 2, 2], 1, 0, "duplicates"),
        ([1.5, 2.0], 1, 0, "integer"),
    ],
)
def test_lottery_rejects_bad_input(candidates: list[float], k: int, seed: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lottery(candidates, k, seed=seed)


def test_docstring_examples_run() -> None:
    import doctest

    from mentorfold.engine import calibrate

    result = doctest.testmod(calibrate)
    assert result.attempted > 0 and result.failed == 0
