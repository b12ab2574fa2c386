"""Reads for matching pages: eligible mentors, rankings, mentors' inboxes, runs, explanations, quiet mentorships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile, mentor_cleared_q
from mentorfold.programs import compliance
from mentorfold.programs.models import Enrollment, MentorTermOptIn, Site, Term

from .models import MatchAssignment, MatchRun, MentorDecision, Mentorship, Preference
from .snapshot import Seat, eligible_site_lookup, slots_mask, term_candidates

CURRENT = [Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED]


@dataclass(frozen=True)
class EligibleMentor:
    mentor: MentorProfile
    opt_in: Seat
    site: Site
    languages: tuple[str, ...]
    schedule_overlap: int  # half-days both are free


def accepted_enrollment(*, learner: LearnerProfile, term: Term) -> Enrollment | None:
    return Enrollment.objects.filter(term=term, learner=learner, status=Enrollment.Status.ACCEPTED).first()


def eligible_mentors(
    *,
    learner: LearnerProfile,
    term: Term,
    language: str = "",
    specialty: str = "",
    fits_schedule: bool = False,
    on: date | None = None,
) -> list[EligibleMentor]:
    """Mentors this learner may rank in ``term`` (site rules and compliance), with optional filters."""
    return eligible_mentor_details(
        eligible_mentor_rows(
            learner=learner,
            term=term,
            language=language,
            specialty=specialty,
            fits_schedule=fits_schedule,
            on=on,
        )
    )


@dataclass(frozen=True)
class EligibleRow:
    """One eligible mentor before the full profile is loaded: enough to filter, sort, count and page."""

    mentor_id: int
    opt_in: Seat
    site: Site
    languages: tuple[str, ...]
    schedule_overlap: int


def eligible_mentor_rows(
    *,
    learner: LearnerProfile,
    term: Term,
    language: str = "",
    specialty: str = "",
    fits_schedule: bool = False,
    on: date | None = None,
) -> list[EligibleRow]:
    """The eligible mentors, filtered and sorted, from a few narrow queries (no model per mentor).

    A large society has thousands of eligible mentors; a page shows a screenful, so only that screenful needs
    full profiles (``eligible_mentor_details``).
    """
    on = on or timezone.localdate()
    enrollment = accepted_enrollment(learner=learner, term=term)
    if enrollment is None:
        return []
    candidates = term_candidates(term)
    site_of = eligible_site_lookup(
        term=term,
        learners=[learner],
        candidates=candidates,
        on=on,
        pairs=[(learner.pk, m) for m in candidates.opt_ins],
    )
    mentor_ids = [m for (_l, m) in site_of]
    # One row per (mentor, language), or one with no language: names and languages in a single query.
    names: dict[int, str] = {}
    langs: dict[int, list[tuple[str, str]]] = {}
    for mentor_id, full_name, code, name in (
        MentorProfile.objects.filter(pk__in=mentor_ids)
        .order_by("pk", "languages__name", "languages__id")
        .values_list("pk", "user__full_name", "languages__code", "languages__name")
    ):
        names[mentor_id] = full_name
        if code is not None:
            langs.setdefault(mentor_id, []).append((code, name))
    mine = slots_mask(enrollment.availability)
    wanted_language = language.lower()
    wanted_specialty = specialty.lower()
    keyed = []
    for (_l, mentor_id), site_id in site_of.items():
        if mentor_id not in names:
            continue
        opt_in = candidates.opt_ins[mentor_id]
        spoken = langs.get(mentor_id, [])
        overlap = (mine & slots_mask(opt_in.availability)).bit_count()
        if wanted_language and not any(wanted_language in {code, name.lower()} for code, name in spoken):
            continue
        if wanted_specialty and wanted_specialty not in opt_in.specialty.lower():
            continue
        if fits_schedule and overlap == 0:
            continue
        row = EligibleRow(
            mentor_id, opt_in, candidates.sites[site_id], tuple(name for _c, name in spoken), overlap
        )
        keyed.append(((opt_in.specialty, names[mentor_id], mentor_id), row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _key, row in keyed]


def eligible_mentor_details(rows: list[EligibleRow]) -> list[EligibleMentor]:
    """Full profiles for the given rows, in their order (one query)."""
    mentors = (
        MentorProfile.objects.filter(pk__in=[r.mentor_id for r in rows]).select_related("user").in_bulk()
    )
    return [
        EligibleMentor(mentors[r.mentor_id], r.opt_in, r.site, r.languages, r.schedule_overlap)
        for r in rows
        if r.mentor_id in mentors
    ]


def ranked_mentor_ids(*, learner: LearnerProfile, term: Term) -> list[int]:
    return list(
        Preference.objects.filter(term=term, learner=learner)
        .order_by("rank")
        .values_list("mentor_id", flat=True)
    )


def rankings(*, learner: LearnerProfile, term: Term) -> list[Preference]:
    return list(
        Preference.objects.filter(term=term, learner=learner).select_related("mentor__user").order_by("rank")
    )


def open_terms_for_learner(learner: LearnerProfile) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(learner=learner, status=Enrollment.Status.ACCEPTED)
        .select_related("term__program")
        .order_by("-term__starts_on")
    )


def mentor_requests(*, mentor: MentorProfile, term: Term) -> list[dict[str, Any]]:
    """Learners who ranked this mentor, with this mentor's own answer; never other mentors' answers."""
    prefs = list(
        Preference.objects.filter(term=term, mentor=mentor)
        .select_related("learner__user")
        .order_by("rank", "learner_id")
    )
    decisions = {d.learner_id: d for d in MentorDecision.objects.filter(term=term, mentor=mentor)}
    return [{"preference": p, "learner": p.learner, "decision": decisions.get(p.learner_id)} for p in prefs]


def mentor_terms(mentor: MentorProfile) -> list[MentorTermOptIn]:
    return list(
        MentorTermOptIn.objects.filter(mentor=mentor)
        .select_related("term__program")
        .order_by("-term__starts_on")
    )


def shared_site(*, learner: LearnerProfile, mentor: MentorProfile, term: Term) -> Site | None:
    candidates = term_candidates(term)
    if mentor.pk not in candidates.opt_ins:
        return None
    site_of = eligible_site_lookup(
        term=term,
        learners=[learner],
        candidates=candidates,
        on=timezone.localdate(),
        pairs=[(learner.pk, mentor.pk)],
    )
    site_id = site_of.get((learner.pk, mentor.pk))
    return candidates.sites[site_id] if site_id else None


def runs_for(term: Term) -> QuerySet[MatchRun]:
    return MatchRun.objects.filter(term=term).defer("inputs", "result").select_related("created_by")


def run_detail(pk: int) -> MatchRun:
    return (
        MatchRun.objects.defer("inputs", "result")
        .select_related("term__program", "created_by", "published_by")
        .get(pk=pk)
    )


def unmatched_assignments(run: MatchRun, limit: int = 200) -> list[MatchAssignment]:
    return list(
        run.assignments.filter(mentor__isnull=True)
        .select_related("learner__user")
        .order_by("learner__user__full_name")[:limit]
    )


def learners_without_mentor(term: Term, limit: int = 200) -> list[LearnerProfile]:
    """Accepted learners of a term with no current mentorship (after publication or a decline)."""
    return list(
        LearnerProfile.objects.filter(enrollments__term=term, enrollments__status=Enrollment.Status.ACCEPTED)
        .exclude(mentorships__term=term, mentorships__status__in=CURRENT)
        .select_related("user")
        .order_by("user__full_name")[:limit]
    )


def mentors_with_seats(term: Term, limit: int = 500) -> list[dict[str, Any]]:
    from django.db.models import Count

    opt_ins = (
        MentorTermOptIn.objects.filter(mentor_cleared_q("mentor__"), term=term)
        .select_related("mentor__user")
        .annotate(
            used=Count(
                "mentor__mentorships",
                filter=Q(mentor__mentorships__term=term, mentor__mentorships__status__in=CURRENT),
            )
        )
        .order_by("mentor__user__full_name")[:limit]
    )
    return [{"mentor": o.mentor, "free": o.capacity - o.used} for o in opt_ins if o.capacity > o.used]


def published_assignment(*, learner: LearnerProfile, term: Term) -> MatchAssignment | None:
    return (
        MatchAssignment.objects.filter(run__term=term, run__status=MatchRun.Status.PUBLISHED, learner=learner)
        .select_related("run")
        .first()
    )


def _ordinal(n: int) -> str:
    words = {1: _("1st"), 2: _("2nd"), 3: _("3rd")}
    return words.get(n, _("%(n)dth") % {"n": n})


def explanation(assignment: MatchAssignment) -> list[str]:
    """Why this learner got what they got, in plain words, naming only mentors — never other learners."""
    names = {
        m.pk: str(m)
        for m in MentorProfile.objects.filter(pk__in=[c[0] for c in assignment.choices]).select_related(
            "user"
        )
    }
    method = assignment.run.method
    lines: list[str] = []
    if assignment.rank:
        lines.append(
            _("%(mentor)s was your %(ordinal)s choice.")
            % {"mentor": names.get(assignment.mentor_id, ""), "ordinal": _ordinal(assignment.rank)}
        )
    reasons = {
        "full": _("was full with learners they ranked higher")
        if method == MatchRun.Method.STABLE
        else _("was full, and the best total match gave those seats to other learners"),
        "total": _("had a seat, but giving it to you would have made the overall match worse"),
        "not_accepted": _("was not available to you this term"),
        "not_eligible": _("could not be matched with you because a clinic requirement is not done yet"),
    }
    for position, (mentor_id, code) in enumerate(assignment.choices, 1):
        if code in reasons:
            lines.append(
                _("Your %(ordinal)s choice, %(mentor)s, %(why)s.")
                % {
                    "ordinal": _ordinal(position),
                    "mentor": names.get(mentor_id, _("a mentor")),
                    "why": reasons[code],
                }
            )
    if not assignment.choices:
        lines.append(_("You did not rank any mentor before rankings closed."))
    return lines


def quiet_mentorships(*, now: datetime | None = None, limit: int = 50) -> list[Mentorship]:
    """Active mentorships with nothing recorded for 30 days or more (the 'mentor gone quiet' flag)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=30)
    return list(
        Mentorship.objects.filter(status=Mentorship.Status.ACTIVE)
        .filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff))
        .select_related("mentor__user", "learner__user", "term")
        .order_by("last_activity_at", "created_at")[:limit]
    )


