"""What each survey asks: the engine's instrument definitions (engine/instruments.py) shaped for forms.

Licensed instruments (MBI single items, PFI) ship without wording; they are asked only once the society has
pasted its licensed wording on the questionnaires page, never paraphrased. Free-text items are not asked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorfold.engine.instruments import INSTRUMENTS

TITLES = {
    "mini_z": gettext_lazy("How work is going"),
    "mbi_single_items": gettext_lazy("How work makes you feel"),
    "pfi": gettext_lazy("Work and fulfilment"),
    "belonging": gettext_lazy("Feeling that you belong in health care"),
    "intent": gettext_lazy("Your plans"),
    "mentoring_quality": gettext_lazy("Your mentor"),
}

DEFAULT_INSTRUMENTS = {
    "learner_pre": ["belonging", "intent"],
    "learner_post": ["belonging", "intent", "mentoring_quality"],
    "learner_6m": ["belonging", "intent"],
    "learner_12m": ["belonging", "intent"],
    "mentor_baseline": ["mini_z", "mbi_single_items"],
    "mentor_end": ["mini_z", "mbi_single_items"],
}


@dataclass(frozen=True)
class Item:
    key: str
    text: Any
    choices: list[tuple[int, Any]]


@dataclass(frozen=True)
class Instrument:
    key: str
    title: Any
    items: tuple[Item, ...]
    licensed: bool = False


def _form_items(key: str, wording: dict[str, str] | None) -> tuple[Item, ...]:
    instrument = INSTRUMENTS[key]
    items = []
    for item in instrument.items:
        if not item.scored or not item.options:
            continue
        text = wording[item.id] if wording is not None else _(item.wording)
        choices = [(item.min_value + i, _(label)) for i, label in enumerate(item.options)]
        items.append(Item(item.id, text, choices))
    return tuple(items)


def instruments_for(keys: list[str], *, licensed_wording: dict[str, dict[str, str]]) -> list[Instrument]:
    """The instruments to show; a licensed one only when every item's wording has been pasted."""
    shown = []
    for key in keys:
        engine = INSTRUMENTS.get(key)
        if engine is None:
            continue
        if engine.wording_included:
            shown.append(Instrument(key, TITLES.get(key, engine.name), _form_items(key, None)))
            continue
        wording = licensed_wording.get(key) or {}
        needed = [item.id for item in engine.items if item.scored and item.options]
        if needed and all(wording.get(item_id) for item_id in needed):
            shown.append(
                Instrument(key, TITLES.get(key, engine.name), _form_items(key, wording), licensed=True)
            )
    return shown


def licensed_item_ids(key: str) -> list[str]:
    return [item.id for item in INSTRUMENTS[key].items if item.scored and item.options]


def valid_values(instruments: list[Instrument]) -> dict[str, set[int]]:
    return {item.key: {value for value, _label in item.choices} for i in instruments for item in i.items}
