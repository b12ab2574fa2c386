"""CSV and XLSX exports that are safe to open in a spreadsheet (OWASP CSV injection).

A cell whose text starts like a formula is prefixed with an apostrophe, so Excel, LibreOffice and Google
Sheets show it as text instead of running it. Every export in Mentorfold goes through this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

# Leading characters that make a spreadsheet evaluate a cell (with full-width variants some apps accept).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would treat as a formula with an apostrophe; numbers pass unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cells(row: Sequence[Any]) -> list[Any]:
    return [neutralise_formula("" if v is None else v) for v in row]


def rows_to_csv(rows: Iterable[Sequence[Any]]) -> str:
    """All rows (the header first) as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(_cells(row))
    return buffer.getvalue()


def rows_to_xlsx(rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    """All rows (the header first) as an XLSX workbook; strings are stored as text cells, never formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
