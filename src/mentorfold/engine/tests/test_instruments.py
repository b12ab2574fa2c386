from __future__ import annotations

import dataclasses
import doctest
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorfold.engine import instruments
from mentorfold.engine.instruments import (
    INSTRUMENTS,
    PLACEHOLDER,
    SCORERS,
    Instrument,
    Item,
    score_belonging,
    score_intent,
    score_mbi_single_items,
    score_mentoring_quality,
    score_mini_z,
    score_pfi,
)


def test_doctests_pass() -> None:
    assert doctest.testmod(instruments).failed == 0


# --- Definitions ----------------------------------------------------------------------------------------


def test_every_instrument_has_version_citation_licence_and_a_scorer() -> None:
    assert (
        set(INSTRUMENTS)
        == set(SCORERS)
        == {
            "mini_z",
            "mbi_single_items",
            "pfi",
            "belonging",
            "intent",
            "mentoring_quality",
        }
    )
    for key, instrument in INSTRUMENTS.items():
        assert instrument.key == key
        assert instrument.version and instrument.citation and instrument.licence


def test_item_ids_are_unique_across_instruments_and_options_cover_the_codes() -> None:
    ids = [item.id for instrument in INSTRUMENTS.values() for item in instrument.items]
    assert len(ids) == len(set(ids))
    for instrument in INSTRUMENTS.values():
        assert [item.number for item in instrument.items] == list(range(1, len(instrument.items) + 1))
        for item in instrument.items:
            if item.scored:
                assert len(item.options) == item.max_value - item.min_value + 1, item.id
            else:
                assert item.is_text


def test_licensed_wording_is_never_stored() -> None:
    for key in ("pfi", "mbi_single_items"):
        instrument = INSTRUMENTS[key]
        assert not instrument.wording_included
        assert all(item.wording == PLACEHOLDER for item in instrument.items)
        assert "paste" in PLACEHOLDER.lower()
    assert "Mind Garden" in INSTRUMENTS["mbi_single_items"].licence
    assert "Stanford" in INSTRUMENTS["pfi"].licence


def test_mini_z_and_in_house_wording_is_included_and_labelled() -> None:
    assert INSTRUMENTS["mini_z"].wording_included and not INSTRUMENTS["mini_z"].in_house
    assert "attribution" in INSTRUMENTS["mini_z"].licence
    assert "Linzer" in INSTRUMENTS["mini_z"].citation
    for key in ("belonging", "intent", "mentoring_quality"):
        instrument = INSTRUMENTS[key]
        assert instrument.in_house and instrument.wording_included
        assert "in-house" in instrument.name and "in-house" in instrument.citation
        assert all(item.wording != PLACEHOLDER for item in instrument.items)


def test_definitions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        INSTRUMENTS["pfi"].version = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        INSTRUMENTS["pfi"].items[0].wording = "x"  # type: ignore[misc]


def test_item_lookup_and_choices() -> None:
    assert INSTRUMENTS["mini_z"].item("mini_z_3").reverse
    assert INSTRUMENTS["mbi_single_items"].item("mbi_ee").choices[4] == (4, "4 - once a week")
    assert INSTRUMENTS["belonging"].item("belonging_1").choices[0] == (1, "Strongly disagree")
    assert INSTRUMENTS["intent"].item("intent_career").choices == ()
    with pytest.raises(KeyError):
        INSTRUMENTS["mini_z"].item("mini_z_11")


def test_reverse_scored_items_are_the_published_ones() -> None:
    reversed_ids = {item.id for i in INSTRUMENTS.values() for item in i.items if item.reverse}
    assert reversed_ids == {"mini_z_2", "mini_z_3", "mini_z_8", "mini_z_10", "belonging_4"}