def mentorships_of_learner(learner: LearnerProfile) -> list[Mentorship]:
    return list(
        Mentorship.objects.filter(learner=learner).select_related("mentor__user", "term__program", "site")
    )


def mentorships_of_mentor(mentor: MentorProfile) -> list[Mentorship]:
    return list(
        Mentorship.objects.filter(mentor=mentor).select_related("learner__user", "term__program", "site")
    )


def histogram_svg(runs: list[MatchRun]) -> dict[str, Any]:
    """Bars of 'rank received' per run, scaled for a server-rendered inline SVG (plus the numbers as a table)."""
    labels: list[str] = []
    for run in runs:
        for label, _count in run.stats.get("histogram", []):
            if label not in labels and label != "unmatched":
                labels.append(label)
    labels = sorted(labels, key=int) + ["unmatched"]
    peak = max([c for run in runs for _l, c in run.stats.get("histogram", [])] or [1]) or 1
    bar_w, gap, height = 26, 14, 140
    groups = []
    x = 40
    for label in labels:
        bars = []
        for k, run in enumerate(runs):
            count = dict(run.stats.get("histogram", [])).get(label, 0)
            h = round(height * count / peak)
            bars.append(
                {
                    "x": x + k * bar_w,
                    "y": 10 + height - h,
                    "h": h,
                    "count": count,
                    "series": k % 4,
                    "run": run.pk,
                }
            )
        groups.append({"label": label, "bars": bars, "label_x": x + len(runs) * bar_w / 2})
        x += len(runs) * bar_w + gap
    return {"labels": labels, "groups": groups, "width": x + 10, "height": height + 40, "base_y": 10 + height}


