"""Imports refuse hostile files quickly, never parse inside a write transaction, and start one task per batch."""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from mentorfold.accounts.tests.factories import LanguageFactory
from mentorfold.core import spreadsheets
from mentorfold.core.models import TaskRun
from mentorfold.programs import importing
from mentorfold.programs.models import ImportBatch

pytestmark = pytest.mark.django_db


# --- issue 11 #1: the preview page renders for both kinds ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "detail"),
    [
        (
            "learners",
            b"email,full_name,stage,date_of_birth\nana@example.org,Ana Lopez,undergraduate,2004-05-17\n",
            "undergraduate",
        ),
        ("mentors", b"email,full_name,specialty\nx@example.org,Dr X,Surgery\n", "Surgery"),
    ],
)
def test_the_import_preview_renders_for_learners_and_mentors(
    client: Any, coordinator: Any, kind: str, data: bytes, detail: str, django_assert_max_num_queries: Any
) -> None:
    LanguageFactory()
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:import"), {"kind": kind, "file": SimpleUploadedFile("p.csv", data)}
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("programs:import_preview", args=[batch.pk])
    with django_assert_max_num_queries(8):
        response = client.get(response["Location"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 person is ready to import" in body and detail in body


# --- issue 14 #8: hostile files are refused before they are parsed -----------------------------------------


def _zip_bomb(unpacked_bytes: int = 35 * 1024 * 1024) -> bytes:
    """A small .xlsx-looking archive whose sheet inflates to ``unpacked_bytes`` of repeated XML."""
    row = b'<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaa</t></is></c></row>'
    body = b"<worksheet><sheetData>" + row * (unpacked_bytes // len(row)) + b"</sheetData></worksheet>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", body)
    return buffer.getvalue()


def test_an_xlsx_zip_bomb_is_refused_before_openpyxl_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _zip_bomb()
    assert len(data) < importing.MAX_IMPORT_BYTES  # small on the wire: the upload size check lets it in

    def must_not_open(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("openpyxl was asked to open a zip bomb")

    monkeypatch.setattr(spreadsheets, "load_workbook", must_not_open)
    with pytest.raises(ValidationError) as caught:
        importing.read_table(name="people.xlsx", data=data)
    error = caught.value.error_dict["file"][0]
    assert error.code in {"xlsx_too_big_unpacked", "xlsx_suspicious_compression"}
    assert "unpacks to far more data" in error.messages[0]


def test_a_highly_compressed_member_is_refused_even_under_the_size_caps() -> None:
    with pytest.raises(spreadsheets.SpreadsheetRefused) as caught:
        spreadsheets.check_xlsx_archive(_zip_bomb(unpacked_bytes=4 * 1024 * 1024))
    assert caught.value.kind == "suspicious_compression"


def test_a_zip_bomb_upload_is_a_form_error_and_stores_nothing(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:import"),
        {"kind": "learners", "file": SimpleUploadedFile("people.xlsx", _zip_bomb())},
    )
    assert response.status_code == 200
    assert "unpacks to far more data" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_real_workbook_still_imports() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["email", "full_name", "specialty"])
    sheet.append(["x@example.org", "Dr X", "Surgery"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    header, rows = importing.read_table(name="m.xlsx", data=buffer.getvalue())
    assert header == ["email", "full_name", "specialty"] and rows == [["x@example.org", "Dr X", "Surgery"]]


def test_a_huge_csv_cell_is_a_form_error_naming_row_and_column(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    data = b"email,full_name,specialty\nx@example.org," + b"A" * 200_000 + b",Surgery\n"
    response = client.post(
        reverse("programs:import"), {"kind": "mentors", "file": SimpleUploadedFile("m.csv", data)}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "row 2, column full_name has 200,000 characters" in body
    assert not ImportBatch.objects.exists()


def test_too_many_rows_are_refused_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_IMPORT_ROWS", 3)
    data = b"email,full_name,specialty\n" + b"".join(b"m%d@example.org,Dr M,Surgery\n" % i for i in range(4))
    with pytest.raises(ValidationError) as caught:
        importing.read_table(name="m.csv", data=data)
    assert caught.value.error_dict["file"][0].code == "too_many_rows"


# --- issue 14 #7: parse outside the write transaction, one task per batch, finished stays finished -------


def test_parsing_runs_outside_any_write_transaction(
    coordinator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    depth_before = len(connection.atomic_blocks)
    depths: list[int] = []
    real_parse = importing.parse_people

    def spy(**kwargs: Any) -> Any:
        depths.append(len(connection.atomic_blocks))
        return real_parse(**kwargs)

    monkeypatch.setattr(importing, "parse_people", spy)
    importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    assert depths == [depth_before]


def test_progress_is_reported_outside_the_write_transaction(coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    depth_before = len(connection.atomic_blocks)
    depths: list[int] = []
    importing.import_batch_commit(
        batch=batch,
        actor=coordinator,
        report=lambda percent, message: depths.append(len(connection.atomic_blocks)),
    )
    assert depths and all(depth == depth_before for depth in depths)


def test_a_double_post_starts_one_task(client: Any, coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    client.force_login(coordinator)
    url = reverse("programs:import_preview", args=[batch.pk])
    first = client.post(url)
    second = client.post(url)
    run = TaskRun.objects.get()
    assert first["Location"] == second["Location"] == reverse("task_progress", args=[run.pk])
    batch.refresh_from_db()
    assert batch.status == "running" and batch.task_run_id == run.pk


def test_a_second_claim_is_refused_by_the_service(coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    started: list[int] = []

    def enqueue(b: ImportBatch) -> Any:
        started.append(b.pk)
        return TaskRun.objects.create(kind="programs.import", label="import")

    importing.import_batch_start(batch=batch, actor=coordinator, enqueue=enqueue)
    with pytest.raises(ValidationError, match="already started"):
        importing.import_batch_start(batch=batch, actor=coordinator, enqueue=enqueue)
    assert started == [batch.pk]


def test_a_finished_import_is_not_marked_failed_when_the_invitations_fail(
    client: Any, coordinator: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def broken_mail(**kwargs: Any) -> int:
        raise RuntimeError("mail server down")

    monkeypatch.setattr(importing, "send_templated_mails", broken_mail)
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("programs:import_preview", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "done" and batch.created_count == 1
    invitations = TaskRun.objects.get(kind="programs.import_welcome")
    assert invitations.status == TaskRun.Status.FAILED  # its own task: a retry sends the invitation


def test_a_running_batch_whose_task_failed_is_shown_as_failed(client: Any, coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    run = TaskRun.objects.create(kind="programs.import", label="import", status=TaskRun.Status.FAILED)
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", task_run_id=run.pk)
    client.force_login(coordinator)
    body = client.get(reverse("programs:import_preview", args=[batch.pk])).content.decode()
    assert "nothing was written" in body
    batch.refresh_from_db()
    assert batch.status == "failed"


def test_a_batch_whose_worker_vanished_is_marked_failed_after_a_while(coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    run = TaskRun.objects.create(kind="programs.import", label="import", status=TaskRun.Status.RUNNING)
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", task_run_id=run.pk)
    batch.refresh_from_db()
    assert importing.import_batch_reconcile(batch).status == "running"  # still within its time
    later = timezone.now() + importing.STALE_IMPORT_AFTER + timedelta(minutes=1)
    assert importing.import_batch_reconcile(batch, now=later).status == "failed"
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED
    with pytest.raises(ValidationError, match="already run"):
        importing.import_batch_commit(batch=batch, actor=coordinator)  # a late task writes nothing


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent claims need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_confirming_at_once_start_one_task(coordinator: Any) -> None:
    batch = importing.import_batch_create(
        actor=coordinator,
        kind="mentors",
        name="m.csv",
        data=b"email,full_name,specialty\nx@example.org,X,Y\n",
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enqueue(b: ImportBatch) -> Any:
        return TaskRun.objects.create(kind="programs.import", label="import")

    def confirm() -> None:
        barrier.wait()
        try:
            importing.import_batch_start(batch=batch, actor=coordinator, enqueue=enqueue)
            outcomes.append("started")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "started"]
    assert TaskRun.objects.count() == 1
