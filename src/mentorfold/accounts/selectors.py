"""Read queries for people pages, with their joins declared in one place."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import GuardianLink, LearnerProfile, MentorProfile, User


def eighteenth_birthday_cutoff(today: date | None = None) -> date:
    """Learners born after this date are minors today."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 18, day=28)


def learner_list(*, search: str = "") -> QuerySet[LearnerProfile]:
    qs = LearnerProfile.objects.select_related("user", "school").order_by("user__full_name")
    if search:
        qs = qs.filter(Q(user__full_name__icontains=search) | Q(user__email__icontains=search))
    return qs


def mentor_list(*, search: str = "") -> QuerySet[MentorProfile]:
    qs = MentorProfile.objects.select_related("user", "organization").order_by("user__full_name")
    if search:
        qs = qs.filter(
            Q(user__full_name__icontains=search)
            | Q(user__email__icontains=search)
            | Q(specialty__icontains=search)
        )
    return qs


def minors_without_verified_guardian() -> QuerySet[LearnerProfile]:
    return (
        LearnerProfile.objects.filter(date_of_birth__gt=eighteenth_birthday_cutoff())
        .annotate(
            verified_guardians=Count(
                "guardian_links", filter=Q(guardian_links__status=GuardianLink.Status.VERIFIED)
            )
        )
        .filter(verified_guardians=0)
        .select_related("user")
    )


def coordinator_summary() -> dict[str, int]:
    return {
        "mentors": MentorProfile.objects.count(),
        "mentors_onboarding": MentorProfile.objects.filter(status=MentorProfile.Status.ONBOARDING).count(),
        "learners": LearnerProfile.objects.count(),
        "minors_without_guardian": minors_without_verified_guardian().count(),
    }


def children_of(guardian: User) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(guardian=guardian, status=GuardianLink.Status.VERIFIED).select_related(
        "learner__user", "learner__school"
    )


def guardian_links_awaiting_confirmation() -> QuerySet[GuardianLink]:
    """Accepted guardian links a coordinator still has to confirm, oldest first."""
    return (
        GuardianLink.objects.filter(status=GuardianLink.Status.ACCEPTED)
        .select_related("learner__user", "guardian")
        .order_by("accepted_at", "pk")
    )


def guardian_links_waiting_for(guardian: User) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(guardian=guardian, status=GuardianLink.Status.ACCEPTED).select_related(
        "learner__user"
    )
