"""The instruments as published, checked by hand against the papers (item counts, ranges, cut-offs, licences)."""

from __future__ import annotations

import pytest

from mentorfold.engine.instruments import (
    INSTRUMENTS,
    PLACEHOLDER,
    score_mbi_single_items,
    score_mini_z,
    score_pfi,
)


def test_mini_z_burnout_item_has_the_five_published_answers_in_order() -> None:
    item = INSTRUMENTS["mini_z"].item("mini_z_3")
    assert (item.min_value, item.max_value) == (1, 5)
    starts = [
        "I enjoy my work. I have no symptoms of burnout.",
        "Occasionally I am under stress, and I don't always have as much energy as I once did",
        "I am definitely burning out and have one or more symptoms of burnout",
        "The symptoms of burnout that I'm experiencing won't go away. I think about frustration at work a lot.",
        "I feel completely burned out and often wonder if I can go on.",
    ]
    assert len(item.options) == 5
    assert all(option.startswith(start) for option, start in zip(item.options, starts, strict=True))


@pytest.mark.parametrize(("code", "burned_out"), [(1, False), (2, False), (3, True), (4, True), (5, True)])
def test_mini_z_burned_out_means_answer_three_or_more(code: int, burned_out: bool) -> None:
    assert score_mini_z({"mini_z_3": code}).burned_out is burned_out


def test_mini_z_is_free_with_attribution_and_its_wording_is_stored() -> None:
    mini_z = INSTRUMENTS["mini_z"]
    assert mini_z.wording_included and "free to use with attribution" in mini_z.licence
    assert all(item.wording != PLACEHOLDER for item in mini_z.items)


def test_pfi_has_16_items_scored_0_to_4_in_three_published_groups() -> None:
    pfi = INSTRUMENTS["pfi"]
    assert len(pfi.items) == 16
    assert {(item.min_value, item.max_value) for item in pfi.items} == {(0, 4)}
    groups = [item.subscale for item in pfi.items]
    assert (
        groups
        == ["professional_fulfilment"] * 6 + ["work_exhaustion"] * 4 + ["interpersonal_disengagement"] * 6
    )
    assert all(item.wording == PLACEHOLDER for item in pfi.items)  # (c) Stanford: scoring rule only
    assert "Stanford" in pfi.licence


def test_pfi_hand_computed_at_the_published_cut_offs() -> None:
    # fulfilment 3,3,3,3,3,3 -> 18/6 = 3.0 (high: >= 3.0)
    # exhaustion 2,2,1,1 -> 6/4 = 1.5; disengagement 1,1,1,1,2,2 -> 8/6 = 1.333...
    # burnout = all ten items 14/10 = 1.4 (high: >= 1.33)
    answers = dict(
        zip([f"pfi_{i}" for i in range(1, 17)], [3] * 6 + [2, 2, 1, 1] + [1, 1, 1, 1, 2, 2], strict=True)
    )
    s = score_pfi(answers)
    assert s.professional_fulfilment == pytest.approx(3.0) and s.is_professionally_fulfilled is True
    assert s.work_exhaustion == pytest.approx(1.5)
    assert s.interpersonal_disengagement == pytest.approx(8 / 6)
    assert s.burnout == pytest.approx(1.4) and s.is_burned_out is True
    # one point less on fulfilment and three less on burnout: both below their cut-offs
    answers["pfi_1"] = 2
    answers["pfi_7"] = answers["pfi_8"] = answers["pfi_15"] = 1
    s = score_pfi(answers)
    assert s.professional_fulfilment == pytest.approx(17 / 6) and s.is_professionally_fulfilled is False
    assert s.burnout == pytest.approx(1.1) and s.is_burned_out is False


def test_single_items_run_from_never_to_every_day_and_are_high_from_once_a_week() -> None:
    mbi = INSTRUMENTS["mbi_single_items"]
    assert [item.id for item in mbi.items] == ["mbi_ee", "mbi_dp"]
    for item in mbi.items:
        assert (item.min_value, item.max_value) == (0, 6)
        assert (
            "never" in item.options[0] and "every day" in item.options[6] and "once a week" in item.options[4]
        )
        assert item.wording == PLACEHOLDER  # licensed by Mind Garden: scoring only
    assert "Mind Garden" in mbi.licence
    for code in range(7):
        s = score_mbi_single_items({"mbi_ee": code, "mbi_dp": 0})
        assert s.high_exhaustion is (code >= 4) and s.burned_out is (code >= 4)
