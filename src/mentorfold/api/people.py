"""The caller's own profile and enrollments, and (for coordinators) match runs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Role
from mentorfold.matching.models import MatchAssignment, MatchRun
from mentorfold.programs.models import Enrollment

from .catalog import Pages
from .schemas import (
    EnrollmentOut,
    Id,
    MatchResultOut,
    MatchRunDetailOut,
    MatchRunOut,
    MeOut,
    id_filter,
    responses,
)

router = Router(tags=["me"])


def own_learner(request: HttpRequest) -> LearnerProfile:
    """The caller's learner profile, or 403 (the same rule as the web's learner pages)."""
    learner = getattr(request.user, "learner_profile", None)
    if learner is None or not request.user.has_role(Role.LEARNER):
        raise PermissionDenied
    return learner


def own_mentor(request: HttpRequest) -> MentorProfile | None:
    mentor = getattr(request.user, "mentor_profile", None)
    return mentor if mentor is not None and request.user.has_role(Role.MENTOR) else None


@router.get("/me", response=responses(MeOut), summary="My profile")
def me(request: HttpRequest) -> Any:
    user = request.user
    learner = getattr(user, "learner_profile", None)
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "preferred_name": user.preferred_name,
        "pronouns": user.pronouns,
        "roles": sorted(user.role_names),
        "learner": {
            "id": learner.pk,
            "stage": learner.stage,
            "date_of_birth": learner.date_of_birth,
            "school": learner.school.name if learner.school else None,
            "interests": learner.interests,
        }
        if learner is not None
        else None,
        "mentor": own_mentor(request),
    }


@router.get("/me/enrollments", response=responses(list[EnrollmentOut]), summary="My program applications")
@paginate(Pages)
def my_enrollments(request: HttpRequest, status: str = "") -> Any:
    learner = own_learner(request)
    enrollments = (
        Enrollment.objects.filter(learner=learner)
        .select_related("term__program")
        .order_by("-created_at", "pk")
    )
    if status:
        enrollments = enrollments.filter(status=status)
    return enrollments


def _coordinator(request: HttpRequest) -> None:
    if not request.user.has_perm("matching.manage"):
        raise PermissionDenied


@router.get("/match-runs", response=responses(list[MatchRunOut]), tags=["matching"], summary="Match runs")
@paginate(Pages)
def match_run_list(request: HttpRequest, term: int | None = None, status: str = "") -> Any:
    _coordinator(request)
    id_filter(term, name="term")
    runs = MatchRun.objects.defer("inputs", "result", "certificate", "stats").order_by("-created_at", "-pk")
    if term is not None:
        runs = runs.filter(term_id=term)
    if status:
        runs = runs.filter(status=status)
    return runs


@router.get(
    "/match-runs/{run_id}",
    response=responses(MatchRunDetailOut),
    tags=["matching"],
    summary="One match run",
)
def match_run_detail(request: HttpRequest, run_id: Id) -> Any:
    _coordinator(request)
    return get_object_or_404(MatchRun.objects.defer("inputs", "result", "certificate"), pk=run_id)


@router.get(
    "/match-runs/{run_id}/results",
    response=responses(list[MatchResultOut]),
    tags=["matching"],
    summary="A match run's pairs and unmatched learners",
)
@paginate(Pages)
def match_run_results(request: HttpRequest, run_id: int, matched: bool | None = None) -> Any:
    _coordinator(request)
    id_filter(run_id, name="run_id")
    run = get_object_or_404(MatchRun.objects.only("pk"), pk=run_id)
    results = MatchAssignment.objects.filter(run=run).select_related("learner__user", "mentor__user")
    if matched is not None:
        results = results.filter(mentor__isnull=not matched)
    return results.order_by("learner__user__full_name", "pk")
