"""Survey instruments as code: item definitions, licence notes and the published scoring rules.

Outcome surveys reuse published well-being measures for mentors (Mini-Z 2.0, the Professional Fulfillment
Index, the two single-item burnout measures derived from the Maslach Burnout Inventory) and short in-house
scales for learners. Each instrument is an `Instrument` in `INSTRUMENTS` (items, version, citation, licence;
defined in `instrument_items`) and has one pure `score_*` function here. Answers are a mapping from item id to
the answer code (None or absent = not answered); codes are the positions defined on each `Item`, never free text.

Licensed wording (PFI, MBI) is NOT stored: those items carry a placeholder that the society replaces with the
wording it is licensed to use. Only the scoring rules, which are published facts, live here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "INSTRUMENTS",
    "IN_HOUSE_LICENCE",
    "MBI_LICENCE",
    "MBI_SINGLE_ITEMS_REFERENCE",
    "PLACEHOLDER",
    "MINI_Z_LICENCE",
    "MINI_Z_REFERENCE",
    "PFI_LICENCE",
    "PFI_REFERENCE",
    "SCORERS",
    "BelongingScore",
    "Instrument",
    "IntentScore",
    "Item",
    "MentoringQualityScore",
    "MiniZScore",
    "PFIScore",
    "SingleItemBurnoutScore",
    "score_belonging",
    "score_intent",
    "score_mbi_single_items",
    "score_mentoring_quality",
    "score_mini_z",
    "score_pfi",
]

from .instrument_items import (
    BELONGING,
    IN_HOUSE_LICENCE,
    INSTRUMENTS,
    INTENT,
    MBI_LICENCE,
    MBI_SINGLE_ITEMS,
    MBI_SINGLE_ITEMS_REFERENCE,
    MENTORING_QUALITY,
    MINI_Z,
    MINI_Z_LICENCE,
    MINI_Z_REFERENCE,
    PFI,
    PFI_LICENCE,
    PFI_REFERENCE,
    PLACEHOLDER,
    Instrument,
    Item,
)


def _read(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int | None]:
    """Validate answers against the items; return every scored item's code (None when not answered)."""
    if not isinstance(answers, Mapping):
        raise ValueError(f"answers: expected a mapping of item id to answer, got {type(answers).__name__}.")
    known = {item.id: item for item in instrument.items}
    codes: dict[str, int | None] = {item.id: None for item in instrument.items if item.scored}
    for key, value in answers.items():
        item = known.get(key) if isinstance(key, str) else None
        if item is None:
            raise ValueError(
                f"answers: {key!r} is not an item of {instrument.key!r}; expected one of "
                f"{', '.join(instrument.item_ids)}."
            )
        if value is None:
            continue
        if not item.scored:
            if not isinstance(value, str):
                raise ValueError(f"answers[{key!r}]: expected text or None, got {value!r}.")
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"answers[{key!r}]: expected a whole number from {item.min_value} to {item.max_value}, "
                f"got {value!r}."
            )
        if not (item.min_value <= value <= item.max_value):
            raise ValueError(
                f"answers[{key!r}]: {value} is out of range; use a whole number from {item.min_value} to "
                f"{item.max_value}."
            )
        codes[key] = int(value)
    return codes


def _aligned(item: Item, code: int) -> int:
    """The code turned so that higher is better on the summary score."""
    return item.min_value + item.max_value - code if item.reverse else code


def _aligned_or_none(item: Item, code: int | None) -> int | None:
    return None if code is None else _aligned(item, code)


def _mean_if(values: list[int | None], max_missing: int) -> float | None:
    """Mean of the answered values, or None when more than `max_missing` (or all) are missing."""
    present = [v for v in values if v is not None]
    if not present or len(values) - len(present) > max_missing:
        return None
    return sum(present) / len(present)


