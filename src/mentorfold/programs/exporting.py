"""CSV/XLSX exports that are safe to open in a spreadsheet: cells that look like formulas become text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.core.spreadsheets import rows_to_csv, rows_to_xlsx

from .models import Enrollment

EXPORT_KINDS = ("learners", "mentors", "enrollments")


def _learner_rows(qs: QuerySet[LearnerProfile]) -> Iterator[list[Any]]:
    yield [_("email"), _("full_name"), _("stage"), _("date_of_birth"), _("school"), _("languages")]
    for learner in qs.select_related("user", "school").prefetch_related("languages").order_by("pk"):
        yield [
            learner.user.email,
            learner.user.full_name,
            learner.stage,
            learner.date_of_birth.isoformat(),
            learner.school.name if learner.school else "",
            ", ".join(lang.name for lang in learner.languages.all()),
        ]


def _mentor_rows(qs: QuerySet[MentorProfile]) -> Iterator[list[Any]]:
    yield [_("email"), _("full_name"), _("specialty"), _("capacity"), _("organization"), _("status")]
    for mentor in qs.select_related("user", "organization").order_by("pk"):
        yield [
            mentor.user.email,
            mentor.user.full_name,
            mentor.specialty,
            mentor.capacity,
            mentor.organization.name if mentor.organization else "",
            mentor.status,
        ]


def _enrollment_rows(qs: QuerySet[Enrollment]) -> Iterator[list[Any]]:
    yield [_("program"), _("term"), _("email"), _("full_name"), _("status"), _("applied"), _("reason")]
    for e in qs.select_related("term__program", "learner__user").order_by("pk"):
        yield [
            e.term.program.name,
            e.term.name,
            e.learner.user.email,
            e.learner.user.full_name,
            e.status,
            e.created_at.date().isoformat(),
            e.decision_reason,
        ]


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
