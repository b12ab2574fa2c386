"""Tests for mentorfold.engine.srs: FSRS wrapper behaviour, validation and invariants."""

from __future__ import annotations

import doctest
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorfold.engine import srs
from mentorfold.engine.srs import CardState, Rating, due_order, new_card, review

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_doctests_pass() -> None:
    assert doctest.testmod(srs).failed == 0


def test_good_moves_the_due_date_forward() -> None:
    state, due = review(new_card(NOW), Rating.GOOD, NOW)
    later = NOW + timedelta(days=1)
    state2, due2 = review(state, Rating.GOOD, later)
    assert due > NOW
    assert due2 > later
    assert due2 - later > due - NOW


def test_again_brings_a_known_card_back_soon() -> None:
    state, _ = review(new_card(NOW), Rating.EASY, NOW)
    at = NOW + timedelta(days=20)
    good_state, good_due = review(state, Rating.GOOD, at)
    again_state, again_due = review(state, Rating.AGAIN, at)
    assert again_due < good_due
    assert again_due - at <= timedelta(hours=1)
    assert again_state.phase == 3  # relearning
    assert good_state.stability is not None and again_state.stability is not None
    assert again_state.stability < good_state.stability


def test_due_order_puts_most_overdue_first_and_skips_future_cards() -> None:
    dues = [NOW - timedelta(hours=1), NOW + timedelta(days=1), NOW - timedelta(days=3), NOW]
    assert due_order(dues, NOW) == [2, 0, 3]
    assert due_order([], NOW) == []


def test_it_is_deterministic() -> None:
    first = review(new_card(NOW), Rating.HARD, NOW)
    second = review(new_card(NOW), Rating.HARD, NOW)
    assert first == second


@pytest.mark.parametrize("rating", [0, 5, -1, True, 3.0, "3", None])
def test_it_rejects_a_rating_outside_one_to_four(rating: object) -> None:
    with pytest.raises(ValueError, match="rating"):
        review(new_card(NOW), rating, NOW)  # type: ignore[arg-type]


def test_it_rejects_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_card(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        review(new_card(NOW), Rating.GOOD, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        due_order([datetime(2026, 1, 1)], NOW)


def test_it_rejects_inconsistent_states() -> None:
    card = new_card(NOW)
    with pytest.raises(ValueError, match="phase"):
        review(replace(card, phase=7), Rating.GOOD, NOW)
    with pytest.raises(ValueError, match="stability"):
        review(replace(card, phase=2, stability=-1.0, difficulty=5.0), Rating.GOOD, NOW)
    with pytest.raises(ValueError, match="stability"):
        review(replace(card, phase=2, stability=float("nan"), difficulty=5.0), Rating.GOOD, NOW)
    with pytest.raises(ValueError, match="together"):
        review(replace(card, phase=2, stability=2.0), Rating.GOOD, NOW)
    with pytest.raises(ValueError, match="last review"):
        reviewed, _ = review(card, Rating.GOOD, NOW)
        review(reviewed, Rating.GOOD, NOW - timedelta(days=1))


def test_it_accepts_other_time_zones() -> None:
    pacific = timezone(timedelta(hours=-8))
    state, due = review(new_card(NOW.astimezone(pacific)), Rating.GOOD, NOW.astimezone(pacific))
    assert due.tzinfo == UTC
    assert due > NOW


@given(
    ratings=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=12),
    gaps=st.lists(st.integers(min_value=0, max_value=60 * 24 * 90), min_size=12, max_size=12),
)
def test_invariants_hold_for_any_review_history(ratings: list[int], gaps: list[int]) -> None:
    state: CardState = new_card(NOW)
    at = NOW
    for rating, gap in zip(ratings, gaps, strict=False):
        at = at + timedelta(minutes=gap)
        state, due = review(state, rating, at)
        assert due >= at
        assert due == state.due
        assert state.last_review == at
        assert state.stability is not None and state.stability > 0
        assert state.difficulty is not None and 1 <= state.difficulty <= 10
        assert state.phase in (1, 2, 3)


@given(offsets=st.lists(st.integers(min_value=-10_000, max_value=10_000), max_size=40))
def test_due_order_matches_a_sort_oracle(offsets: list[int]) -> None:
    dues = [NOW + timedelta(minutes=m) for m in offsets]
    order = due_order(dues, NOW)
    assert sorted(order) == sorted(i for i, m in enumerate(offsets) if m <= 0)
    assert [dues[i] for i in order] == sorted(dues[i] for i in order)