# --- Mini-Z 2.0 -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MiniZScore:
    """Scored Mini-Z 2.0 answers.

    Attributes
    ----------
    burned_out : bool or None
        Burnout item (item 3) at 3 or above: "I am definitely burning out" or worse. None if unanswered.
    satisfied : bool or None
        Item 1 "Agree" or "Strongly agree". None if unanswered.
    high_stress : bool or None
        Item 2 "Agree" or "Strongly agree". None if unanswered.
    supportive_work_environment : int or None
        Sum of aligned items 1-5, 5-25; None if any of them is missing.
    work_pace_and_emr_stress : int or None
        Sum of aligned items 6-10, 5-25; None if any of them is missing.
    joy : int or None
        Total "joy in medicine" score, 10-50: sum of all ten aligned items; None if any item is missing.
    is_joyful_workplace : bool or None
        ``joy >= 40``; None when `joy` is None.
    n_answered : int
        Items answered, 0-10.
    """

    burned_out: bool | None
    satisfied: bool | None
    high_stress: bool | None
    supportive_work_environment: int | None
    work_pace_and_emr_stress: int | None
    joy: int | None
    is_joyful_workplace: bool | None
    n_answered: int


def score_mini_z(answers: Mapping[str, int | None]) -> MiniZScore:
    """Score Mini-Z 2.0: burnout, satisfaction and stress flags, two subscales and the joy score.

    Parameters
    ----------
    answers : mapping of str to int or None
        ``"mini_z_1"`` ... ``"mini_z_10"`` to the answer code 1-5, the position of the chosen option in
        ``INSTRUMENTS["mini_z"].item(id).options``. None or absent means not answered.

    Returns
    -------
    MiniZScore

    Raises
    ------
    ValueError
        If a key is not a Mini-Z item or a code is not a whole number from 1 to 5.

    Notes
    -----
    Codes follow the printed option order: agreement items 1 = strongly disagree ... 5 = strongly agree;
    quality items 1 = poor ... 5 = optimal; burnout 1 = "I enjoy my work" ... 5 = "completely burned out";
    atmosphere 1 = calm ... 5 = hectic, chaotic; EMR time at home 1 = excessive ... 5 = minimal/none.

    Single-item outcomes, as published: burned out = burnout item >= 3; satisfied = item 1 agree or strongly
    agree (>= 4); high stress = item 2 agree or strongly agree (>= 4). Each is scored whenever its own item
    is answered.

    Summary scores follow Mini-Z 2.0, which aligns every item so that 5 is the best answer: stress (2),
    burnout (3), atmosphere (8) and EMR frustration (10) are reversed (``6 - code``). Supportive work
    environment = items 1-5 summed (5-25; >= 20 is "highly supportive"), work pace and EMR stress = items
    6-10 summed (5-25; >= 20 is "reasonable"), joy = all ten summed (10-50; >= 40 is a "joyful workplace").
    Missing-item rule: a sum is reported only when every item in it is answered, because published
    thresholds are on complete sums. O(1).

    Examples
    --------
    >>> s = score_mini_z({"mini_z_1": 4, "mini_z_2": 2, "mini_z_3": 1, "mini_z_4": 4, "mini_z_5": 4,
    ...                   "mini_z_6": 4, "mini_z_7": 4, "mini_z_8": 3, "mini_z_9": 4, "mini_z_10": 2})
    >>> s.burned_out, s.satisfied, s.high_stress, s.joy, s.is_joyful_workplace
    (False, True, False, 40, True)
    >>> score_mini_z({"mini_z_3": 3}).burned_out, score_mini_z({"mini_z_3": 3}).joy
    (True, None)
    """
    codes = _read(MINI_Z, answers)
    items = MINI_Z.items

    def at_least(item_id: str, cut: int) -> bool | None:
        code = codes[item_id]
        return None if code is None else code >= cut

    def total(selected: tuple[Item, ...]) -> int | None:
        values = [codes[item.id] for item in selected]
        if any(v is None for v in values):
            return None
        return sum(_aligned(item, v) for item, v in zip(selected, values, strict=True) if v is not None)

    joy = total(items)
    return MiniZScore(
        burned_out=at_least("mini_z_3", 3),
        satisfied=at_least("mini_z_1", 4),
        high_stress=at_least("mini_z_2", 4),
        supportive_work_environment=total(items[:5]),
        work_pace_and_emr_stress=total(items[5:]),
        joy=joy,
        is_joyful_workplace=None if joy is None else joy >= 40,
        n_answered=sum(v is not None for v in codes.values()),
    )


