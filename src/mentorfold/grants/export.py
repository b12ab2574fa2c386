"""Decision exports (CSV / XLSX); formula injection is neutralised by core.spreadsheets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

from mentorfold.core.spreadsheets import neutralise_formula, rows_to_csv, rows_to_xlsx

__all__ = ["neutralise_formula", "to_csv", "to_xlsx"]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return rows_to_csv(chain([header], rows))


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Decisions") -> bytes:
    return rows_to_xlsx(chain([header], rows), title=title)
