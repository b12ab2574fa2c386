"""Questionnaire versions with their citations and the national burnout comparison figure, kept as data."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# Frozen copy of engine/instruments.py at the time of writing (a migration must not change with the code).
INSTRUMENTS = [
    {
        "key": "mini_z",
        "version": "mini-z-2.0/1",
        "name": "Mini-Z 2.0 worklife and burnout survey",
        "citation": (
            "Linzer M, McLoughlin C, Poplau S, Goelz E, Brown R, Sinsky C. The Mini Z Worklife and Burnout "
            "Reduction Instrument: Psychometrics and Clinical Implications. J Gen Intern Med. "
            "2022;37(11):2876-2878."
        ),
        "licence_note": "Free to use with attribution; keep the wording unchanged. Confirm current terms.",
        "is_licensed": False,
    },
    {
        "key": "mbi_single_items",
        "version": "west-2012/1",
        "name": "Single-item emotional exhaustion and depersonalisation (from the MBI)",
        "citation": (
            "West CP, Dyrbye LN, Sloan JA, Shanafelt TD. Single item measures of emotional exhaustion and "
            "depersonalization are useful for assessing burnout in medical professionals. J Gen Intern Med. "
            "2009;24(12):1318-1321. West CP et al. J Gen Intern Med. 2012;27(11):1445-1452."
        ),
        "licence_note": "Wording licensed by Mind Garden, Inc. (Maslach Burnout Inventory): paste your licensed text.",
        "is_licensed": True,
    },
    {
        "key": "pfi",
        "version": "pfi-2018/1",
        "name": "Professional Fulfillment Index",
        "citation": (
            "Trockel M, Bohman B, Lesure E, et al. A Brief Instrument to Assess Both Burnout and Professional "
            "Fulfillment in Physicians. Acad Psychiatry. 2018;42(1):11-24."
        ),
        "licence_note": "Wording owned by Stanford WellMD: paste the text your permission covers.",
        "is_licensed": True,
    },
    {
        "key": "belonging",
        "version": "mentorfold-belonging/1",
        "name": "Sense of belonging in health care (in-house, 5 items)",
        "citation": "Mentorfold in-house scale, version 1 (not a published instrument).",
        "licence_note": "",
        "is_licensed": False,
    },
    {
        "key": "intent",
        "version": "mentorfold-intent/1",
        "name": "Intent to pursue a health career (in-house, 1 item)",
        "citation": "Mentorfold in-house item, version 1 (not a published instrument).",
        "licence_note": "",
        "is_licensed": False,
    },
    {
        "key": "mentoring_quality",
        "version": "mentorfold-mentoring/1",
        "name": "Mentoring quality (in-house, 6 items)",
        "citation": "Mentorfold in-house scale, version 1 (not a published instrument).",
        "licence_note": "",
        "is_licensed": False,
    },
]

REFERENCE = {
    "key": "physician_burnout_national",
    "label": "US physicians reporting at least one symptom of burnout",
    "value": 0.482,
    "year": 2023,
    "citation": (
        "American Medical Association national burnout benchmarking, 2023 (48.2%); see also Shanafelt TD, "
        "West CP, Dyrbye LN, et al. Changes in burnout and satisfaction with work-life integration in "
        "physicians during the first 2 years of the COVID-19 pandemic. Mayo Clin Proc. 2022;97(12):2248-2258. "
        "Different instruments: compare with care."
    ),
}


def add(apps: Any, schema_editor: Any) -> None:
    InstrumentVersion = apps.get_model("outcomes", "InstrumentVersion")
    ReferenceFigure = apps.get_model("outcomes", "ReferenceFigure")
    for row in INSTRUMENTS:
        InstrumentVersion.objects.get_or_create(key=row["key"], version=row["version"], defaults=row)
    ReferenceFigure.objects.get_or_create(key=REFERENCE["key"], defaults=REFERENCE)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_surveys_instruments_pipeline")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
