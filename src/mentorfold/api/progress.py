"""A learner's rankings (through matching's service), requirements, verified hours and certificates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from mentorfold.matching import selectors as matching_selectors
from mentorfold.matching import services as matching_services
from mentorfold.programs import selectors as program_selectors
from mentorfold.programs.models import Term
from mentorfold.shadowing import selectors as shadowing_selectors

from .catalog import Pages
from .people import own_learner, own_mentor
from .schemas import CertificateOut, HoursOut, Id, PreferencesIn, PreferencesOut, RequirementOut, responses
from .visits import audit_api_write

router = Router(tags=["me"])


def _ranking_term(request: HttpRequest, term_id: int) -> tuple[Any, Term]:
    """As the web's ranking page: 403 without the right to rank, 404 for a term the learner is not accepted in."""
    if not request.user.has_perm("matching.rank_mentors"):
        raise PermissionDenied
    learner = own_learner(request)
    term = get_object_or_404(Term.objects.select_related("program"), pk=term_id)
    if matching_selectors.accepted_enrollment(learner=learner, term=term) is None:
        raise Http404
    return learner, term


def _preferences_out(learner: Any, term: Term) -> dict[str, Any]:
    return {
        "term_id": term.pk,
        "is_open": matching_services.preferences_are_open(term),
        "max_preferences": term.max_preferences,
        "ranking": matching_selectors.rankings(learner=learner, term=term),
    }


@router.get(
    "/me/terms/{term_id}/preferences", response=responses(PreferencesOut), summary="My mentor ranking"
)
def preferences_read(request: HttpRequest, term_id: Id) -> Any:
    return _preferences_out(*_ranking_term(request, term_id))


@router.put(
    "/me/terms/{term_id}/preferences", response=responses(PreferencesOut), summary="Replace my mentor ranking"
)
def preferences_replace(request: HttpRequest, term_id: Id, payload: PreferencesIn) -> Any:
    learner, term = _ranking_term(request, term_id)
    with transaction.atomic():
        matching_services.preferences_save(learner=learner, term=term, mentor_ids=payload.mentor_ids)
        audit_api_write(request, "api.preferences_replace", term, mentor_ids=payload.mentor_ids)
    return _preferences_out(learner, term)


@router.get("/me/requirements", response=responses(list[RequirementOut]), summary="My requirements")
@paginate(Pages)
def my_requirements(request: HttpRequest) -> Any:
    """Learners: those of programs they applied to; mentors: those of their terms and sites."""
    mentor = own_mentor(request)
    if mentor is not None:
        rows = program_selectors.mentor_requirements(mentor)
    else:
        rows = program_selectors.learner_requirements(own_learner(request))
    return [
        {
            "requirement_id": row["requirement"].pk,
            "name": row["requirement"].name,
            "kind": row["requirement"].kind,
            "program": row["requirement"].program.name if row["requirement"].program else None,
            "site": row["requirement"].site.name if row["requirement"].site else None,
            "status": row["status"],
            "message": str(row["message"]),
        }
        for row in rows
    ]


@router.get("/me/hours", response=responses(HoursOut), tags=["shadowing"], summary="My verified hours")
def my_hours(request: HttpRequest) -> Any:
    return shadowing_selectors.verified_totals(learner=own_learner(request))


@router.get(
    "/me/certificates",
    response=responses(list[CertificateOut]),
    tags=["shadowing"],
    summary="My certificates",
)
@paginate(Pages)
def my_certificates(request: HttpRequest) -> Any:
    return own_learner(request).hours_certificates.order_by("-issued_at", "pk")