# --- MBI-derived single items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SingleItemBurnoutScore:
    """Scored single-item emotional exhaustion (EE) and depersonalisation (DP).

    Attributes
    ----------
    emotional_exhaustion, depersonalisation : int or None
        The answer codes, 0 (never) to 6 (every day).
    high_exhaustion, high_depersonalisation : bool or None
        Code >= 4: once a week or more often. None if unanswered.
    burned_out : bool or None
        High EE or high DP. True as soon as one is high; None when neither is high and one is unanswered.
    """

    emotional_exhaustion: int | None
    depersonalisation: int | None
    high_exhaustion: bool | None
    high_depersonalisation: bool | None
    burned_out: bool | None


def score_mbi_single_items(answers: Mapping[str, int | None]) -> SingleItemBurnoutScore:
    """Score the single-item EE and DP burnout measures (West et al. 2009, 2012).

    Parameters
    ----------
    answers : mapping of str to int or None
        ``"mbi_ee"`` and ``"mbi_dp"`` to a frequency code 0-6: 0 never, 1 a few times a year or less,
        2 once a month or less, 3 a few times a month, 4 once a week, 5 a few times a week, 6 every day.

    Returns
    -------
    SingleItemBurnoutScore

    Raises
    ------
    ValueError
        If a key is not one of the two items or a code is not a whole number from 0 to 6.

    Notes
    -----
    West et al. classify each item as high at a frequency of once a week or more (code >= 4), and burnout as
    high EE or high DP (2012, the definition used in national physician surveys). Missing items follow
    three-valued logic: one high item is enough for burned out; otherwise an unanswered item leaves it
    unknown (None). The item wording is licensed (Mind Garden) and is not stored. O(1).

    Examples
    --------
    >>> s = score_mbi_single_items({"mbi_ee": 4, "mbi_dp": 1})
    >>> s.high_exhaustion, s.high_depersonalisation, s.burned_out
    (True, False, True)
    >>> score_mbi_single_items({"mbi_ee": 3}).burned_out is None
    True
    """
    codes = _read(MBI_SINGLE_ITEMS, answers)
    ee, dp = codes["mbi_ee"], codes["mbi_dp"]
    high_ee = None if ee is None else ee >= 4
    high_dp = None if dp is None else dp >= 4
    if high_ee or high_dp:
        burned_out: bool | None = True
    elif high_ee is None or high_dp is None:
        burned_out = None
    else:
        burned_out = False
    return SingleItemBurnoutScore(
        emotional_exhaustion=ee,
        depersonalisation=dp,
        high_exhaustion=high_ee,
        high_depersonalisation=high_dp,
        burned_out=burned_out,
    )


# --- Professional Fulfillment Index ---------------------------------------------------------------------

PFI_FULFILMENT_CUTOFF = 3.0
PFI_BURNOUT_CUTOFF = 1.33


@dataclass(frozen=True)
class PFIScore:
    """Scored Professional Fulfillment Index; all scale scores are mean item scores from 0 to 4.

    Attributes
    ----------
    professional_fulfilment : float or None
        Mean of items 1-6 (higher = more fulfilled).
    work_exhaustion : float or None
        Mean of items 7-10.
    interpersonal_disengagement : float or None
        Mean of items 11-16.
    burnout : float or None
        Mean of the answered items 7-16 (burnout composite), scored when both burnout subscales are.
    is_professionally_fulfilled : bool or None
        ``professional_fulfilment >= 3.0``.
    is_burned_out : bool or None
        ``burnout >= 1.33``.
    """

    professional_fulfilment: float | None
    work_exhaustion: float | None
    interpersonal_disengagement: float | None
    burnout: float | None
    is_professionally_fulfilled: bool | None
    is_burned_out: bool | None


