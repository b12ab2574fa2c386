"""Screen free text from the public patient-feedback form for things that could identify a patient.

We refuse (never store) a comment that contains a phone number, an e-mail address, a date, a record-number-like
run of digits or a social security number. It errs on the side of refusing: a patient can always rephrase.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\s*(?:\.|\(dot\))\s*[\w-]+)+", re.I)),
    ("ssn", re.compile(r"\b\d{3}[- .]\d{2}[- .]\d{4}\b")),
    (
        "phone",
        re.compile(
            r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\b\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}\b"
            r"|\+\d[\d\s.-]{7,}\d"
        ),
    ),
    ("date", re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")),
    ("date", re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.I)),
    ("date", re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b", re.I)),
    ("record_number", re.compile(r"\d(?:[\s-]?\d){5,}")),
    ("record_number", re.compile(r"\b(?:mrn|medical record|record number|chart number)\b", re.I)),
]

LABELS = {
    "email": _("an e-mail address"),
    "ssn": _("a social security number"),
    "phone": _("a phone number"),
    "date": _("a date"),
    "record_number": _("a record number or a long number"),
}


def find_identifiers(text: str) -> list[str]:
    """Kinds of identifier found in ``text`` ("phone", "email", "date", "record_number", "ssn"), in order, unique."""
    found: list[str] = []
    for kind, pattern in PATTERNS:
        if kind not in found and pattern.search(text or ""):
            found.append(kind)
    return found
