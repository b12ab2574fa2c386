"""One money format for grant pages, letters, e-mails and exports: whole US dollars, "$2,500".

The digits are grouped the reader's way (``$2.500`` in Spanish, ``$2 500`` in Russian); the amount is always
US dollars.
"""

from __future__ import annotations

from django.utils import formats


def money(amount: int | float | None) -> str:
    """``2500`` -> ``"$2,500"``; ``None`` -> ``"$0"``. Grants are whole dollars, so cents are dropped."""
    return "$" + formats.number_format(int(round(amount or 0)), force_grouping=True)