def score_pfi(answers: Mapping[str, int | None]) -> PFIScore:
    """Score the Professional Fulfillment Index (Trockel et al. 2018).

    Parameters
    ----------
    answers : mapping of str to int or None
        ``"pfi_1"`` ... ``"pfi_16"`` to codes 0-4 as printed on the form: items 1-6 from 0 "not at all true"
        to 4 "completely true", items 7-16 from 0 "not at all" to 4 "extremely".

    Returns
    -------
    PFIScore

    Raises
    ------
    ValueError
        If a key is not a PFI item or a code is not a whole number from 0 to 4.

    Notes
    -----
    Scale scores are the mean item score (0-4), as in Trockel et al. 2018; multiply by 25 for the 0-100
    presentation some reports use. Professional fulfilment = items 1-6; work exhaustion = items 7-10;
    interpersonal disengagement = items 11-16; the burnout composite is the mean of items 7-16 (all ten
    items, not the mean of the two subscale means). Cut-offs from the paper: fulfilment >= 3.0 is
    "professionally fulfilled", burnout composite >= 1.33 is "burned out"; both compare the unrounded mean.
    No item is reverse-scored; higher burnout scores are worse.

    Missing-item rule (ours, stated in the report): a subscale is scored when at most one of its items is
    missing, as the mean of the rest; otherwise None. The burnout composite needs both work exhaustion and
    interpersonal disengagement to be scorable, and then averages every answered item 7-16. O(1).

    Examples
    --------
    >>> answers = {f"pfi_{i}": 3 for i in range(1, 7)} | {f"pfi_{i}": 1 for i in range(7, 17)}
    >>> s = score_pfi(answers)
    >>> s.professional_fulfilment, s.burnout, s.is_professionally_fulfilled, s.is_burned_out
    (3.0, 1.0, True, False)
    >>> answers["pfi_7"] = answers["pfi_8"] = None
    >>> score_pfi(answers).work_exhaustion is None, score_pfi(answers).burnout is None
    (True, True)
    """
    codes = _read(PFI, answers)
    values = [codes[f"pfi_{i}"] for i in range(1, 17)]
    fulfilment = _mean_if(values[:6], 1)
    exhaustion = _mean_if(values[6:10], 1)
    disengagement = _mean_if(values[10:], 1)
    burnout = None
    if exhaustion is not None and disengagement is not None:
        burnout = _mean_if(values[6:], 10)
    return PFIScore(
        professional_fulfilment=fulfilment,
        work_exhaustion=exhaustion,
        interpersonal_disengagement=disengagement,
        burnout=burnout,
        is_professionally_fulfilled=None if fulfilment is None else fulfilment >= PFI_FULFILMENT_CUTOFF,
        is_burned_out=None if burnout is None else burnout >= PFI_BURNOUT_CUTOFF,
    )


# --- In-house learner scales ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BelongingScore:
    """Sense of belonging (in-house): mean 1-5 with item 4 reversed, None with fewer than 4 answers."""

    score: float | None
    n_answered: int