def publication_counts(run: MatchRun) -> dict[str, int]:
    from .publication import publication_counts as counts

    return counts(run)


def learner_match_states(learner: LearnerProfile) -> list[dict[str, Any]]:
    """One matching state per accepted term, with its one next step (4 queries, plus compliance per open term).

    ``matched`` (a current mentorship), ``rank`` (open term, nothing ranked yet), ``blocked`` (open term,
    requirements unfinished: the programs panel says what to do), ``ranked`` (open term, a list sent),
    ``not_matched`` (a run was published without a mentor for them), ``waiting`` (otherwise).
    """
    from django.db.models import Count

    enrollments = open_terms_for_learner(learner)
    term_ids = [e.term_id for e in enrollments]
    current = {
        m.term_id: m
        for m in Mentorship.objects.filter(learner=learner, term_id__in=term_ids, status__in=CURRENT)
        .select_related("mentor__user")
        .order_by("created_at")
    }
    ranked = dict(
        Preference.objects.filter(learner=learner, term_id__in=term_ids)
        .values_list("term_id")
        .annotate(n=Count("pk"))
        .values_list("term_id", "n")
    )
    published = set(
        MatchRun.objects.filter(term_id__in=term_ids, status=MatchRun.Status.PUBLISHED).values_list(
            "term_id", flat=True
        )
    )
    states = []
    for e in enrollments:
        term = e.term
        if term.status in {Term.Status.DRAFT, Term.Status.CLOSED}:
            continue
        if term.pk in current:
            state = "matched"
        elif term.status == Term.Status.OPEN and not ranked.get(term.pk):
            # Unfinished requirements are the programs panel's next step; do not offer a second one.
            blocked = compliance.learner_blockers(learner, program=term.program)
            state = "blocked" if blocked else "rank"
        elif term.status == Term.Status.OPEN:
            state = "ranked"
        elif term.pk in published:
            state = "not_matched"
        else:
            state = "waiting"
        states.append(
            {
                "term": term,
                "state": state,
                "mentorship": current.get(term.pk),
                "ranked": ranked.get(term.pk, 0),
            }
        )
    return states
