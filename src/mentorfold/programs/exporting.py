"""CSV/XLSX exports that are safe to open in a spreadsheet: cells that look like formulas become text.

The header row keeps the importer's English column names in every language, so an export can be fixed in a
spreadsheet and imported again. Coordinators' exports run as background jobs (``export_start`` and
``export_file_make``) that write the file to private storage for 24 hours.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from openpyxl import Workbook

from mentorfold.accounts.models import LearnerProfile, MentorProfile, User
from mentorfold.core.audit import audit
from mentorfold.core.models import TaskRun
from mentorfold.core.spreadsheets import neutralise_formula, rows_to_csv, rows_to_xlsx
from mentorfold.core.uploads import private_storage

from .models import Enrollment

EXPORT_KINDS = ("learners", "mentors", "enrollments")


CHUNK = 2000  # rows read per round trip; the export never holds every model object at once


def _learner_rows(qs: QuerySet[LearnerProfile]) -> Iterator[list[Any]]:
    yield ["email", "full_name", "stage", "date_of_birth", "school", "languages"]
    spoken: dict[int, list[str]] = defaultdict(list)
    for learner_id, name in LearnerProfile.languages.through.objects.order_by("language__name").values_list(
        "learnerprofile_id", "language__name"
    ):
        spoken[learner_id].append(name)
    rows = qs.order_by("pk").values_list(
        "pk", "user__email", "user__full_name", "stage", "date_of_birth", "school__name"
    )
    for pk, email, full_name, stage, born, school in rows.iterator(chunk_size=CHUNK):
        yield [email, full_name, stage, born.isoformat(), school or "", ", ".join(spoken.get(pk, ()))]


def _mentor_rows(qs: QuerySet[MentorProfile]) -> Iterator[list[Any]]:
    yield ["email", "full_name", "specialty", "capacity", "organization", "status"]
    rows = qs.order_by("pk").values_list(
        "user__email", "user__full_name", "specialty", "capacity", "organization__name", "status"
    )
    for email, full_name, specialty, capacity, organization, status in rows.iterator(chunk_size=CHUNK):
        yield [email, full_name, specialty, capacity, organization or "", status]


def _enrollment_rows(qs: QuerySet[Enrollment]) -> Iterator[list[Any]]:
    yield ["program", "term", "email", "full_name", "status", "applied", "reason"]
    rows = qs.order_by("pk").values_list(
        "term__program__name",
        "term__name",
        "learner__user__email",
        "learner__user__full_name",
        "status",
        "created_at",
        "decision_reason",
    )
    for program, term, email, full_name, status, created_at, reason in rows.iterator(chunk_size=CHUNK):
        yield [program, term, email, full_name, status, created_at.date().isoformat(), reason]


def export_rows(kind: str) -> Iterator[list[Any]]:
    if kind == "learners":
        return _learner_rows(LearnerProfile.objects.all())
    if kind == "mentors":
        return _mentor_rows(MentorProfile.objects.all())
    if kind == "enrollments":
        return _enrollment_rows(Enrollment.objects.all())
    raise ValueError(kind)


def write_csv(rows: Iterable[list[Any]]) -> bytes:
    # A BOM so Excel opens UTF-8 names (Nguyễn, Çelik) correctly.
    return ("\ufeff" + rows_to_csv(rows)).encode("utf-8")


def write_xlsx(rows: Iterable[list[Any]]) -> bytes:
    return rows_to_xlsx(rows)


# --- Exports as background jobs (issue 14 §5): a 20,000-row workbook must not hold a web worker -------------

EXPORT_FORMATS = ("csv", "xlsx")
# TaskRun.kind of an export: "programs.export.<kind>.<format>", so a run says what it made.
EXPORT_RUN_PREFIX = "programs.export."
EXPORTS_FOLDER = "exports"
# A made file is kept this long, then deleted; its link then says it expired.
EXPORT_KEPT_FOR = timedelta(hours=24)
# A second POST for the same export by the same person: reuse a job still waiting or running (unless it is so
# old its worker must be gone), or one that finished a moment ago (a double click).
REUSE_RUNNING_WITHIN = timedelta(hours=1)
REUSE_FINISHED_WITHIN = timedelta(seconds=10)
PROGRESS_EVERY = CHUNK


def export_run_kind(kind: str, fmt: str) -> str:
    return f"{EXPORT_RUN_PREFIX}{kind}.{fmt}"


def export_of_run(run: TaskRun) -> tuple[str, str] | None:
    """``(kind, format)`` of an export job, or None when the job is not an export."""
    if not run.kind.startswith(EXPORT_RUN_PREFIX):
        return None
    kind, _, fmt = run.kind[len(EXPORT_RUN_PREFIX) :].partition(".")
    if kind not in EXPORT_KINDS or fmt not in EXPORT_FORMATS:
        return None
    return kind, fmt


def export_storage_name(run: TaskRun, fmt: str) -> str:
    """Where the job's file lives in private storage: named by the job, never by anything a person typed."""
    return f"{EXPORTS_FOLDER}/{run.pk}.{fmt}"


