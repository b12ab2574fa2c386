"""Grant cycles, the applicant's own applications, and a reviewer's assigned reviews (conflicts excluded as on
the web: ``grants.selectors.reviewer_assignments`` and the review service decide, not this module)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate

from mentorfold.grants import review as grant_review
from mentorfold.grants import selectors as grant_selectors
from mentorfold.grants.models import Application, GrantCycle, Review

from .catalog import Pages
from .people import own_learner
from .schemas import (
    AssignmentOut,
    ConflictIn,
    GrantCycleOut,
    Id,
    MyApplicationOut,
    MyReviewOut,
    ReviewDetailOut,
    ReviewIn,
    responses,
)
from .visits import audit_api_write

router = Router(tags=["grants"])


def _cycles() -> Any:
    return GrantCycle.objects.exclude(status=GrantCycle.Status.DRAFT)


@router.get("/grant-cycles", response=responses(list[GrantCycleOut]), summary="Grant cycles")
@paginate(Pages)
def cycle_list(request: HttpRequest, status: str = "") -> Any:
    cycles = _cycles().order_by("-opens_at", "pk")
    if status:
        cycles = cycles.filter(status=status)
    return cycles


@router.get("/grant-cycles/{cycle_id}", response=responses(GrantCycleOut), summary="One grant cycle")
def cycle_detail(request: HttpRequest, cycle_id: Id) -> Any:
    return get_object_or_404(_cycles(), pk=cycle_id)


@router.get("/me/applications", response=responses(list[MyApplicationOut]), summary="My grant applications")
@paginate(Pages)
def my_applications(request: HttpRequest) -> Any:
    learner = own_learner(request)
    return grant_selectors.applications_of(learner).order_by("-created_at", "pk")


def _reviewer(request: HttpRequest) -> None:
    if not grant_review.is_reviewer(request.user):
        raise PermissionDenied


@router.get("/reviews", response=responses(list[AssignmentOut]), summary="Applications assigned to me")
@paginate(Pages)
def review_list(request: HttpRequest) -> Any:
    _reviewer(request)
    return grant_selectors.reviewer_assignments(request.user)


def _assigned(request: HttpRequest, application_id: int) -> Application:
    """The application if assigned to the caller without a conflict; 404 otherwise (as on the web)."""
    if not grant_review.is_reviewer(request.user):
        raise Http404
    application = grant_selectors.application_for_reviewer(request.user, application_id)
    if application is None:
        raise Http404
    return application


def _review_out(request: HttpRequest, application: Application) -> dict[str, Any]:
    cycle = application.cycle
    review = Review.objects.filter(application=application, reviewer=request.user).first()
    blind = cycle.blind_review
    return {
        "application_id": application.pk,
        "code": application.code,
        "cycle_name": cycle.name,
        "blind_review": blind,
        "applicant_name": None if blind else application.applicant.user.full_name,
        "school": None
        if blind or application.applicant.school is None
        else application.applicant.school.name,
        "personal_statement": application.personal_statement,
        "financial_need": application.financial_need,
        "community_involvement": application.community_involvement,
        "amount_requested": application.amount_requested,
        "budget_purpose": application.budget_purpose,
        "rubric": [{"key": c["key"], "name": c["name"], "weight": c["weight"]} for c in cycle.rubric],
        "closed": cycle.is_frozen,
        "my_review": MyReviewOut.from_orm(review) if review is not None else None,
    }


@router.get(
    "/reviews/{application_id}", response=responses(ReviewDetailOut), summary="One assigned application"
)
def review_detail(request: HttpRequest, application_id: Id) -> Any:
    return _review_out(request, _assigned(request, application_id))


@router.post(
    "/reviews/{application_id}", response=responses(ReviewDetailOut), summary="Save or submit my scores"
)
def review_submit(request: HttpRequest, application_id: Id, payload: ReviewIn) -> Any:
    application = _assigned(request, application_id)
    with transaction.atomic():
        review = grant_review.review_save(
            application=application,
            reviewer=request.user,
            scores={k: v for k, v in payload.scores.items() if v is not None},
            comments=payload.comments,
            submit=payload.submit,
        )
        audit_api_write(request, "api.review_save", review, submitted=payload.submit)
    return _review_out(request, application)


@router.post(
    "/reviews/{application_id}/conflict",
    response=responses(dict[str, str]),
    summary="Tell the committee I know this applicant",
)
def review_conflict(request: HttpRequest, application_id: Id, payload: ConflictIn) -> Any:
    application = _assigned(request, application_id)
    with transaction.atomic():
        grant_review.review_conflict_discovered(
            application=application, reviewer=request.user, reason=payload.reason
        )
        audit_api_write(request, "api.review_conflict", application)
    return {"detail": _("Thank you. This application is no longer assigned to you.")}
