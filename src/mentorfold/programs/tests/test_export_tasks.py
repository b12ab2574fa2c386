"""Coordinator exports run as background jobs: POST starts one, the progress page links to a private file."""

from __future__ import annotations

import csv
import io
import os
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mentorfold.accounts.models import Role
from mentorfold.accounts.tests.factories import (
    LanguageFactory,
    LearnerProfileFactory,
    MentorProfileFactory,
    UserFactory,
    add_totp,
)
from mentorfold.core.models import AuditEvent, TaskRun
from mentorfold.programs import exporting
from mentorfold.programs.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

DOWNLOAD_LINK = re.compile(r'href="(/programs/manage/exports/([0-9a-f-]{36})/download)"')


@pytest.fixture(autouse=True)
def _private_files(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def _second_coordinator() -> Any:
    user = UserFactory(email="second.coordinator@example.org", roles=[Role.COORDINATOR])
    add_totp(user)
    return user


def _start(client: Any, kind: str, fmt: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("programs:export", args=[kind, fmt]))


def _download_url(client: Any, response: Any) -> str:
    """Follow the load test's path: the 303 to the progress page, then the link on it."""
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    match = DOWNLOAD_LINK.search(page)
    assert match, page
    return match.group(1)


def test_post_starts_a_job_whose_progress_page_links_to_the_same_csv_as_before(
    client: Any, coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    learner.languages.add(LanguageFactory(code="so", name="Somali"))
    client.force_login(coordinator)
    response = _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    run = TaskRun.objects.get()
    assert response["Location"] == reverse("task_progress", args=[run.pk])
    assert run.status == TaskRun.Status.SUCCEEDED and run.kind == "programs.export.learners.csv"
    url = _download_url(client, response)
    assert url == reverse("programs:export_download", args=[run.pk])

    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Disposition"].endswith('.csv"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    body = b"".join(download.streaming_content)
    assert body == exporting.write_csv(exporting.export_rows("learners"))
    assert "learner@example.org" in body.decode("utf-8-sig") and "Somali" in body.decode("utf-8-sig")
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "data"))
    assert [a for a, _ in actions] == ["export", "export_download"]
    assert actions[0][1] == {"kind": "learners", "format": "csv", "rows": 1, "task_run": str(run.pk)}


@pytest.mark.parametrize("kind", exporting.EXPORT_KINDS)
def test_the_xlsx_file_has_todays_rows_with_formulas_neutralised(
    kind: str, client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    learner = LearnerProfileFactory(user__full_name='=HYPERLINK("http://evil.example","Click")')
    MentorProfileFactory(user__full_name="+cmd|' /C calc'!A0")
    EnrollmentFactory(learner=learner)
    client.force_login(coordinator)
    url = _download_url(client, _start(client, kind, "xlsx", django_capture_on_commit_callbacks))
    download = client.get(url)
    assert download["Content-Type"] == exporting_content_type("xlsx")
    got = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.values)
    expected = list(
        load_workbook(io.BytesIO(exporting.write_xlsx(exporting.export_rows(kind)))).active.values
    )
    assert got == expected and len(got) == 2
    names = [
        cell
        for row in got
        for cell in row
        if isinstance(cell, str) and "HYPERLINK" in cell or "calc" in str(cell)
    ]
    assert names and all(name.startswith("'") for name in names)


def exporting_content_type(fmt: str) -> str:
    from mentorfold.programs.export_views import CONTENT_TYPES

    return CONTENT_TYPES[fmt]


