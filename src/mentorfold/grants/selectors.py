"""Read queries for grant pages, with their joins in one place."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile, ReviewerProfile

from .models import Application, Assignment, AssignmentRun, Conflict, DecisionRecord, GrantCycle, Review


def open_cycles() -> QuerySet[GrantCycle]:
    now = timezone.now()
    return GrantCycle.objects.filter(status=GrantCycle.Status.OPEN, opens_at__lte=now, closes_at__gte=now)


def applications_of(learner: LearnerProfile) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant=learner)
        .select_related("cycle", "letter")
        .order_by("-created_at")
    )


def application_for_owner(learner: LearnerProfile, pk: int) -> Application | None:
    return (
        Application.objects.filter(pk=pk, applicant=learner)
        .select_related("cycle", "applicant__user", "applicant__school")
        .prefetch_related("attachments")
        .first()
    )


def _conflicted(reviewer: Any) -> Exists:
    return Exists(
        Conflict.objects.filter(
            application=OuterRef("application"), reviewer=reviewer, status__in=Conflict.BLOCKING
        )
    )


def reviewer_assignments(reviewer: Any) -> QuerySet[Assignment]:
    """The reviewer's assignments, minus any with a conflict, with their own review's status."""
    own_review = Review.objects.filter(application=OuterRef("application"), reviewer=reviewer)
    return (
        Assignment.objects.filter(reviewer=reviewer)
        .exclude(application__status=Application.Status.WITHDRAWN)
        .annotate(conflicted=_conflicted(reviewer))
        .filter(conflicted=False)
        .annotate(
            submitted=Exists(own_review.filter(status=Review.Status.SUBMITTED)),
            started=Exists(own_review),
        )
        .select_related(
            "application__cycle", "application__applicant__user", "application__applicant__school"
        )
        .order_by("application__cycle", "application__code")
    )


REVIEWS_PER_PAGE = 25
CONFLICTS_PER_PAGE = 50


def reviewer_open_counts(reviewer: Any) -> dict[str, int]:
    """Assignments in cycles still in review, and how many of them the reviewer submitted (one query)."""
    counts = (
        reviewer_assignments(reviewer)
        .exclude(application__cycle__status=GrantCycle.Status.DECIDED)
        .aggregate(assigned=Count("pk"), done=Count("pk", filter=Q(submitted=True)))
    )
    return {"assigned": counts["assigned"] or 0, "done": counts["done"] or 0}


def application_for_reviewer(reviewer: Any, pk: int) -> Application | None:
    """The application if this reviewer is assigned and not conflicted, else None (the view answers 404)."""
    assignment = reviewer_assignments(reviewer).filter(application_id=pk).first()
    return assignment.application if assignment else None


def reviewer_progress(cycle: GrantCycle) -> list[dict[str, Any]]:
    """Per reviewer: assigned, submitted, drafts (three grouped queries)."""
    assigned = dict(
        Assignment.objects.filter(cycle=cycle)
        .values_list("reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "n")
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"submitted": 0, "draft": 0})
    for reviewer_id, status, n in (
        Review.objects.filter(cycle=cycle)
        .values_list("reviewer_id", "status")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "status", "n")
    ):
        counts[reviewer_id][status] = n
    people = (
        ReviewerProfile.objects.filter(user_id__in=list(assigned))
        .select_related("user")
        .order_by("user__full_name")
    )
    rows = []
    for profile in people:
        total = assigned.get(profile.user_id, 0)
        done = counts[profile.user_id]["submitted"]
        rows.append(
            {
                "reviewer": profile.user,
                "assigned": total,
                "submitted": done,
                "draft": counts[profile.user_id]["draft"],
                "percent": round(100 * done / total) if total else 0,
            }
        )
    return rows


def cycle_counts(cycle: GrantCycle) -> dict[str, int]:
    by_status = dict(
        Application.objects.filter(cycle=cycle)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    reviews = Review.objects.filter(cycle=cycle).aggregate(
        submitted=Count("pk", filter=Q(status=Review.Status.SUBMITTED)), total=Count("pk")
    )
    conflicts = Conflict.objects.filter(cycle=cycle).aggregate(
        blocking=Count("pk", filter=Q(status__in=Conflict.BLOCKING)),
        flagged=Count("pk", filter=Q(status=Conflict.Status.FLAGGED)),
    )
    return {
        "draft": by_status.get("draft", 0),
        "submitted": by_status.get("submitted", 0),
        "withdrawn": by_status.get("withdrawn", 0),
        "assignments": Assignment.objects.filter(cycle=cycle).count(),
        "reviews_submitted": reviews["submitted"],
        "conflicts": conflicts["blocking"],
        "flagged": conflicts["flagged"],
    }


def latest_run(cycle: GrantCycle) -> AssignmentRun | None:
    return AssignmentRun.objects.filter(cycle=cycle).defer("explanations").first()


def latest_decision(cycle: GrantCycle) -> DecisionRecord | None:
    frozen = DecisionRecord.objects.filter(cycle=cycle, status=DecisionRecord.Status.FROZEN).first()
    return frozen or DecisionRecord.objects.filter(cycle=cycle).first()


def cycle_conflicts(cycle: GrantCycle, *, status: str = "") -> QuerySet[Conflict]:
    """The cycle's conflicts in a stable order (application, reviewer), with only the columns the page shows."""
    qs = Conflict.objects.filter(cycle=cycle)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("reviewer", "application__applicant__user")
        .only(
            "status",
            "reason",
            "reviewer__full_name",
            "application__code",
            "application__applicant__user__full_name",
        )
        .order_by("application_id", "reviewer_id")
    )
