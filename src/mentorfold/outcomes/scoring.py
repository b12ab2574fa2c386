"""Score one person's answers with the engine's instrument scorers (engine/instruments.py).

Only the adapter lives here: which answers go to which scorer, and what each result is called in ``scores``.
"""

from __future__ import annotations

from typing import Any

from mentorfold.engine import instruments


def _part(answers: dict[str, int], key: str) -> dict[str, int]:
    ids = set(instruments.INSTRUMENTS[key].item_ids)
    return {k: v for k, v in answers.items() if k in ids}


def scores_for(answers: dict[str, int]) -> dict[str, Any]:
    """Scores kept with a sent survey: ``burnout`` and ``ee_dp_burnout`` (bool), ``belonging`` (1-5) …"""
    scores: dict[str, Any] = {}
    mini_z = _part(answers, "mini_z")
    if mini_z:
        result = instruments.score_mini_z(mini_z)
        if result.burned_out is not None:
            scores["burnout"] = result.burned_out
    mbi = _part(answers, "mbi_single_items")
    if mbi:
        single = instruments.score_mbi_single_items(mbi)
        if single.burned_out is not None:
            scores["ee_dp_burnout"] = single.burned_out
    belonging = _part(answers, "belonging")
    if belonging:
        b = instruments.score_belonging(belonging)
        if b.score is not None:
            scores["belonging"] = round(b.score, 3)
    intent = _part(answers, "intent")
    if intent:
        i = instruments.score_intent(intent)
        if i.intends is not None:
            scores["intent"] = i.intends
    mentoring = _part(answers, "mentoring_quality")
    if mentoring:
        m = instruments.score_mentoring_quality(mentoring)
        if m.score is not None:
            scores["mentoring_quality"] = round(m.score, 3)
    return scores
