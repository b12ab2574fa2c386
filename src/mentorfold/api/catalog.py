"""Programs, terms, sites and mentors: what the public pages and the mentor lists already show."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from mentorfold.accounts.models import MentorProfile
from mentorfold.programs import selectors as program_selectors
from mentorfold.programs.models import Program, Site, Term

from .schemas import Id, MentorOut, ProgramDetailOut, ProgramOut, SiteOut, TermOut, id_filter, responses

router = Router(tags=["catalog"])
PAGE = 50
MAX_PAGE = 1_000_000  # far past any list here, and the offset stays inside the database's integers


class Pages(PageNumberPagination):
    """50 per page, ``?page=N``; the answer carries ``items`` and ``count``."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=PAGE, max_page_size=PAGE, **kwargs)

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        offset = (pagination.page - 1) * PAGE
        return {"items": page_of(queryset, offset, PAGE), "count": self._items_count(queryset)}


def page_of(queryset: Any, offset: int, size: int) -> Any:
    """One page; a list ordered by another table's column picks its ids first.

    Sorting the whole join (every selected column of every related row) to keep 50 rows costs ~2.5x more than
    sorting ids by the one column and then loading those 50 rows with their relations.
    """
    ordering = getattr(getattr(queryset, "query", None), "order_by", ())
    if not isinstance(queryset, QuerySet) or not any("__" in str(field) for field in ordering):
        return queryset[offset : offset + size]
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + size])
    rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]


def _visible_terms() -> QuerySet[Term]:
    """Terms of programs on the public site, once they leave draft."""
    return Term.objects.filter(program__is_public=True, program__archived_at__isnull=True).exclude(
        status=Term.Status.DRAFT
    )


@router.get("/programs", response=responses(list[ProgramOut]), auth=None, summary="List public programs")
@paginate(Pages)
def program_list(request: HttpRequest, region: str = "") -> Any:
    programs = program_selectors.public_programs().order_by("name", "pk")
    if region:
        programs = programs.filter(region__iexact=region)
    return programs


@router.get("/programs/{slug}", response=responses(ProgramDetailOut), auth=None, summary="One public program")
def program_detail(request: HttpRequest, slug: str) -> Any:
    try:
        program = program_selectors.program_detail(slug)
    except Program.DoesNotExist:
        raise Http404 from None
    return {
        **{f: getattr(program, f) for f in ProgramOut.model_fields},
        "sites": list(program.sites.all()),
        "open_terms": list(program.open_terms),
    }


@router.get("/terms", response=responses(list[TermOut]), auth=None, summary="List terms of public programs")
@paginate(Pages)
def term_list(request: HttpRequest, program: int | None = None, status: str = "") -> Any:
    id_filter(program, name="program")
    terms = _visible_terms().order_by("-starts_on", "pk")
    if program is not None:
        terms = terms.filter(program_id=program)
    if status:
        terms = terms.filter(status=status)
    return terms


@router.get("/terms/{term_id}", response=responses(TermOut), auth=None, summary="One term")
def term_detail(request: HttpRequest, term_id: Id) -> Any:
    return get_object_or_404(_visible_terms(), pk=term_id)


def _visible_sites() -> QuerySet[Site]:
    return Site.objects.filter(is_active=True)


@router.get("/sites", response=responses(list[SiteOut]), summary="List active clinic sites")
@paginate(Pages)
def site_list(request: HttpRequest, city: str = "") -> Any:
    sites = _visible_sites().order_by("name", "pk")
    if city:
        sites = sites.filter(city__iexact=city)
    return sites


@router.get("/sites/{site_id}", response=responses(SiteOut), summary="One clinic site")
def site_detail(request: HttpRequest, site_id: Id) -> Any:
    return get_object_or_404(_visible_sites(), pk=site_id)


def _cleared_mentors() -> QuerySet[MentorProfile]:
    return (
        MentorProfile.objects.cleared()
        .select_related("user", "organization")
        .prefetch_related(Prefetch("languages"))
    )


@router.get("/mentors", response=responses(list[MentorOut]), summary="List cleared mentors (public fields)")
@paginate(Pages)
def mentor_list(
    request: HttpRequest, specialty: str = "", language: str = "", accepting: bool | None = None
) -> Any:
    mentors = _cleared_mentors().order_by("pk")  # by name would sort every cleared mentor per page
    if specialty:
        mentors = mentors.filter(specialty__icontains=specialty)
    if language:
        mentors = mentors.filter(
            Q(languages__code__iexact=language) | Q(languages__name__iexact=language)
        ).distinct()
    if accepting is not None:
        mentors = mentors.filter(accepting_learners=accepting)
    return mentors


@router.get("/mentors/{mentor_id}", response=responses(MentorOut), summary="One cleared mentor")
def mentor_detail(request: HttpRequest, mentor_id: Id) -> Any:
    return get_object_or_404(_cleared_mentors(), pk=mentor_id)
