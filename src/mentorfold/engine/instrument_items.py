"""Survey instruments as data: items, answer options, versions, citations and licence notes.

The scoring rules that read these definitions are in `instruments`. Licensed wording (PFI, MBI) is never
stored here: those items carry `PLACEHOLDER`, which the society replaces with the wording it is licensed to use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PLACEHOLDER = "[Paste the licensed wording of this item here]"

MINI_Z_REFERENCE = (
    "Linzer M, McLoughlin C, Poplau S, Goelz E, Brown R, Sinsky C. The Mini Z Worklife and Burnout Reduction "
    "Instrument: Psychometrics and Clinical Implications. J Gen Intern Med. 2022;37(11):2876-2878. "
    "Earlier version: Linzer M, Poplau S, Babbott S, et al. Worklife and Wellness in Academic General "
    "Internal Medicine. J Gen Intern Med. 2016;31(9):1004-1010."
)
MINI_Z_LICENCE = (
    "Mini-Z 2.0 (Linzer et al., Hennepin Healthcare Institute for Professional Worklife): free to use with "
    "attribution; keep the wording unchanged. Confirm current terms and the exact item text with the "
    "publisher before first use."
)
MBI_SINGLE_ITEMS_REFERENCE = (
    "West CP, Dyrbye LN, Sloan JA, Shanafelt TD. Single item measures of emotional exhaustion and "
    "depersonalization are useful for assessing burnout in medical professionals. J Gen Intern Med. "
    "2009;24(12):1318-1321. West CP, Dyrbye LN, Satele DV, Sloan JA, Shanafelt TD. Concurrent validity of "
    "single-item measures of emotional exhaustion and depersonalization in burnout assessment. J Gen Intern "
    "Med. 2012;27(11):1445-1452."
)
MBI_LICENCE = (
    "The two items are taken from the Maslach Burnout Inventory, whose wording is copyrighted and licensed by "
    "Mind Garden, Inc. Only the scoring rule is stored here; the society pastes the wording it holds a "
    "licence for."
)
PFI_REFERENCE = (
    "Trockel M, Bohman B, Lesure E, et al. A Brief Instrument to Assess Both Burnout and Professional "
    "Fulfillment in Physicians: Reliability and Validity, Including Correlation with Self-Reported Medical "
    "Errors, in a Sample of Resident and Practicing Physicians. Acad Psychiatry. 2018;42(1):11-24."
)
PFI_LICENCE = (
    "Professional Fulfillment Index (c) Stanford University (Stanford WellMD). Wording and terms of use come "
    "from Stanford; not stored here. The society pastes the wording it has permission to use."
)
IN_HOUSE_LICENCE = (
    "Mentorfold in-house scale: wording written by the project, free to use and adapt. Not a validated "
    "instrument; report it as an in-house measure."
)

AGREE_5 = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
QUALITY_5 = ("Poor", "Marginal", "Satisfactory", "Good", "Optimal")
LIKELY_5 = ("Very unlikely", "Unlikely", "Not sure", "Likely", "Very likely")


@dataclass(frozen=True)
class Item:
    """One question of an instrument.

    Attributes
    ----------
    id : str
        Stable key used in answer mappings, e.g. ``"mini_z_3"``.
    number : int
        Position in the published instrument (1-based).
    wording : str
        Question text, or a placeholder for licensed wording.
    options : tuple of str
        Answer labels in code order: ``options[0]`` is code `min_value`. Empty for free-text items.
    min_value, max_value : int
        Range of answer codes.
    reverse : bool
        Reverse-scored: the instrument's summary score uses ``min_value + max_value - code`` for this item.
    scored : bool
        False for items kept for context only (e.g. "which career").
    subscale : str
        Subscale key, or ``""``.
    """

    id: str
    number: int
    wording: str
    options: tuple[str, ...]
    min_value: int
    max_value: int
    reverse: bool = False
    scored: bool = True
    subscale: str = ""

    @property
    def is_text(self) -> bool:
        """Whether the answer is free text rather than a code."""
        return not self.options and not self.scored

    @property
    def choices(self) -> tuple[tuple[int, str], ...]:
        """``(code, label)`` pairs in order, ready for a form's choices; empty for free text."""
        return tuple(enumerate(self.options, start=self.min_value))


