"""Decision exports (CSV / XLSX) with spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would treat as a formula with an apostrophe; numbers pass unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise_formula(h) for h in header])
    for row in rows:
        writer.writerow([neutralise_formula("" if v is None else v) for v in row])
    return buffer.getvalue()


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Decisions") -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append([neutralise_formula(h) for h in header])
    for row in rows:
        # Strings are written as text cells, so openpyxl never stores them as formulas either.
        ws.append([neutralise_formula(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
