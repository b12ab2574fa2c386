"""CSV and XLSX exports that are safe to open in a spreadsheet, and XLSX reading that is safe against bombs.

Exports (OWASP CSV injection): a cell whose text starts like a formula is prefixed with an apostrophe, so
Excel, LibreOffice and Google Sheets show it as text instead of running it. Every export goes through here.

Reading: an XLSX file is a zip archive. Its members' declared sizes are checked (total, per member, and the
compression ratio) before openpyxl opens it, so a small upload that inflates to hundreds of megabytes is
refused in milliseconds. Python's zipfile stops at the declared size and fails the CRC check, so a member
cannot inflate past what its header says.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

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


# A real 20,000-row people list unpacks to a few megabytes; these caps leave room and stop bombs.
MAX_XLSX_MEMBERS = 300
MAX_XLSX_MEMBER_BYTES = 32 * 1024 * 1024
MAX_XLSX_TOTAL_BYTES = 48 * 1024 * 1024
# Spreadsheet XML compresses about 5-30x; bombs compress hundreds or thousands of times.
MAX_XLSX_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1024 * 1024


class SpreadsheetRefused(Exception):
    """Why a spreadsheet is refused. ``kind`` names the check so callers can word the message for people."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX archive whose members are too many, too big unpacked, or suspiciously compressed.

    Reads only the zip's central directory (no decompression), so it takes milliseconds for any file.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise SpreadsheetRefused("not_a_workbook") from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise SpreadsheetRefused("too_many_parts", str(len(members)))
    total = 0
    for member in members:
        if member.file_size > MAX_XLSX_MEMBER_BYTES:
            raise SpreadsheetRefused("too_big_unpacked", f"{member.filename}: {member.file_size}")
        if member.file_size >= RATIO_CHECK_FROM_BYTES and member.file_size > MAX_XLSX_RATIO * max(
            member.compress_size, 1
        ):
            raise SpreadsheetRefused("suspicious_compression", member.filename)
        total += member.file_size
    if total > MAX_XLSX_TOTAL_BYTES:
        raise SpreadsheetRefused("too_big_unpacked", str(total))


def iter_xlsx_rows(data: bytes, *, max_columns: int) -> Iterator[tuple[Any, ...]]:
    """Stream the first sheet's rows (values only, at most ``max_columns`` cells each) after the archive check.

    Raises SpreadsheetRefused before openpyxl sees the file when the archive is unsafe or unreadable.
    """
    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise SpreadsheetRefused("not_a_workbook") from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        try:
            yield from sheet.iter_rows(max_col=max_columns, values_only=True)
        except Exception:
            raise SpreadsheetRefused("not_a_workbook") from None
    finally:
        workbook.close()
