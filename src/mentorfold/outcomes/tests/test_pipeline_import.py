"""Coordinator pipeline import: every row checked, row errors shown, then all or nothing; hostile files refused."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from mentorfold.accounts.tests.auth import force_login_counting_as_mfa
from mentorfold.accounts.tests.factories import LearnerProfileFactory
from mentorfold.core.models import AuditEvent, TaskRun

from .. import pipeline_import
from ..models import PipelineImport, PipelineStage

pytestmark = pytest.mark.django_db

TODAY = date(2031, 9, 1)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _check(actor: Any, data: bytes, name: str = "steps.csv") -> PipelineImport:
    return pipeline_import.pipeline_import_check(actor=actor, name=name, data=data, today=TODAY)


def _start(batch: PipelineImport, actor: Any) -> Any:
    from mentorfold.core.tracking import task_run_start

    from ..tasks import import_pipeline

    def enqueue(b: PipelineImport) -> Any:
        return task_run_start(
            task=import_pipeline, kind="test", label="test", user=actor, batch_id=b.pk, actor_id=actor.pk
        )

    return pipeline_import.pipeline_import_start(batch=batch, actor=actor, enqueue=enqueue)


def test_a_clean_file_is_previewed_then_written_with_notes(
    coordinator: Any, learner: Any, other_learner: Any
) -> None:
    data = _csv(
        "Email,Stage,Since,Note",
        f"{learner.user.email.upper()},matriculated,2030-08-15,UCSF",
        f"{other_learner.user.email},Applied to medical school,6/1/2031,",
        f"{learner.user.email},applied,2029-10-01,",
    )
    batch = _check(coordinator, data)
    assert batch.status == PipelineImport.Status.PREVIEW and batch.errors == []
    assert PipelineStage.objects.count() == 0  # nothing before the coordinator presses Import
    assert _start(batch, coordinator) is None  # small: written at once
    steps = set(PipelineStage.objects.values_list("learner_id", "stage", "reached_on", "note", "source"))
    assert steps == {
        (learner.pk, "matriculated", date(2030, 8, 15), "UCSF", "import"),
        (other_learner.pk, "applied", date(2031, 6, 1), "", "import"),
        (learner.pk, "applied", date(2029, 10, 1), "", "import"),
    }
    batch.refresh_from_db()
    assert batch.status == PipelineImport.Status.DONE and batch.written == 3
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"pipeline.import.check", "pipeline.import.start", "pipeline.import.done"} <= actions


def test_row_errors_refuse_the_whole_file(coordinator: Any, learner: Any) -> None:
    email = learner.user.email
    data = _csv(
        "email,stage,since,note",
        f"{email},college,2030-01-01,ok",  # fine on its own
        "nobody@example.org,college,2030-01-01,",  # unknown e-mail
        f"{email},astronaut,2030-01-01,",  # unknown stage
        f"{email},residency,2032-01-01,",  # future
        f"{email},college,2030-01-01,again",  # duplicate of row 2
        f"{email},college,not a date,",  # bad date
        f"{email},residency,2030-02-01,=cmd|' /C calc'!A0",  # formula
        f"{email},residency,2030-03-01,a\x00b",  # NUL byte
        f"{email},residency,2030-04-01,{'x' * 400}",  # long note
    )
    batch = _check(coordinator, data)
    assert batch.status == PipelineImport.Status.REFUSED
    by_row = {(e["row"], e["column"]) for e in batch.errors}
    assert by_row >= {
        (3, "email"),
        (4, "stage"),
        (5, "since"),
        (6, "email"),
        (7, "since"),
        (8, "note"),
        (9, "note"),
        (10, "note"),
    }
    assert 2 not in {e["row"] for e in batch.errors}
    with pytest.raises(ValidationError):
        _start(batch, coordinator)
    assert PipelineStage.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("huge.csv", b"email,stage,since\n" + b"a" * 3000 + b",college,2020-01-01\n"),
        ("steps.csv", b"name,when\nx,y\n"),  # wrong columns
        ("steps.csv", b""),  # empty
        ("steps.csv", b"email,stage,since\n"),  # header only
        ("steps.csv", b"\xff\xfe\x00b\x00a\x00d"),  # not UTF-8
        ("steps.pdf", b"%PDF-1.4"),  # wrong type
        ("steps.xlsx", b"PK\x03\x04 not really a workbook"),
        ("steps.csv", b'email,stage,since\n"unclosed,college,2020-01-01\n' * 3),
    ],
)
def test_hostile_files_are_refused_without_writing(coordinator: Any, name: str, data: bytes) -> None:
    try:
        batch = _check(coordinator, data, name)
    except ValidationError:
        pass
    else:
        assert batch.errors, "a file like this must never be ready to import"
    assert PipelineStage.objects.count() == 0


def test_an_excel_file_with_real_dates_and_numbers_in_text_columns(coordinator: Any, learner: Any) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["email", "stage", "since", "note"])
    sheet.append([learner.user.email, "residency", date(2031, 7, 1), None])
    sheet.append([12345, 7, True, None])  # wrong types
    buffer = io.BytesIO()
    book.save(buffer)
    batch = _check(coordinator, buffer.getvalue(), "steps.xlsx")
    assert [r["stage"] for r in batch.rows] == ["residency"]
    assert {(e["row"], e["column"]) for e in batch.errors} == {(3, "email"), (3, "stage"), (3, "since")}


def test_only_coordinators_import(learner: Any, mentor: Any) -> None:
    for actor in (learner.user, mentor.user):
        with pytest.raises(PermissionDenied):
            _check(actor, _csv("email,stage,since", f"{learner.user.email},college,2030-01-01"))


def test_a_second_click_starts_nothing_more(coordinator: Any, learner: Any) -> None:
    batch = _check(coordinator, _csv("email,stage,since", f"{learner.user.email},college,2030-01-01"))
    _start(batch, coordinator)
    batch.refresh_from_db()
    with pytest.raises(ValidationError):
        _start(batch, coordinator)
    assert PipelineStage.objects.count() == 1


def test_a_large_file_is_written_by_a_task_with_progress(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    learners = LearnerProfileFactory.create_batch(pipeline_import.SYNC_LIMIT + 1)
    lines = ["email,stage,since"] + [f"{p.user.email},college,2030-01-01" for p in learners]
    batch = _check(coordinator, _csv(*lines))
    with django_capture_on_commit_callbacks(execute=True):
        run = _start(batch, coordinator)
        assert PipelineStage.objects.count() == 0  # nothing written during the request
    assert run is not None
    run.refresh_from_db()
    batch.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED and run.percent == 100
    assert batch.status == PipelineImport.Status.DONE
    assert PipelineStage.objects.count() == len(learners)


def test_a_learner_removed_before_import_writes_nothing(
    coordinator: Any, learner: Any, other_learner: Any
) -> None:
    batch = _check(
        coordinator,
        _csv(
            "email,stage,since",
            f"{learner.user.email},college,2030-01-01",
            f"{other_learner.user.email},college,2030-01-01",
        ),
    )
    other_learner.delete()
    with pytest.raises(ValidationError):
        _start(batch, coordinator)
    batch.refresh_from_db()
    assert batch.status == PipelineImport.Status.FAILED
    assert PipelineStage.objects.count() == 0


# --- pages ----------------------------------------------------------------------------------------------


def _login(client: Any, user: Any) -> None:
    force_login_counting_as_mfa(client, user)


def test_the_pages_upload_preview_and_import(
    client: Any, coordinator: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    _login(client, coordinator)
    assert client.get(reverse("outcomes:pipeline_import")).status_code == 200
    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    upload = SimpleUploadedFile(
        "steps.csv", _csv("email,stage,since", f"{learner.user.email},college,{since}")
    )
    response = client.post(reverse("outcomes:pipeline_import"), {"file": upload})
    assert response.status_code == 302
    batch = PipelineImport.objects.get()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("outcomes:pipeline_import_preview", kwargs={"pk": batch.pk}))
    assert page.status_code == 200 and b"1 step is ready" in page.content
    client.post(reverse("outcomes:pipeline_import_preview", kwargs={"pk": batch.pk}))
    assert PipelineStage.objects.filter(learner=learner, stage="college").exists()


def test_a_bad_upload_is_a_form_error_not_a_500(client: Any, coordinator: Any) -> None:
    _login(client, coordinator)
    upload = SimpleUploadedFile("steps.csv", b"\x00\x00\x00garbage")
    response = client.post(reverse("outcomes:pipeline_import"), {"file": upload})
    assert response.status_code in (302, 400)
    response = client.post(reverse("outcomes:pipeline_import"), {"file": "not a file"})
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["learner", "mentor", "guardian"])
def test_other_roles_cannot_open_the_import_pages(
    client: Any, coordinator: Any, role: str, request: Any
) -> None:
    person = request.getfixturevalue(role)
    user = getattr(person, "user", person)
    batch = PipelineImport.objects.create(original_name="x.csv", created_by=coordinator)
    _login(client, user)
    assert client.get(reverse("outcomes:pipeline_import")).status_code == 403
    assert client.get(reverse("outcomes:pipeline_import_preview", kwargs={"pk": batch.pk})).status_code == 403
    assert (
        client.post(reverse("outcomes:pipeline_import_preview", kwargs={"pk": batch.pk})).status_code == 403
    )
