"""CSV/XLSX exports that are safe to open in a spreadsheet: cells that look like formulas become text.

The header row keeps the importer's English column names in every language, so an export can be fixed in a
spreadsheet and imported again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.core.spreadsheets import rows_to_csv, rows_to_xlsx

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
