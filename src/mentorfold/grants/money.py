"""One money format for grant pages, letters, e-mails and exports: whole US dollars, "$2,500"."""

from __future__ import annotations


def money(amount: int | float | None) -> str:
    """``2500`` -> ``"$2,500"``; ``None`` -> ``"$0"``. Grants are whole dollars, so cents are dropped."""
    return f"${int(round(amount or 0)):,}"
