"""Reads behind a run's page: every pair (search, sort, pages), unmatched learners, exports, diff of two runs.

Each function runs a fixed number of queries whatever the size of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile

from .models import MatchAssignment, MatchRun

PAGE_SIZE = 50
DIFF_SHOWN = 100

SORTS = {
    "learner": ("learner__user__full_name", "learner_id"),
    "mentor": ("mentor__user__full_name", "learner__user__full_name"),
    "site": ("site__name", "learner__user__full_name"),
    "rank": ("rank", "learner__user__full_name"),
    "score": ("score", "learner__user__full_name"),
    "reason": ("reason", "learner__user__full_name"),
}


def _search(qs: QuerySet[MatchAssignment], q: str) -> QuerySet[MatchAssignment]:
    if not q:
        return qs
    return qs.filter(Q(learner__user__full_name__icontains=q) | Q(mentor__user__full_name__icontains=q))


def _ordered(qs: QuerySet[MatchAssignment], sort: str) -> QuerySet[MatchAssignment]:
    key = sort.removeprefix("-")
    fields = SORTS.get(key, SORTS["learner"])
    if sort.startswith("-"):
        return qs.order_by(*(f"-{f}" for f in fields))
    return qs.order_by(*fields)


def matched_pairs(run: MatchRun, *, q: str = "", sort: str = "learner", page: int = 1) -> Page[Any]:
    """One page of the run's matched pairs (2 queries: count and page)."""
    qs = run.assignments.filter(mentor__isnull=False).select_related("learner__user", "mentor__user", "site")
    return Paginator(_ordered(_search(qs, q), sort), PAGE_SIZE).get_page(page)


def unmatched_learners(run: MatchRun, *, q: str = "", sort: str = "learner", page: int = 1) -> Page[Any]:
    """One page of learners left without a mentor, each with the reason (2 queries)."""
    qs = run.assignments.filter(mentor__isnull=True).select_related("learner__user")
    if sort.removeprefix("-") not in {"learner", "reason"}:
        sort = "learner"
    return Paginator(_ordered(_search(qs, q), sort), PAGE_SIZE).get_page(page)


def unmatched_reasons(run: MatchRun) -> list[tuple[str, int]]:
    """How many learners were left out for each reason, most common first (1 query)."""
    labels = dict(MatchAssignment.Reason.choices)
    rows = (
        run.assignments.filter(mentor__isnull=True)
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
    )
    return [(str(labels.get(r["reason"], r["reason"])), r["n"]) for r in rows]


def export_rows(run: MatchRun) -> list[list[Any]]:
    """Header plus one row per learner of the run (1 query); cells are neutralised by core.spreadsheets."""
    labels = dict(MatchAssignment.Reason.choices)
    rows: list[list[Any]] = [
        [
            _("Learner"),
            _("Learner e-mail"),
            _("Mentor"),
            _("Mentor e-mail"),
            _("Clinic"),
            _("Rank received"),
            _("Score"),
            _("Outcome"),
        ]
    ]
    values = (
        run.assignments.order_by("learner__user__full_name", "learner_id")
        .values_list(
            "learner__user__full_name",
            "learner__user__email",
            "mentor__user__full_name",
            "mentor__user__email",
            "site__name",
            "rank",
            "score",
            "reason",
        )
        .iterator(5000)
    )
    for learner, l_email, mentor, m_email, site, rank, score, reason in values:
        rows.append(
            [
                learner,
                l_email,
                mentor or "",
                m_email or "",
                site or "",
                rank,
                score,
                str(labels.get(reason, reason)),
            ]
        )
    return rows


@dataclass(frozen=True)
class DiffLine:
    learner: str
    before: str
    after: str


@dataclass(frozen=True)
class RunDiff:
    other: MatchRun
    changed: list[DiffLine]
    added: list[DiffLine]
    removed: list[DiffLine]
    changed_count: int
    added_count: int
    removed_count: int
    same_count: int


def run_diff(run: MatchRun, other: MatchRun, *, shown: int = DIFF_SHOWN) -> RunDiff:
    """Learners whose mentor changed between ``other`` and ``run``, who gained one, who lost one (4 queries).

    ``added``: matched in this run but not in the other; ``removed``: matched in the other but not in this one.
    """
    mine = dict(run.assignments.values_list("learner_id", "mentor_id"))
    theirs = dict(other.assignments.values_list("learner_id", "mentor_id"))
    changed, added, removed, same = [], [], [], 0
    for learner_id in sorted(set(mine) | set(theirs)):
        now, before = mine.get(learner_id), theirs.get(learner_id)
        if now == before:
            same += now is not None
        elif now is not None and before is not None:
            changed.append((learner_id, before, now))
        elif now is not None:
            added.append((learner_id, None, now))
        else:
            removed.append((learner_id, before, None))
    picked = changed[:shown] + added[:shown] + removed[:shown]
    learner_ids = {row[0] for row in picked}
    mentor_ids = {m for row in picked for m in row[1:] if m is not None}
    learners = dict(LearnerProfile.objects.filter(pk__in=learner_ids).values_list("pk", "user__full_name"))
    mentors = {m.pk: str(m) for m in MentorProfile.objects.filter(pk__in=mentor_ids).select_related("user")}

    def lines(rows: list[tuple[int, int | None, int | None]]) -> list[DiffLine]:
        return [
            DiffLine(
                learners.get(lid, ""),
                mentors.get(b, "") if b is not None else "",
                mentors.get(a, "") if a is not None else "",
            )
            for lid, b, a in rows[:shown]
        ]

    return RunDiff(
        other=other,
        changed=lines(changed),
        added=lines(added),
        removed=lines(removed),
        changed_count=len(changed),
        added_count=len(added),
        removed_count=len(removed),
        same_count=same,
    )