# --- Validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(SCORERS))
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"nope": 1}, "'nope' is not an item of"),
        ({1: 1}, "1 is not an item of"),
    ],
)
def test_scorers_reject_unknown_items(key: str, bad: dict[Any, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SCORERS[key](bad)


@pytest.mark.parametrize("key", sorted(SCORERS))
def test_scorers_reject_bad_codes_and_non_mappings(key: str) -> None:
    item = INSTRUMENTS[key].items[0]
    for value in (item.max_value + 1, item.min_value - 1):
        with pytest.raises(ValueError, match=rf"answers\['{item.id}'\]: {value} is out of range"):
            SCORERS[key]({item.id: value})
    for bad in (True, 2.0, "3"):
        with pytest.raises(ValueError, match=rf"answers\['{item.id}'\]: expected a whole number"):
            SCORERS[key]({item.id: bad})
    with pytest.raises(ValueError, match="answers: expected a mapping"):
        SCORERS[key]([(item.id, item.min_value)])  # type: ignore[arg-type]


@pytest.mark.parametrize("key", sorted(SCORERS))
def test_empty_answers_score_to_nothing(key: str) -> None:
    result = SCORERS[key]({})
    for field in dataclasses.fields(result):  # type: ignore[arg-type]
        value = getattr(result, field.name)
        assert value is None or (field.name == "n_answered" and value == 0)


# --- Mini-Z ---------------------------------------------------------------------------------------------


def mini_z(*codes: int | None) -> dict[str, int | None]:
    return {f"mini_z_{i}": code for i, code in enumerate(codes, start=1)}


def test_mini_z_best_and_worst_answers_give_the_ends_of_the_scale() -> None:
    best = score_mini_z(mini_z(5, 1, 1, 5, 5, 5, 5, 1, 5, 1))
    assert (best.joy, best.supportive_work_environment, best.work_pace_and_emr_stress) == (50, 25, 25)
    assert (best.burned_out, best.satisfied, best.high_stress, best.is_joyful_workplace) == (
        False,
        True,
        False,
        True,
    )
    worst = score_mini_z(mini_z(1, 5, 5, 1, 1, 1, 1, 5, 1, 5))
    assert (worst.joy, worst.supportive_work_environment, worst.work_pace_and_emr_stress) == (10, 5, 5)
    assert (worst.burned_out, worst.satisfied, worst.high_stress, worst.is_joyful_workplace) == (
        True,
        False,
        True,
        False,
    )


def test_mini_z_hand_computed_mixed_answers() -> None:
    # aligned: 3, 6-4=2, 6-2=4, 3, 4 | 2, 2, 6-4=2, 1, 6-5=1 -> 16 + 8 = 24
    s = score_mini_z(mini_z(3, 4, 2, 3, 4, 2, 2, 4, 1, 5))
    assert (s.supportive_work_environment, s.work_pace_and_emr_stress, s.joy) == (16, 8, 24)
    assert (s.burned_out, s.satisfied, s.high_stress, s.is_joyful_workplace, s.n_answered) == (
        False,
        False,
        True,
        False,
        10,
    )


@pytest.mark.parametrize(("code", "burned_out"), [(1, False), (2, False), (3, True), (4, True), (5, True)])
def test_mini_z_burnout_item_cut_off_is_three(code: int, burned_out: bool) -> None:
    assert score_mini_z({"mini_z_3": code}).burned_out is burned_out


@pytest.mark.parametrize(("code", "flag"), [(1, False), (3, False), (4, True), (5, True)])
def test_mini_z_satisfied_and_high_stress_need_agree_or_strongly_agree(code: int, flag: bool) -> None:
    s = score_mini_z({"mini_z_1": code, "mini_z_2": code})
    assert s.satisfied is flag and s.high_stress is flag


def test_mini_z_missing_item_drops_the_total_and_its_subscale_only() -> None:
    s = score_mini_z(mini_z(4, 2, 1, 4, 4, 4, None, 3, 3, 2))
    assert s.joy is None and s.is_joyful_workplace is None and s.work_pace_and_emr_stress is None
    assert s.supportive_work_environment == 4 + 4 + 5 + 4 + 4
    assert s.n_answered == 9
    assert score_mini_z(mini_z(None, None, 2)).burned_out is False
    assert score_mini_z(mini_z(4, 2, None)).burned_out is None


# --- Single-item EE / DP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ee", "dp", "high_ee", "high_dp", "burned_out"),
    [
        (0, 0, False, False, False),
        (3, 3, False, False, False),
        (4, 0, True, False, True),
        (0, 4, False, True, True),
        (6, 6, True, True, True),
        (None, 5, None, True, True),
        (3, None, False, None, None),
        (None, None, None, None, None),
    ],
)
def test_single_items_are_high_at_once_a_week_or_more(
    ee: int | None, dp: int | None, high_ee: bool | None, high_dp: bool | None, burned_out: bool | None
) -> None:
    s = score_mbi_single_items({"mbi_ee": ee, "mbi_dp": dp})
    assert (s.emotional_exhaustion, s.depersonalisation) == (ee, dp)
    assert (s.high_exhaustion, s.high_depersonalisation, s.burned_out) == (high_ee, high_dp, burned_out)


# --- PFI ------------------------------------------------------------------------------------------------


def pfi(*codes: int | None) -> dict[str, int | None]:
    assert len(codes) == 16
    return {f"pfi_{i}": code for i, code in enumerate(codes, start=1)}


def test_pfi_hand_computed() -> None:
    s = score_pfi(pfi(4, 3, 3, 2, 4, 2, 1, 2, 0, 1, 0, 0, 1, 0, 2, 1))
    assert s.professional_fulfilment == pytest.approx(18 / 6)
    assert s.work_exhaustion == pytest.approx(4 / 4)
    assert s.interpersonal_disengagement == pytest.approx(4 / 6)
    assert s.burnout == pytest.approx(8 / 10)  # mean of all ten items, not of the two subscale means
    assert (s.is_professionally_fulfilled, s.is_burned_out) == (True, False)


@pytest.mark.parametrize(
    ("burnout_codes", "burned_out"),
    [
        ((2, 2, 2, 2, 1, 1, 1, 1, 1, 0), False),  # 13/10 = 1.30
        ((2, 2, 2, 2, 1, 1, 1, 1, 1, 1), True),  # 14/10 = 1.40
        ((2, 2, 2, 2, 1, 1, 1, 1, 0, None), True),  # 12/9 = 1.333 >= 1.33
    ],
)
def test_pfi_burnout_cut_off_is_1_33(burnout_codes: tuple[int | None, ...], burned_out: bool) -> None:
    assert score_pfi(pfi(*[3] * 6, *burnout_codes)).is_burned_out is burned_out


def test_pfi_fulfilment_cut_off_is_3() -> None:
    assert score_pfi(pfi(3, 3, 3, 3, 3, 3, *[0] * 10)).is_professionally_fulfilled is True
    assert score_pfi(pfi(3, 3, 3, 3, 3, 2, *[0] * 10)).is_professionally_fulfilled is False


def test_pfi_scores_a_subscale_with_at_most_one_missing_item() -> None:
    s = score_pfi(pfi(4, 4, 4, 4, 2, None, 1, 1, 1, None, 0, 0, 0, 0, 0, None))
    assert s.professional_fulfilment == pytest.approx(18 / 5)
    assert s.work_exhaustion == pytest.approx(1.0)
    assert s.interpersonal_disengagement == 0.0
    assert s.burnout == pytest.approx(3 / 8)
    s = score_pfi(pfi(4, 4, 4, 4, None, None, 1, 1, None, None, 0, 0, 0, 0, 0, 0))
    assert s.professional_fulfilment is None and s.is_professionally_fulfilled is None
    assert s.work_exhaustion is None and s.burnout is None and s.is_burned_out is None
    assert s.interpersonal_disengagement == 0.0


# --- In-house learner scales ----------------------------------------------------------------------------


def test_belonging_reverses_the_outsider_item() -> None:
    assert score_belonging({f"belonging_{i}": 5 for i in range(1, 6)}).score == pytest.approx((5 * 4 + 1) / 5)
    assert (
        score_belonging({"belonging_1": 1, "belonging_2": 1, "belonging_3": 1, "belonging_4": 5}).score == 1.0
    )
    assert (
        score_belonging({"belonging_4": 1, "belonging_1": 2, "belonging_2": 2, "belonging_3": 2}).score
        == 2.75
    )


def test_belonging_needs_four_of_five_answers() -> None:
    four = score_belonging({"belonging_1": 4, "belonging_2": 4, "belonging_3": 4, "belonging_5": 4})
    assert (four.score, four.n_answered) == (4.0, 4)
    three = score_belonging({"belonging_1": 4, "belonging_2": 4, "belonging_3": None, "belonging_5": 4})
    assert (three.score, three.n_answered) == (None, 3)


@pytest.mark.parametrize(("code", "intends"), [(1, False), (3, False), (4, True), (5, True), (None, None)])
def test_intent_is_likely_or_very_likely(code: int | None, intends: bool | None) -> None:
    s = score_intent({"intent_1": code})
    assert (s.likelihood, s.intends, s.career) == (code, intends, None)


def test_intent_keeps_the_career_text_unscored() -> None:
    assert score_intent({"intent_career": "  Physiotherapy "}).career == "Physiotherapy"
    assert score_intent({"intent_1": 2, "intent_career": "   "}).career is None
    with pytest.raises(ValueError, match=r"answers\['intent_career'\]: expected text or None"):
        score_intent({"intent_career": 3})


def test_mentoring_quality_needs_five_of_six_answers() -> None:
    assert score_mentoring_quality({f"mentoring_{i}": i % 5 + 1 for i in range(1, 7)}).score == pytest.approx(
        (2 + 3 + 4 + 5 + 1 + 2) / 6
    )
    five = score_mentoring_quality({f"mentoring_{i}": 3 for i in range(2, 7)})
    assert (five.score, five.n_answered) == (3.0, 5)
    assert score_mentoring_quality({f"mentoring_{i}": 3 for i in range(3, 7)}).score is None


# --- Properties -----------------------------------------------------------------------------------------


def answers_for(instrument: Instrument, missing: bool = True) -> st.SearchStrategy[dict[str, int | None]]:
    def code(item: Item) -> st.SearchStrategy[int | None]:
        values: st.SearchStrategy[int | None] = st.integers(item.min_value, item.max_value)
        return st.one_of(values, st.none()) if missing else values

    return st.fixed_dictionaries({item.id: code(item) for item in instrument.items if item.scored})


SUMMARY_FIELDS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "mini_z": (("supportive_work_environment", 5, 25), ("work_pace_and_emr_stress", 5, 25), ("joy", 10, 50)),
    "pfi": (
        ("professional_fulfilment", 0, 4),
        ("work_exhaustion", 0, 4),
        ("interpersonal_disengagement", 0, 4),
        ("burnout", 0, 4),
    ),
    "belonging": (("score", 1, 5),),
    "mentoring_quality": (("score", 1, 5),),
    "mbi_single_items": (("emotional_exhaustion", 0, 6), ("depersonalisation", 0, 6)),
    "intent": (("likelihood", 1, 5),),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("key", sorted(SCORERS))
def test_scores_stay_in_range(key: str, data: st.DataObject) -> None:
    answers = data.draw(answers_for(INSTRUMENTS[key]))
    result = SCORERS[key](answers)
    for field, low, high in SUMMARY_FIELDS[key]:
        value = getattr(result, field)
        assert value is None or low <= value <= high, (field, value)
    complete = data.draw(answers_for(INSTRUMENTS[key], missing=False))
    result = SCORERS[key](complete)
    for field, _, _ in SUMMARY_FIELDS[key]:
        assert getattr(result, field) is not None, field


def summary(key: str, answers: Mapping[str, int | None]) -> dict[str, Any]:
    result = SCORERS[key](answers)
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}  # type: ignore[arg-type]


