from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from ..export import neutralise_formula, to_csv, to_xlsx
from ..letters import pdf_bytes, render_text


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", " =cmd", "\uff1dcmd"])
def test_formula_like_text_is_prefixed(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["Amina", "3.5", 12, 3.25, None, ""])
def test_plain_values_pass_unchanged(value: object) -> None:
    assert neutralise_formula(value) == value


@given(st.text(max_size=40))
def test_no_exported_cell_can_start_a_formula(text: str) -> None:
    cell = neutralise_formula(text)
    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "\n")) or cell.startswith("'")


def test_csv_and_xlsx_round_trip_with_neutralised_cells() -> None:
    rows = [["=cmd()", 5, None]]
    parsed = list(csv.reader(io.StringIO(to_csv(["a", "b", "c"], rows))))
    assert parsed[1] == ["'=cmd()", "5", ""]
    sheet = load_workbook(io.BytesIO(to_xlsx(["a", "b", "c"], rows))).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2))][:2] == ["'=cmd()", 5]


def test_letters_render_placeholders_as_plain_text() -> None:
    text = render_text("Dear {name}, {amount}", {"name": "<b>Ana</b>", "amount": "$1,000"})
    assert text == "Dear <b>Ana</b>, $1,000"


def test_letters_refuse_template_tags() -> None:
    with pytest.raises(ValidationError):
        render_text("{% load static %}", {})


def test_the_pdf_letter_is_a_pdf_and_survives_markup_characters() -> None:
    data = pdf_bytes(subject="Award <&>", body="Dear A & B,\n\nYou get $1,000 <yes>.")
    assert data.startswith(b"%PDF")