def test_a_formula_in_a_csv_cell_stays_text(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    LearnerProfileFactory(user__full_name="=1+2", user__email="f@example.org")
    client.force_login(coordinator)
    url = _download_url(client, _start(client, "learners", "csv", django_capture_on_commit_callbacks))
    rows = list(csv.reader(io.StringIO(b"".join(client.get(url).streaming_content).decode("utf-8-sig"))))
    assert rows[1][1] == "'=1+2"


def test_a_double_post_starts_one_job(
    client: Any, coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    first = _start(client, "mentors", "xlsx", django_capture_on_commit_callbacks)
    second = _start(client, "mentors", "xlsx", django_capture_on_commit_callbacks)
    assert first["Location"] == second["Location"]
    assert TaskRun.objects.count() == 1
    # Another format is another file.
    _start(client, "mentors", "csv", django_capture_on_commit_callbacks)
    assert TaskRun.objects.count() == 2


def test_a_post_while_the_same_export_is_running_reuses_it_but_not_someone_elses(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    running = TaskRun.objects.create(
        kind="programs.export.learners.csv", label="x", status=TaskRun.Status.RUNNING, created_by=coordinator
    )
    client.force_login(coordinator)
    response = _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("task_progress", args=[running.pk])
    colleague = _second_coordinator()
    client.force_login(colleague)
    response = _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    assert response["Location"] != reverse("task_progress", args=[running.pk])
    assert TaskRun.objects.count() == 2


def test_a_finished_export_of_a_minute_ago_is_not_reused(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    TaskRun.objects.update(finished_at=timezone.now() - timedelta(minutes=1))
    _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    assert TaskRun.objects.count() == 2


def test_only_coordinators_start_or_download_exports(
    client: Any,
    coordinator: Any,
    learner: Any,
    mentor: Any,
    guardian: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(coordinator)
    url = _download_url(client, _start(client, "learners", "csv", django_capture_on_commit_callbacks))
    start = reverse("programs:export", args=["learners", "csv"])
    client.logout()
    for response in (client.post(start), client.get(start), client.get(url)):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (learner.user, mentor.user, guardian, reviewer.user):
        client.force_login(user)
        assert client.post(start).status_code == 403, user
        assert client.get(url).status_code == 403, user
    assert TaskRun.objects.count() == 1
    # Any coordinator of the society may download a colleague's export (they could make the same one).
    client.force_login(_second_coordinator())
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("kind", "fmt"), [("secrets", "csv"), ("learners", "exe"), ("learners", "CSV"), ("learners.csv", "xlsx")]
)
def test_hostile_kind_or_format_is_404(client: Any, coordinator: Any, kind: str, fmt: str) -> None:
    client.force_login(coordinator)
    url = f"/programs/manage/export/{kind}.{fmt}"
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    assert not TaskRun.objects.exists()


def test_download_of_an_unknown_job_or_one_that_is_not_an_export_is_404(
    client: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    other = TaskRun.objects.create(kind="programs.import", label="Import", status=TaskRun.Status.SUCCEEDED)
    fake = TaskRun.objects.create(
        kind="programs.export.secrets.csv",
        label="x",
        status=TaskRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
    )
    for pk in (other.pk, fake.pk, uuid.uuid4()):
        assert client.get(reverse("programs:export_download", args=[pk])).status_code == 404
    assert client.get("/programs/manage/exports/not-a-uuid/download").status_code == 404


def test_an_unfinished_export_sends_the_coordinator_to_its_progress_page(
    client: Any, coordinator: Any
) -> None:
    run = TaskRun.objects.create(
        kind="programs.export.learners.csv", label="x", status=TaskRun.Status.RUNNING, created_by=coordinator
    )
    client.force_login(coordinator)
    response = client.get(reverse("programs:export_download", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("task_progress", args=[run.pk])


def test_the_old_get_url_sends_bookmarks_to_the_export_buttons(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("programs:export", args=["learners", "xlsx"]))
    assert response.status_code == 303 and response["Location"] == reverse("programs:manage") + "#exports"
    page = client.get(reverse("programs:manage")).content.decode()
    assert f'method="post" action="{reverse("programs:export", args=["learners", "xlsx"])}"' in page
    assert not TaskRun.objects.exists()


def test_after_24_hours_the_link_says_expired_and_the_next_export_deletes_the_file(
    client: Any, coordinator: Any, learner: Any, django_capture_on_commit_callbacks: Any, _private_files: Path
) -> None:
    client.force_login(coordinator)
    url = _download_url(client, _start(client, "learners", "csv", django_capture_on_commit_callbacks))
    old = TaskRun.objects.get()
    path = _private_files / exporting.export_storage_name(old, "csv")
    assert path.exists()
    TaskRun.objects.update(finished_at=timezone.now() - timedelta(hours=25))
    expired = client.get(url)
    assert expired.status_code == 410 and "This export has expired" in expired.content.decode()
    assert not AuditEvent.objects.filter(action="export_download").exists()

    day_old = time.time() - 25 * 3600
    os.utime(path, (day_old, day_old))
    _start(client, "learners", "xlsx", django_capture_on_commit_callbacks)
    assert not path.exists()
    assert (
        _private_files / exporting.export_storage_name(TaskRun.objects.exclude(pk=old.pk).get(), "xlsx")
    ).exists()


def test_the_file_is_private_storage_named_by_the_job(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any, _private_files: Path
) -> None:
    client.force_login(coordinator)
    _start(client, "enrollments", "csv", django_capture_on_commit_callbacks)
    run = TaskRun.objects.get()
    assert [p.name for p in (_private_files / "exports").iterdir()] == [f"{run.pk}.csv"]


def test_starting_and_downloading_cost_the_same_queries_for_3_and_30_people(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)

    def add(n: int) -> None:
        for _ in range(n):
            EnrollmentFactory(learner=LearnerProfileFactory())

    add(3)
    with django_assert_max_num_queries(20):
        small = _start(client, "enrollments", "xlsx", django_capture_on_commit_callbacks)
    url = _download_url(client, small)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    add(27)
    TaskRun.objects.update(finished_at=timezone.now() - timedelta(minutes=1))
    with django_assert_max_num_queries(20):
        large = _start(client, "enrollments", "xlsx", django_capture_on_commit_callbacks)
    url = _download_url(client, large)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)) == 31


def test_the_progress_page_names_the_link_download_the_file(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    response = _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    page = client.get(response["Location"]).content.decode()
    assert "Download the file" in page and "See the result" not in page


def test_the_hourly_command_deletes_only_files_older_than_a_day(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any, _private_files: Path
) -> None:
    from django.core.management import call_command

    client.force_login(coordinator)
    _start(client, "learners", "csv", django_capture_on_commit_callbacks)
    TaskRun.objects.update(finished_at=timezone.now() - timedelta(minutes=1))
    _start(client, "mentors", "csv", django_capture_on_commit_callbacks)

    def file_of(kind: str) -> Path:
        run = TaskRun.objects.get(kind=exporting.export_run_kind(kind, "csv"))
        return _private_files / exporting.export_storage_name(run, "csv")

    old, new = file_of("learners"), file_of("mentors")
    day_old = time.time() - 25 * 3600
    os.utime(old, (day_old, day_old))
    out = io.StringIO()
    call_command("delete_old_exports", stdout=out)
    assert not old.exists() and new.exists()
    assert out.getvalue().startswith("1 ")