def export_download_name(kind: str, fmt: str, day: date) -> str:
    return f"mentorfold-{kind}-{day.isoformat()}.{fmt}"


def export_is_expired(run: TaskRun, *, now: datetime | None = None) -> bool:
    finished = run.finished_at or run.created_at
    return (now or timezone.now()) - finished > EXPORT_KEPT_FOR


def export_start(*, actor: Any, kind: str, fmt: str, enqueue: Callable[[str], TaskRun]) -> TaskRun:
    """Start an export job, or return this person's same export already waiting, running or just made.

    ``enqueue(run_kind)`` creates the TaskRun and queues the job (``core.tracking.task_run_start``). The
    person's row is locked first so two POSTs at once cannot both start a job.
    """
    if kind not in EXPORT_KINDS or fmt not in EXPORT_FORMATS:
        raise ValueError(f"{kind}.{fmt}")
    run_kind = export_run_kind(kind, fmt)
    now = timezone.now()
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))
        same = TaskRun.objects.filter(kind=run_kind, created_by_id=actor.pk)
        current = (
            same.filter(
                Q(
                    status__in=[TaskRun.Status.QUEUED, TaskRun.Status.RUNNING],
                    created_at__gte=now - REUSE_RUNNING_WITHIN,
                )
                | Q(status=TaskRun.Status.SUCCEEDED, finished_at__gte=now - REUSE_FINISHED_WITHIN)
            )
            .order_by("-created_at")
            .first()
        )
        if current is not None:
            return current
        return enqueue(run_kind)


def export_files_cleanup(*, now: datetime | None = None) -> int:
    """Delete export files older than EXPORT_KEPT_FOR; return how many. Run before every new export."""
    storage = private_storage()
    if not storage.exists(EXPORTS_FOLDER):
        return 0
    limit = (now or timezone.now()) - EXPORT_KEPT_FOR
    deleted = 0
    for name in storage.listdir(EXPORTS_FOLDER)[1]:
        path = f"{EXPORTS_FOLDER}/{name}"
        if storage.get_modified_time(path) < limit:
            storage.delete(path)
            deleted += 1
    return deleted


def _with_progress(
    rows: Iterator[list[Any]], total: int, report: Callable[[int, str], None]
) -> Iterator[list[Any]]:
    for done, row in enumerate(rows):
        if done and done % PROGRESS_EVERY == 0:
            report(
                min(90, 90 * done // max(total, 1)),
                gettext("%(done)d of %(total)d rows written.") % {"done": done, "total": total},
            )
        yield row


def _write_csv_file(rows: Iterable[list[Any]], path: Path) -> None:
    # Byte for byte what write_csv() gives: a BOM, then csv's "\r\n" lines, formulas neutralised.
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\ufeff")
        writer = csv.writer(out)
        for row in rows:
            writer.writerow([neutralise_formula("" if v is None else v) for v in row])


def _write_xlsx_file(rows: Iterable[list[Any]], path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Export")
    for row in rows:
        sheet.append([neutralise_formula("" if v is None else v) for v in row])
    workbook.save(path)


def export_file_make(*, run: TaskRun, kind: str, fmt: str, actor_id: int) -> dict[str, Any]:
    """Write the export file of ``run`` to private storage (outside any transaction); audit it; return the result."""
    if kind not in EXPORT_KINDS or fmt not in EXPORT_FORMATS:
        raise ValueError(f"{kind}.{fmt}")
    export_files_cleanup()
    total = {"learners": LearnerProfile, "mentors": MentorProfile, "enrollments": Enrollment}[
        kind
    ].objects.count()
    storage = private_storage()
    name = export_storage_name(run, fmt)
    target = Path(storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    rows = _with_progress(export_rows(kind), total + 1, run.report)
    try:
        (_write_csv_file if fmt == "csv" else _write_xlsx_file)(rows, partial)
        partial.replace(target)  # the download never sees a half-written file
    finally:
        partial.unlink(missing_ok=True)
    actor = User.objects.filter(pk=actor_id).first()
    audit(
        actor=actor,
        action="export",
        data={"kind": kind, "format": fmt, "rows": total, "task_run": str(run.pk)},
    )
    return {
        "message": ngettext(
            "%(n)d row exported. The file is kept for 24 hours.",
            "%(n)d rows exported. The file is kept for 24 hours.",
            total,
        )
        % {"n": total},
        "url": reverse("programs:export_download", args=[run.pk]),
        "download": True,  # the progress page names the link "Download the file"
        "rows": total,
    }
