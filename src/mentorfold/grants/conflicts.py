"""Automatic conflict-of-interest detection, in bulk: a handful of queries for any number of pairs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps as django_apps

from mentorfold.accounts.models import ReviewerProfile
from mentorfold.matching.models import Mentorship

from .models import Application, Conflict, GrantCycle, ReviewerDeclaration, family_name


@dataclass(frozen=True)
class FoundConflict:
    reviewer_id: int
    application_id: int
    source: str
    status: str
    reason: str


def _norm(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())


def detect(cycle: GrantCycle) -> list[FoundConflict]:
    """Every automatic or declared conflict between the society's reviewers and this cycle's applications."""
    apps = list(
        Application.objects.filter(cycle=cycle)
        .exclude(status=Application.Status.WITHDRAWN)
        .values_list(
            "pk",
            "applicant_id",
            "applicant__school_id",
            "applicant__school__name",
            "applicant__user__full_name",
            "applicant__user__email",
            "mailing_address",
        )
    )
    reviewers = list(
        ReviewerProfile.objects.values_list(
            "user_id", "organization_id", "organization__name", "user__mentor_profile__organization_id"
        )
    )
    found: list[FoundConflict] = []
    by_school: dict[int, list[int]] = defaultdict(list)
    school_name: dict[int, str] = {}
    app_by_learner: dict[int, int] = {}
    for pk, learner_id, school_id, school, _name, _email, _addr in apps:
        app_by_learner[learner_id] = pk
        if school_id is not None:
            by_school[school_id].append(pk)
            school_name[school_id] = school
    for user_id, org_id, _org_name, mentor_org_id in reviewers:
        for oid in {org_id, mentor_org_id} - {None}:
            for app_pk in by_school.get(oid, ()):
                found.append(
                    FoundConflict(
                        user_id,
                        app_pk,
                        Conflict.Source.ORGANIZATION,
                        Conflict.Status.ACTIVE,
                        f"Same school or organisation: {school_name[oid]}",
                    )
                )
    reviewer_ids = {r[0] for r in reviewers}
    mentorships = (
        Mentorship.objects.filter(
            learner__grant_applications__cycle=cycle, mentor__user__reviewer_profile__isnull=False
        )
        .values_list("mentor__user_id", "learner_id", "status")
        .distinct()
    )
    seen = set()
    for user_id, learner_id, status in mentorships:
        if (user_id, learner_id) in seen or learner_id not in app_by_learner:
            continue
        seen.add((user_id, learner_id))
        found.append(
            FoundConflict(
                user_id,
                app_by_learner[learner_id],
                Conflict.Source.MENTORSHIP,
                Conflict.Status.ACTIVE,
                f"Mentor of the applicant (mentorship {status})",
            )
        )
    found += _shadowing(cycle, reviewer_ids, app_by_learner)
    found += _declared(cycle, apps)
    return found


def _shadowing(
    cycle: GrantCycle, reviewer_ids: set[int], app_by_learner: dict[int, int]
) -> list[FoundConflict]:
    try:
        booking = django_apps.get_model("shadowing", "Booking")
    except LookupError:  # the shadowing app has no bookings yet
        return []
    pairs = (
        booking.objects.filter(
            learner__grant_applications__cycle=cycle, slot__mentor__user__reviewer_profile__isnull=False
        )
        .values_list("slot__mentor__user_id", "learner_id")
        .distinct()
    )
    return [
        FoundConflict(
            user_id,
            app_by_learner[learner_id],
            Conflict.Source.SHADOWING,
            Conflict.Status.ACTIVE,
            "The applicant shadowed this reviewer",
        )
        for user_id, learner_id in pairs
        if learner_id in app_by_learner
    ]


def _declared(cycle: GrantCycle, apps: list[tuple]) -> list[FoundConflict]:
    by_email: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    by_family_address: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, _learner, _school_id, _school, name, email, address in apps:
        by_email[email.lower()].append(pk)
        by_name[_norm(name)].append(pk)
        if address.strip():
            by_family_address[(family_name(name), _norm(address))].append(pk)
    found: list[FoundConflict] = []
    declarations = ReviewerDeclaration.objects.filter(cycle=cycle).values_list(
        "reviewer_id", "reviewer__full_name", "known_people", "mailing_address"
    )
    for reviewer_id, reviewer_name, known, address in declarations:
        for line in known.splitlines():
            line = line.strip()
            if not line:
                continue
            matches = by_email.get(line.lower()) or by_name.get(_norm(line)) or []
            for app_pk in matches:
                found.append(
                    FoundConflict(
                        reviewer_id,
                        app_pk,
                        Conflict.Source.DECLARED,
                        Conflict.Status.ACTIVE,
                        f"Declared by the reviewer: {line[:200]}",
                    )
                )
        if address.strip():
            for app_pk in by_family_address.get((family_name(reviewer_name), _norm(address)), []):
                found.append(
                    FoundConflict(
                        reviewer_id,
                        app_pk,
                        Conflict.Source.FAMILY_ADDRESS,
                        Conflict.Status.FLAGGED,
                        "Same family name and mailing address: a coordinator should check",
                    )
                )
    return found
