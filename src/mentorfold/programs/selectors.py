"""Read queries for program pages, with their joins declared here."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile, User

from . import compliance
from .models import (
    Enrollment,
    ImportBatch,
    MentorTermOptIn,
    Program,
    Requirement,
    RequirementRecord,
    Site,
    Term,
)


def public_programs() -> QuerySet[Program]:
    now = timezone.now()
    open_terms = Term.objects.filter(status=Term.Status.OPEN, application_closes__gt=now).order_by(
        "starts_on"
    )
    return Program.objects.filter(is_public=True, archived_at__isnull=True).prefetch_related(
        Prefetch("terms", open_terms, "open_terms")
    )


def program_detail(slug: str) -> Program:
    return public_programs().prefetch_related("sites").get(slug=slug)


def review_queue(*, kind: str = "", program_id: int | None = None) -> QuerySet[RequirementRecord]:
    """Submissions waiting for a coordinator, oldest first (uses the status+submitted_at index)."""
    qs = RequirementRecord.objects.filter(status=RequirementRecord.Status.SUBMITTED)
    if kind:
        qs = qs.filter(requirement__kind=kind)
    if program_id:
        qs = qs.filter(requirement__program_id=program_id)
    return qs.select_related(
        "requirement__program", "requirement__site", "person", "signed_by", "document"
    ).order_by("submitted_at", "pk")


def coordinator_counts() -> dict[str, int]:
    """Applications per status counted from the status index (grouping reads no application row)."""
    shown = [Enrollment.Status.APPLIED, Enrollment.Status.ACCEPTED, Enrollment.Status.WAITLISTED]
    by_status = dict(
        Enrollment.objects.filter(status__in=shown)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    counts = {str(status): by_status.get(status, 0) for status in shown}
    counts["queue"] = RequirementRecord.objects.filter(status=RequirementRecord.Status.SUBMITTED).count()
    counts["programs"] = Program.objects.count()
    counts["sites"] = Site.objects.filter(is_active=True).count()
    return counts


def enrollments_for_review(*, term_id: int | None = None, status: str = "") -> QuerySet[Enrollment]:
    qs = Enrollment.objects.select_related("term__program", "learner__user", "decided_by")
    if term_id:
        qs = qs.filter(term_id=term_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "pk")


def learner_enrollment_status(learner: LearnerProfile) -> list[dict[str, Any]]:
    """Each of the learner's applications with, once accepted, what still blocks matching."""
    enrollments = list(
        Enrollment.objects.filter(learner=learner)
        .select_related("term__program")
        .order_by("-created_at")[:10]
    )
    # Terms where the learner already has a mentor (matching's Mentorship), so "ready" never sits beside "matched".
    matched_terms = set(
        learner.mentorships.filter(status__in=["active", "paused"]).values_list("term_id", flat=True)
    )
    rows = []
    for enrollment in enrollments:
        program = enrollment.term.program
        blockers = compliance.learner_blockers(learner, program=program)
        rows.append(
            {
                "enrollment": enrollment,
                "program": program,
                "blockers": blockers,
                "has_mentor": enrollment.term_id in matched_terms,
            }
        )
    return rows


def requirement_status_for(person: User, requirements: list[Requirement]) -> list[dict[str, Any]]:
    """Per requirement: the latest record and the derived status (missing / submitted / approved / expired)."""
    latest = compliance._latest_records([person.pk], requirements)
    today = timezone.localdate()
    out = []
    for requirement in requirements:
        record = latest.get((person.pk, requirement.pk))
        blocker = compliance.record_blocker(requirement, record, today)
        out.append(
            {
                "requirement": requirement,
                "record": record,
                "status": blocker.code if blocker else "approved",
                "message": blocker.message if blocker else "",
            }
        )
    return out


def learner_requirements(learner: LearnerProfile) -> list[dict[str, Any]]:
    """Requirements of every program the learner applied to, and of the sites those programs use."""
    program_ids = set(
        Enrollment.objects.filter(learner=learner)
        .exclude(status__in=[Enrollment.Status.DECLINED, Enrollment.Status.WITHDRAWN])
        .values_list("term__program_id", flat=True)
    )
    site_ids = set(
        Program.sites.through.objects.filter(program_id__in=program_ids).values_list("site_id", flat=True)
    )
    qs = Requirement.objects.filter(
        Q(program_id__in=program_ids) | Q(site_id__in=site_ids), applies_to=Requirement.AppliesTo.LEARNER
    ).select_related("program", "site")
    if not learner.is_minor:
        qs = qs.exclude(minors_only=True)
    return requirement_status_for(learner.user, list(qs.order_by("program__name", "site__name", "name")))


def mentor_requirements(mentor: MentorProfile) -> list[dict[str, Any]]:
    program_ids = set(mentor.term_opt_ins.values_list("term__program_id", flat=True))
    site_ids = set(mentor.sites.values_list("pk", flat=True))
    qs = Requirement.objects.filter(
        Q(program_id__in=program_ids) | Q(site_id__in=site_ids), applies_to=Requirement.AppliesTo.MENTOR
    ).select_related("program", "site")
    return requirement_status_for(mentor.user, list(qs.order_by("name")))


def open_terms_for_mentor(mentor: MentorProfile) -> list[dict[str, Any]]:
    terms = list(
        Term.objects.filter(status__in=[Term.Status.OPEN, Term.Status.MATCHING])
        .select_related("program")
        .order_by("starts_on")[:20]
    )
    opted = {o.term_id: o for o in MentorTermOptIn.objects.filter(mentor=mentor, term__in=terms)}
    return [{"term": t, "opt_in": opted.get(t.pk)} for t in terms]


def consents_for_guardian(guardian: User) -> list[dict[str, Any]]:
    """For each child: the programs they applied to and the state of consent for each."""
    links = list(
        GuardianLink.objects.filter(guardian=guardian, status=GuardianLink.Status.VERIFIED).select_related(
            "learner__user"
        )
    )
    learners = {link.learner_id: link.learner for link in links}
    enrollments = list(
        Enrollment.objects.filter(learner_id__in=learners)
        .exclude(status__in=[Enrollment.Status.DECLINED, Enrollment.Status.WITHDRAWN])
        .select_related("term__program")
    )
    requirements = {
        r.program_id: r
        for r in Requirement.objects.filter(
            kind=Requirement.Kind.GUARDIAN_CONSENT, program_id__in={e.term.program_id for e in enrollments}
        )
    }
    latest = compliance._latest_records([lp.user_id for lp in learners.values()], list(requirements.values()))
    rows = []
    for e in enrollments:
        learner = learners[e.learner_id]
        requirement = requirements.get(e.term.program_id)
        if requirement is None or not learner.is_minor:
            continue
        rows.append(
            {
                "learner": learner,
                "program": e.term.program,
                "record": latest.get((learner.user_id, requirement.pk)),
            }
        )
    return rows


def recent_imports(limit: int = 10) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").defer("rows", "errors")[:limit]
