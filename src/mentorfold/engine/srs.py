"""Spaced-repetition scheduling for flashcards: a small typed wrapper around the ``fsrs`` package.

The web app stores a card's :class:`CardState` in plain columns and asks this module when the card is next
due. No Django here; fuzzing is off so that the same reviews always give the same schedule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

from fsrs import Card, Scheduler, State
from fsrs import Rating as _FsrsRating

__all__ = ["CardState", "Rating", "due_order", "new_card", "review"]

_SCHEDULER = Scheduler(enable_fuzzing=False)


class Rating(IntEnum):
    """How well the learner remembered: the four buttons of the review page (keys 1–4)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


@dataclass(frozen=True)
class CardState:
    """Everything FSRS needs to know about one card between reviews.

    ``phase`` is 1 (learning), 2 (review) or 3 (relearning); ``stability`` (days) and ``difficulty`` (1–10)
    are None until the first review.
    """

    phase: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


def _check_now(now: datetime) -> datetime:
    if not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return now.astimezone(UTC)


def new_card(now: datetime) -> CardState:
    """A card never reviewed, due at ``now``.

    Parameters
    ----------
    now : datetime
        Timezone-aware creation time.

    Returns
    -------
    CardState
        Phase 1 (learning), step 0, no stability or difficulty yet.

    Raises
    ------
    ValueError
        If ``now`` is naive or not a datetime.

    Notes
    -----
    O(1).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> card = new_card(datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> card.phase, card.stability
    (1, None)
    """
    at = _check_now(now)
    return CardState(phase=1, step=0, stability=None, difficulty=None, due=at, last_review=None)


def _validate_state(card_state: CardState) -> None:
    if not isinstance(card_state, CardState):
        raise ValueError(f"card_state must be a CardState, got {type(card_state).__name__}")
    if card_state.phase not in (1, 2, 3):
        raise ValueError(f"card_state.phase must be 1, 2 or 3, got {card_state.phase!r}")
    for name in ("stability", "difficulty"):
        value = getattr(card_state, name)
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError(f"card_state.{name} must be a positive finite number, got {value!r}")
    if (card_state.stability is None) != (card_state.difficulty is None):
        raise ValueError("card_state.stability and card_state.difficulty are set together or not at all")
    _check_now(card_state.due)
    if card_state.last_review is not None:
        _check_now(card_state.last_review)


def review(card_state: CardState, rating: int, now: datetime) -> tuple[CardState, datetime]:
    """Record one review and say when the card is due next.

    Parameters
    ----------
    card_state : CardState
        The card before this review (from :func:`new_card` or a previous :func:`review`).
    rating : int
        1 again, 2 hard, 3 good, 4 easy (see :class:`Rating`).
    now : datetime
        Timezone-aware time of the review.

    Returns
    -------
    tuple of (CardState, datetime)
        The new state and its due time; the due time is never before ``now`` and stability is positive.

    Raises
    ------
    ValueError
        If the rating is not 1–4, ``now`` is naive, or the state is inconsistent (negative stability...).

    Notes
    -----
    O(1): one FSRS step with fuzzing off, so the result depends only on the arguments.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> state, due = review(new_card(now), Rating.GOOD, now)
    >>> due > now and state.stability > 0
    True
    """
    at = _check_now(now)
    _validate_state(card_state)
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in (1, 2, 3, 4):
        raise ValueError(f"rating must be 1 (again), 2 (hard), 3 (good) or 4 (easy), got {rating!r}")
    card = Card(
        card_id=1,
        state=State(card_state.phase),
        step=card_state.step,
        stability=card_state.stability,
        difficulty=card_state.difficulty,
        due=card_state.due.astimezone(UTC),
        last_review=None if card_state.last_review is None else card_state.last_review.astimezone(UTC),
    )
    if card.last_review is not None and card.last_review > at:
        raise ValueError("now is before the card's last review")
    updated, _log = _SCHEDULER.review_card(card, _FsrsRating(rating), review_datetime=at)
    due = max(updated.due, at)
    result = CardState(
        phase=int(updated.state),
        step=updated.step,
        stability=updated.stability,
        difficulty=updated.difficulty,
        due=due,
        last_review=at,
    )
    return result, due


def due_order(dues: Sequence[datetime], now: datetime) -> list[int]:
    """Indices of the cards due at ``now``, most overdue first (ties keep their input order).

    Parameters
    ----------
    dues : sequence of datetime
        Each card's timezone-aware due time.
    now : datetime
        Timezone-aware current time.

    Returns
    -------
    list of int
        Indices ``i`` with ``dues[i] <= now``, sorted by ``dues[i]`` ascending.

    Raises
    ------
    ValueError
        If ``now`` or any due time is naive.

    Notes
    -----
    O(n log n).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> now = datetime(2026, 1, 10, tzinfo=timezone.utc)
    >>> due_order([now - timedelta(days=1), now + timedelta(days=1), now - timedelta(days=5)], now)
    [2, 0]
    """
    at = _check_now(now)
    checked = [_check_now(due) for due in dues]
    due_now = [i for i, due in enumerate(checked) if due <= at]
    return sorted(due_now, key=lambda i: checked[i])
