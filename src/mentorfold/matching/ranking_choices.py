"""The mentors a learner may still add on the ranking page, one screenful at a time, filtered in SQL.

``selectors.eligible_mentor_rows`` decides eligibility in Python for every opted-in mentor (5,000 at the large
demo) although the page shows 24. Here the same rule is written as a query, so the database counts, sorts and
pages the eligible mentors and Python only builds the screenful shown:

- the learner's side (age, stage, guardian, learner requirements) is checked in Python for this one learner
  and the term's few sites, exactly as ``snapshot.eligible_site_lookup`` does;
- the mentor's side (``snapshot.cleared_mentor_site_pairs``: every mentor requirement of the program and of the
  site met by the latest record, approved and unexpired, or by a shared approved record of the same kind) is
  one ``Exists`` per requirement, and the site recorded is the first by name where both are cleared.

A test compares both ways on the same data (``test_page_queries_ranking.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When, Window
from django.utils import timezone

from mentorfold.accounts.models import (
    Language,
    LearnerProfile,
    MentorProfile,
    hosted_half_days,
    mentor_accepting_q,
    mentor_cleared_q,
)
from mentorfold.programs import compliance
from mentorfold.programs.models import MentorTermOptIn, Requirement, RequirementRecord, Site, Term

from .selectors import EligibleRow, accepted_enrollment
from .snapshot import Seat, _site_classes, slots_mask

APPROVED = RequirementRecord.Status.APPROVED


@dataclass
class ChoicePage:
    """A page of eligible mentors not yet ranked, and whether the learner has any eligible mentor at all."""

    page_obj: Page | None
    rows: list[EligibleRow]
    any_eligible: bool


def _latest_record_ok(requirement_ids: list[int], *, later_approved_only: bool, on: date) -> Exists:
    """The mentor's latest record of one of these requirements is approved and not expired on ``on``.

    "Latest" is by (submitted_at, pk), as ``compliance.latest_record_states`` orders them; for requirements
    outside the ones asked about, that function only reads approved records, hence ``later_approved_only``.
    """
    later = RequirementRecord.objects.filter(
        person_id=OuterRef("person_id"), requirement_id=OuterRef("requirement_id")
    ).filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk"))
    )
    if later_approved_only:
        later = later.filter(status=APPROVED)
    return Exists(
        RequirementRecord.objects.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=on),
            person_id=OuterRef("mentor__user_id"),
            requirement_id__in=requirement_ids,
            status=APPROVED,
        ).filter(~Exists(later))
    )


def _meets_all(
    reqs: list[Requirement], *, asked: set[int], shareable: list[Requirement], on: date
) -> Q | None:
    """SQL for "meets every requirement in ``reqs``" (None when there is none to meet)."""
    condition: Q | None = None
    for r in reqs:
        if r.kind in Requirement.SHAREABLE_KINDS and not r.needs_own_document:
            # Any approved, unexpired latest record of the same kind counts, this one's too (issue 11 #9).
            group = [g.pk for g in shareable if g.kind == r.kind and g.applies_to == r.applies_to]
            inside = [pk for pk in group if pk in asked]
            outside = [pk for pk in group if pk not in asked]
            met = Q(_latest_record_ok(inside, later_approved_only=False, on=on))
            if outside:
                met |= Q(_latest_record_ok(outside, later_approved_only=True, on=on))
        else:
            met = Q(_latest_record_ok([r.pk], later_approved_only=False, on=on))
        condition = met if condition is None else condition & met
    return condition


def eligible_opt_ins(
    *, learner: LearnerProfile, term: Term, on: date | None = None
) -> tuple[QuerySet[MentorTermOptIn], dict[int, Site]]:
    """Opt-ins of the mentors ``learner`` may rank in ``term``, annotated with ``shared_site`` (site id).

    The same mentors and sites as ``selectors.eligible_mentor_rows``, in a fixed number of queries.
    """
    on = on or timezone.localdate()
    candidates = MentorTermOptIn.objects.filter(
        mentor_cleared_q("mentor__") & mentor_accepting_q(timezone.localdate(), "mentor__"),
        term=term,
        capacity__gt=0,
    )
    sites = {
        s.pk: s
        for s in Site.objects.filter(is_active=True, mentors__in=candidates.values("mentor_id")).distinct()
    }
    representative = _site_classes(list(sites.values()))
    reps = [sites[pk] for pk in sorted(set(representative.values()))]
    learner_ok = compliance.cleared_learner_site_pairs(
        learners=[learner], sites=reps, program=term.program, on=on
    )
    usable = sorted(
        (s for s in sites.values() if (learner.pk, representative[s.pk]) in learner_ok),
        key=lambda s: (s.name, s.pk),
    )
    if not usable:
        return candidates.annotate(shared_site=Value(None, output_field=IntegerField())).none(), sites
    requirements = list(
        Requirement.objects.filter(
            Q(program_id=term.program_id)
            | Q(site_id__in=list(sites))
            | Q(kind__in=Requirement.SHAREABLE_KINDS),
            applies_to=Requirement.AppliesTo.MENTOR,
        )
    )
    asked_reqs = [r for r in requirements if r.program_id == term.program_id or r.site_id in sites]
    asked = {r.pk for r in asked_reqs}
    shareable = [r for r in requirements if r.kind in Requirement.SHAREABLE_KINDS]
    program_reqs = [r for r in asked_reqs if r.program_id == term.program_id and not r.minors_only]
    site_reqs: dict[int, list[Requirement]] = {}
    for r in asked_reqs:
        if r.site_id is not None and not r.minors_only:
            site_reqs.setdefault(r.site_id, []).append(r)

    links = Site.mentors.through.objects.filter(mentorprofile_id=OuterRef("mentor_id"))
    whens = []
    for site in usable:  # the first site by name where both are cleared is the one recorded
        here = Q(Exists(links.filter(site_id=site.pk)))
        rules = _meets_all(site_reqs.get(site.pk, []), asked=asked, shareable=shareable, on=on)
        whens.append(When(here & rules if rules is not None else here, then=Value(site.pk)))
    qs = candidates.annotate(shared_site=Case(*whens, default=None, output_field=IntegerField()))
    program_rule = _meets_all(program_reqs, asked=asked, shareable=shareable, on=on)
    if program_rule is not None:
        qs = qs.filter(program_rule)
    return qs.filter(shared_site__isnull=False), sites


def _language_ids(wanted: str) -> list[int]:
    """Languages whose code, or name in any case, is ``wanted`` (the rule of ``eligible_mentor_rows``)."""
    wanted = wanted.lower()
    return [
        pk
        for pk, code, name in Language.objects.values_list("pk", "code", "name")
        if wanted in {code, name.lower()}
    ]


def _specialties(wanted: str) -> list[str]:
    wanted = wanted.lower()
    names = MentorProfile.objects.values_list("specialty", flat=True).distinct()
    return [s for s in names if wanted in s.lower()]


_COLUMNS = (
    "mentor_id",
    "mentor__user_id",
    "capacity",
    "availability",
    "mentor__specialty",
    "mentor__hosting_weekdays",
    "shared_site",
)


def _page_of(qs: QuerySet[MentorTermOptIn], *, page: int, per_page: int) -> Page:
    """``Paginator(...).get_page(page)`` in one query: the total rides along as a window count."""
    paginator = Paginator(qs.values_list(*_COLUMNS), per_page)
    start = (page - 1) * per_page
    fetched = list(
        qs.annotate(total=Window(Count("*"))).values_list(*_COLUMNS, "total")[start : start + per_page]
    )
    if fetched:
        paginator.count = fetched[0][-1]
        page_obj = paginator.page(page)
        page_obj.object_list = [v[:-1] for v in fetched]
        return page_obj
    page_obj = paginator.get_page(page)  # past the last page (or none at all): count, then the last page
    page_obj.object_list = list(page_obj.object_list)
    return page_obj


def mentor_choice_page(
    *,
    learner: LearnerProfile,
    term: Term,
    exclude: Iterable[int],
    page: int,
    per_page: int,
    language: str = "",
    specialty: str = "",
    fits_schedule: bool = False,
    on: date | None = None,
) -> ChoicePage:
    """Eligible mentors not in ``exclude``, filtered, sorted by specialty then name, one page of them.

    Only the page shown is turned into rows; the database does the counting. ``fits_schedule`` needs each
    mentor's hosted half-days, so that filter reads one narrow row per eligible mentor.
    """
    enrollment = accepted_enrollment(learner=learner, term=term)
    if enrollment is None:
        return ChoicePage(None, [], False)
    eligible, sites = eligible_opt_ins(learner=learner, term=term, on=on)
    qs = eligible.exclude(mentor_id__in=list(exclude))
    if language:
        speaks = MentorProfile.languages.through.objects.filter(
            mentorprofile_id=OuterRef("mentor_id"), language_id__in=_language_ids(language)
        )
        qs = qs.filter(Exists(speaks))
    if specialty:
        qs = qs.filter(mentor__specialty__in=_specialties(specialty))
    qs = qs.order_by("mentor__specialty", "mentor__user__full_name", "mentor_id")
    mine = slots_mask(enrollment.availability)

    def overlap(values: tuple[Any, ...]) -> int:
        return (mine & slots_mask(hosted_half_days(values[3], values[5]))).bit_count()

    if fits_schedule:
        rows = [v for v in qs.values_list(*_COLUMNS) if overlap(v) > 0]
        page_obj = Paginator(rows, per_page).get_page(page)
    else:
        page_obj = _page_of(qs, page=page, per_page=per_page)
    shown = list(page_obj.object_list)
    langs: dict[int, list[str]] = {}
    for mentor_id, name in (
        MentorProfile.languages.through.objects.filter(mentorprofile_id__in=[v[0] for v in shown])
        .order_by("language__name", "language_id")
        .values_list("mentorprofile_id", "language__name")
    ):
        langs.setdefault(mentor_id, []).append(name)
    page_obj.object_list = [
        EligibleRow(
            v[0],
            Seat(v[0], v[1], v[2], hosted_half_days(v[3], v[5]), v[4]),
            sites[v[6]],
            tuple(langs.get(v[0], [])),
            overlap(v),
        )
        for v in shown
    ]
    # Only asked when an unfiltered page is empty: "all ranked" or "none open".
    any_eligible = bool(shown) or (not (language or specialty or fits_schedule) and eligible.exists())
    return ChoicePage(page_obj, page_obj.object_list, any_eligible)