# Fields that rise with a better state, per instrument, and those that rise with a worse one.
BETTER = {
    "mini_z": ("supportive_work_environment", "work_pace_and_emr_stress", "joy"),
    "belonging": ("score",),
    "mentoring_quality": ("score",),
}


@settings(max_examples=80, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("key", sorted(BETTER))
def test_summaries_are_monotone_in_the_right_direction(key: str, data: st.DataObject) -> None:
    instrument = INSTRUMENTS[key]
    answers = data.draw(answers_for(instrument))
    answered = [i for i in instrument.items if answers[i.id] is not None]
    if not answered:
        return
    item = data.draw(st.sampled_from(answered))
    code = answers[item.id]
    if code is None or code == item.max_value:
        return
    raised = dict(answers) | {item.id: code + 1}
    before, after = summary(key, answers), summary(key, raised)
    for field in BETTER[key]:
        if before[field] is None:
            continue
        if item.reverse:
            assert after[field] <= before[field]
        else:
            assert after[field] >= before[field]
    # Answering one more item never makes a score disappear.
    missing = [i for i in instrument.items if answers[i.id] is None]
    if missing:
        filled = dict(answers) | {missing[0].id: missing[0].min_value}
        assert all(summary(key, filled)[f] is not None for f in BETTER[key] if before[f] is not None)


@settings(max_examples=100, deadline=None)
@given(answers=answers_for(INSTRUMENTS["pfi"]), index=st.integers(1, 16))
def test_pfi_scales_rise_with_their_own_items_only(answers: dict[str, int | None], index: int) -> None:
    item_id = f"pfi_{index}"
    if answers[item_id] is None or answers[item_id] == 4:
        return
    before = score_pfi(answers)
    after = score_pfi(answers | {item_id: answers[item_id] + 1})  # type: ignore[operator]
    own = "professional_fulfilment" if index <= 6 else "burnout"
    other = "burnout" if index <= 6 else "professional_fulfilment"
    if getattr(before, own) is not None:
        assert getattr(after, own) > getattr(before, own)
    assert getattr(after, other) == getattr(before, other)
    if before.is_burned_out and index > 6:
        assert after.is_burned_out


@settings(max_examples=100, deadline=None)
@given(
    ee=st.one_of(st.none(), st.integers(0, 6)),
    dp=st.one_of(st.none(), st.integers(0, 6)),
)
def test_single_item_burnout_is_monotone(ee: int | None, dp: int | None) -> None:
    s = score_mbi_single_items({"mbi_ee": ee, "mbi_dp": dp})
    if ee is not None and ee < 6 and s.burned_out:
        assert score_mbi_single_items({"mbi_ee": ee + 1, "mbi_dp": dp}).burned_out
    if s.burned_out is not None:
        filled = {"mbi_ee": 6 if ee is None else ee, "mbi_dp": 6 if dp is None else dp}
        assert score_mbi_single_items(filled).burned_out is True or s.burned_out is False