@dataclass(frozen=True)
class Instrument:
    """A survey instrument: its items and where it comes from.

    Attributes
    ----------
    key : str
        Key in `INSTRUMENTS` and in `SCORERS`.
    name : str
        Display name.
    version : str
        Version of this definition; change it whenever items or scoring change, so stored answers can be
        rescored with the rules they were collected under.
    citation : str
        Reference for the instrument and its scoring.
    licence : str
        Licence note: who owns the wording and what may be stored.
    wording_included : bool
        False when item wording is a placeholder to be replaced by licensed text.
    in_house : bool
        True for scales written by the project (not validated instruments).
    items : tuple of Item
        Items in published order.
    """

    key: str
    name: str
    version: str
    citation: str
    licence: str
    wording_included: bool
    in_house: bool
    items: tuple[Item, ...]

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Ids of all items, in order."""
        return tuple(item.id for item in self.items)

    def item(self, item_id: str) -> Item:
        """The item with this id.

        Raises
        ------
        KeyError
            If the instrument has no such item.
        """
        for candidate in self.items:
            if candidate.id == item_id:
                return candidate
        raise KeyError(item_id)


def _items(
    prefix: str,
    specs: Sequence[tuple[str, tuple[str, ...], bool, str]],
    low: int = 1,
    high: int = 5,
) -> tuple[Item, ...]:
    return tuple(
        Item(
            id=f"{prefix}_{i}",
            number=i,
            wording=wording,
            options=options,
            min_value=low,
            max_value=high,
            reverse=reverse,
            subscale=subscale,
        )
        for i, (wording, options, reverse, subscale) in enumerate(specs, start=1)
    )


_SWE = "supportive_work_environment"
_WPE = "work_pace_and_emr_stress"

MINI_Z = Instrument(
    key="mini_z",
    name="Mini-Z 2.0 worklife and burnout survey",
    version="mini-z-2.0/1",
    citation=MINI_Z_REFERENCE,
    licence=MINI_Z_LICENCE,
    wording_included=True,
    in_house=False,
    items=_items(
        "mini_z",
        [
            ("Overall, I am satisfied with my current job.", AGREE_5, False, _SWE),
            ("I feel a great deal of stress because of my job.", AGREE_5, True, _SWE),
            (
                "Using your own definition of burnout, please choose one of the answers below.",
                (
                    "I enjoy my work. I have no symptoms of burnout.",
                    "Occasionally I am under stress, and I don't always have as much energy as I once did, "
                    "but I don't feel burned out.",
                    "I am definitely burning out and have one or more symptoms of burnout, such as physical "
                    "and emotional exhaustion.",
                    "The symptoms of burnout that I'm experiencing won't go away. I think about frustration "
                    "at work a lot.",
                    "I feel completely burned out and often wonder if I can go on. I am at the point where I "
                    "may need some changes or may need to seek some sort of help.",
                ),
                True,
                _SWE,
            ),
            (
                "My professional values are well aligned with those of my department leaders.",
                AGREE_5,
                False,
                _SWE,
            ),
            ("The degree to which my care team works efficiently together is:", QUALITY_5, False, _SWE),
            ("My control over my workload is:", QUALITY_5, False, _WPE),
            ("Sufficiency of time for documentation is:", QUALITY_5, False, _WPE),
            (
                "Which number best describes the atmosphere in your primary work area?",
                ("Calm", "2", "Busy, but reasonable", "4", "Hectic, chaotic"),
                True,
                _WPE,
            ),
            (
                "The amount of time I spend on the electronic medical record (EMR) at home is:",
                ("Excessive", "Moderately high", "Satisfactory", "Modest", "Minimal/none"),
                False,
                _WPE,
            ),
            ("The EMR adds to the frustration of my day.", AGREE_5, True, _WPE),
        ],
    ),
)

MBI_SINGLE_ITEMS = Instrument(
    key="mbi_single_items",
    name="Single-item emotional exhaustion and depersonalisation (from the MBI)",
    version="west-2012/1",
    citation=MBI_SINGLE_ITEMS_REFERENCE,
    licence=MBI_LICENCE,
    wording_included=False,
    in_house=False,
    items=tuple(
        Item(
            id=item_id,
            number=number,
            wording=PLACEHOLDER,
            options=("0 - never", "1", "2", "3", "4 - once a week", "5", "6 - every day"),
            min_value=0,
            max_value=6,
            subscale=subscale,
        )
        for number, (item_id, subscale) in enumerate(
            [("mbi_ee", "emotional_exhaustion"), ("mbi_dp", "depersonalisation")], start=1
        )
    ),
)

_PFI_TRUE = ("0 - not at all true", "1", "2", "3", "4 - completely true")
_PFI_EXTENT = ("0 - not at all", "1", "2", "3", "4 - extremely")
PFI = Instrument(
    key="pfi",
    name="Professional Fulfillment Index",
    version="pfi-2018/1",
    citation=PFI_REFERENCE,
    licence=PFI_LICENCE,
    wording_included=False,
    in_house=False,
    items=_items(
        "pfi",
        [(PLACEHOLDER, _PFI_TRUE, False, "professional_fulfilment")] * 6
        + [(PLACEHOLDER, _PFI_EXTENT, False, "work_exhaustion")] * 4
        + [(PLACEHOLDER, _PFI_EXTENT, False, "interpersonal_disengagement")] * 6,
        low=0,
        high=4,
    ),
)

BELONGING = Instrument(
    key="belonging",
    name="Sense of belonging in health care (Mentorfold in-house, 5 items)",
    version="mentorfold-belonging/1",
    citation="Mentorfold in-house scale, version 1 (not a published instrument).",
    licence=IN_HOUSE_LICENCE,
    wording_included=True,
    in_house=True,
    items=_items(
        "belonging",
        [
            ("I feel I belong in medicine and health care.", AGREE_5, False, ""),
            ("People like me can become doctors, nurses or other health workers.", AGREE_5, False, ""),
            ("I have someone in health care I can ask for advice.", AGREE_5, False, ""),
            ("I feel like an outsider when I am in a hospital or clinic.", AGREE_5, True, ""),
            ("I can picture myself working in health care in ten years.", AGREE_5, False, ""),
        ],
    ),
)

INTENT = Instrument(
    key="intent",
    name="Intent to pursue a health career (Mentorfold in-house, 1 item)",
    version="mentorfold-intent/1",
    citation="Mentorfold in-house item, version 1 (not a published instrument).",
    licence=IN_HOUSE_LICENCE,
    wording_included=True,
    in_house=True,
    items=(
        Item(
            id="intent_1",
            number=1,
            wording="How likely are you to choose a career in health care?",
            options=LIKELY_5,
            min_value=1,
            max_value=5,
        ),
        Item(
            id="intent_career",
            number=2,
            wording="Which health career are you thinking about? (optional)",
            options=(),
            min_value=0,
            max_value=0,
            scored=False,
        ),
    ),
)

MENTORING_QUALITY = Instrument(
    key="mentoring_quality",
    name="Mentoring quality (Mentorfold in-house, 6 items)",
    version="mentorfold-mentoring/1",
    citation="Mentorfold in-house scale, version 1 (not a published instrument).",
    licence=IN_HOUSE_LICENCE,
    wording_included=True,
    in_house=True,
    items=_items(
        "mentoring",
        [
            ("My mentor listens to me.", AGREE_5, False, ""),
            ("My mentor explains things in a way I understand.", AGREE_5, False, ""),
            ("My mentor helps me set goals.", AGREE_5, False, ""),
            ("My mentor gives me useful feedback.", AGREE_5, False, ""),
            ("I feel safe asking my mentor questions.", AGREE_5, False, ""),
            ("My mentor helps me meet other people who work in health care.", AGREE_5, False, ""),
        ],
    ),
)

INSTRUMENTS: dict[str, Instrument] = {
    instrument.key: instrument
    for instrument in (MINI_Z, MBI_SINGLE_ITEMS, PFI, BELONGING, INTENT, MENTORING_QUALITY)
}