def score_belonging(answers: Mapping[str, int | None]) -> BelongingScore:
    """Score the in-house 5-item sense-of-belonging-in-health-care scale.

    Parameters
    ----------
    answers : mapping of str to int or None
        ``"belonging_1"`` ... ``"belonging_5"`` to codes 1 (strongly disagree) to 5 (strongly agree).

    Returns
    -------
    BelongingScore

    Raises
    ------
    ValueError
        If a key is not a belonging item or a code is not a whole number from 1 to 5.

    Notes
    -----
    In-house scale, not validated. Item 4 ("I feel like an outsider ...") is reverse-scored (``6 - code``)
    so that higher always means more belonging. Score = mean of the answered items, reported when at least
    4 of the 5 are answered. O(1).

    Examples
    --------
    >>> score_belonging({"belonging_1": 4, "belonging_2": 5, "belonging_3": 3, "belonging_4": 2}).score
    4.0
    >>> score_belonging({"belonging_1": 4, "belonging_2": 5, "belonging_3": 3}).score is None
    True
    """
    codes = _read(BELONGING, answers)
    aligned = [_aligned_or_none(item, codes[item.id]) for item in BELONGING.items]
    return BelongingScore(score=_mean_if(aligned, 1), n_answered=sum(v is not None for v in aligned))


@dataclass(frozen=True)
class IntentScore:
    """Intent to pursue a health career (in-house single item).

    Attributes
    ----------
    likelihood : int or None
        Code 1 (very unlikely) to 5 (very likely).
    intends : bool or None
        "Likely" or "very likely" (>= 4).
    career : str or None
        The free-text career named, kept as given (stripped; empty becomes None); not scored.
    """

    likelihood: int | None
    intends: bool | None
    career: str | None


def score_intent(answers: Mapping[str, int | str | None]) -> IntentScore:
    """Score the in-house intent-to-pursue-a-health-career item.

    Parameters
    ----------
    answers : mapping of str to int, str or None
        ``"intent_1"`` to a code 1-5; optional ``"intent_career"`` to free text.

    Returns
    -------
    IntentScore

    Raises
    ------
    ValueError
        If a key is not an intent item, the code is not a whole number from 1 to 5, or the career is not
        text.

    Notes
    -----
    In-house single item. Intends = code 4 ("likely") or 5 ("very likely"). The career answer is returned
    for display and never scored. O(1).

    Examples
    --------
    >>> score_intent({"intent_1": 4, "intent_career": " Nursing "})
    IntentScore(likelihood=4, intends=True, career='Nursing')
    """
    codes = _read(INTENT, answers)
    likelihood = codes["intent_1"]
    raw_career = answers.get("intent_career")
    career = (raw_career.strip() or None) if isinstance(raw_career, str) else None
    return IntentScore(
        likelihood=likelihood,
        intends=None if likelihood is None else likelihood >= 4,
        career=career,
    )


@dataclass(frozen=True)
class MentoringQualityScore:
    """Mentoring quality (in-house): mean 1-5, None with fewer than 5 of 6 answers."""

    score: float | None
    n_answered: int


def score_mentoring_quality(answers: Mapping[str, int | None]) -> MentoringQualityScore:
    """Score the in-house 6-item mentoring-quality scale.

    Parameters
    ----------
    answers : mapping of str to int or None
        ``"mentoring_1"`` ... ``"mentoring_6"`` to codes 1 (strongly disagree) to 5 (strongly agree).

    Returns
    -------
    MentoringQualityScore

    Raises
    ------
    ValueError
        If a key is not a mentoring item or a code is not a whole number from 1 to 5.

    Notes
    -----
    In-house scale, not validated; no reversed items. Score = mean of the answered items, reported when at
    least 5 of the 6 are answered. O(1).

    Examples
    --------
    >>> score_mentoring_quality({f"mentoring_{i}": 4 for i in range(1, 6)} | {"mentoring_6": None}).score
    4.0
    """
    codes = _read(MENTORING_QUALITY, answers)
    values = [codes[item.id] for item in MENTORING_QUALITY.items]
    return MentoringQualityScore(score=_mean_if(values, 1), n_answered=sum(v is not None for v in values))


SCORERS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "mini_z": score_mini_z,
    "mbi_single_items": score_mbi_single_items,
    "pfi": score_pfi,
    "belonging": score_belonging,
    "intent": score_intent,
    "mentoring_quality": score_mentoring_quality,
}
