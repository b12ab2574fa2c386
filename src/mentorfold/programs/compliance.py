"""Who may shadow where: the single place that decides, used by matching, booking and the dashboards.

A learner is cleared for a site in a program when they are old enough for both (the stricter rule wins), their
stage is eligible, a minor has a verified guardian, and every learner requirement of the program *and* the site
has an approved, unexpired record. Messages say what is missing and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile

from .models import Program, Requirement, RequirementRecord, Site


@dataclass(frozen=True)
class Blocker:
    """One reason someone cannot be matched or book yet, with a message they can act on."""

    code: str
    message: str
    requirement_id: int | None = None


def _day(value: date) -> str:
    return formats.date_format(value, "j F Y")


def requirements_for(
    *, program: Program, site: Site | None, applies_to: str, is_minor: bool
) -> list[Requirement]:
    scope = Q(program=program)
    if site is not None:
        scope |= Q(site=site)
    qs = Requirement.objects.filter(scope, applies_to=applies_to)
    if not is_minor:
        qs = qs.exclude(minors_only=True)
    return list(qs.order_by("name"))


@dataclass(frozen=True, slots=True)
class RecordState:
    """The parts of a RequirementRecord that decide compliance (cheap to load for 100,000 records)."""

    status: str
    expires_on: date | None
    review_note: str


def _ids_and_shared_targets(
    requirements: Iterable[int] | Iterable[Requirement],
) -> tuple[list[int], dict[int, tuple[str, str]] | None]:
    """Requirement ids, and (when objects were given) which of them may be met by a shared record."""
    items = list(requirements)
    if not items or not isinstance(items[0], Requirement):
        return [int(i) for i in items], None  # type: ignore[arg-type]
    targets = {
        r.pk: (r.kind, r.applies_to)
        for r in items  # type: ignore[union-attr]
        if r.kind in Requirement.SHAREABLE_KINDS and not r.needs_own_document
    }
    return [r.pk for r in items], targets  # type: ignore[union-attr]


def _shared_targets_by_id(requirement_ids: list[int]) -> dict[int, tuple[str, str]]:
    return {
        pk: (kind, applies_to)
        for pk, kind, applies_to in Requirement.objects.filter(
            pk__in=requirement_ids, kind__in=Requirement.SHAREABLE_KINDS, needs_own_document=False
        ).values_list("pk", "kind", "applies_to")
    }


def _lasts_longer(a: RecordState | RequirementRecord, b: RecordState | RequirementRecord) -> bool:
    """Of two approved records, the one that stays valid longer (no expiry beats any date)."""
    if a.expires_on is None:
        return b.expires_on is not None
    return b.expires_on is not None and a.expires_on > b.expires_on


def _records_query(person_ids: Iterable[int], requirement_ids: list[int]) -> Any:
    """Each person's records for these requirements, plus their approved records of shareable kinds."""
    return RequirementRecord.objects.filter(person_id__in=list(person_ids)).filter(
        Q(requirement_id__in=requirement_ids)
        | Q(requirement__kind__in=Requirement.SHAREABLE_KINDS, status=RequirementRecord.Status.APPROVED)
    )


def _share(
    own: dict[tuple[int, int], Any],
    best: dict[tuple[int, str, str], Any],
    targets: dict[int, tuple[str, str]],
    person_ids: set[int],
) -> None:
    """Let one approved record meet every shareable requirement of the same kind (issue 11 #9)."""
    for requirement_id, (kind, applies_to) in targets.items():
        for person_id in person_ids:
            shared = best.get((person_id, kind, applies_to))
            if shared is None:
                continue
            current = own.get((person_id, requirement_id))
            if (
                current is None
                or current.status != RequirementRecord.Status.APPROVED
                or _lasts_longer(shared, current)
            ):
                own[(person_id, requirement_id)] = shared


def _best_shared(latest: dict[tuple[int, int], tuple[Any, str, str]]) -> dict[tuple[int, str, str], Any]:
    """Per (person, kind, applies to): of each requirement's latest record, the approved one valid longest."""
    best: dict[tuple[int, str, str], Any] = {}
    for (person, _requirement), (record, kind, applies_to) in latest.items():
        if record.status == RequirementRecord.Status.APPROVED and kind in Requirement.SHAREABLE_KINDS:
            key = (person, kind, applies_to)
            if key not in best or _lasts_longer(record, best[key]):
                best[key] = record
    return best


def latest_record_states(
    person_ids: Iterable[int], requirements: Iterable[int] | Iterable[Requirement]
) -> dict[tuple[int, int], RecordState]:
    """The state of the most recent record per (person, requirement), in one query of plain values.

    An approved immunization, TB test or background check counts for every requirement of the same kind
    unless that requirement ``needs_own_document``. Pass Requirement objects (not ids) to save a query.
    This is what decisions need; it stays fast for 100,000 records (no model instances are built).
    """
    person_ids = list(person_ids)
    requirement_ids, targets = _ids_and_shared_targets(requirements)
    wanted = set(requirement_ids)
    rows = (
        _records_query(person_ids, requirement_ids)
        .order_by("submitted_at", "pk")
        .values_list(
            "person_id",
            "requirement_id",
            "status",
            "expires_on",
            "review_note",
            "requirement__kind",
            "requirement__applies_to",
        )
    )
    latest: dict[tuple[int, int], tuple[RecordState, str, str]] = {}
    # Later rows overwrite earlier ones, so each key ends with its latest record.
    for person, req, status, expires, note, kind, applies_to in rows:
        latest[(person, req)] = (RecordState(status, expires, note), kind, applies_to)
    own = {key: state for key, (state, _kind, _applies) in latest.items() if key[1] in wanted}
    best = _best_shared(latest)
    if best:
        if targets is None:
            targets = _shared_targets_by_id(requirement_ids)
        _share(own, best, targets, set(person_ids))
    return own


def _latest_records(
    person_ids: Iterable[int], requirements: Iterable[int] | Iterable[Requirement]
) -> dict[tuple[int, int], RequirementRecord]:
    """The most recent full record per (person, requirement), for pages that show its details.

    A shared approved record (see ``latest_record_states``) stands in for a missing or pending one.
    """
    person_ids = list(person_ids)
    requirement_ids, targets = _ids_and_shared_targets(requirements)
    wanted = set(requirement_ids)
    records = (
        _records_query(person_ids, requirement_ids)
        .select_related("requirement")
        .order_by("submitted_at", "pk")
    )
    everything = {
        (r.person_id, r.requirement_id): (r, r.requirement.kind, r.requirement.applies_to) for r in records
    }
    latest = {key: record for key, (record, _kind, _applies) in everything.items() if key[1] in wanted}
    best = _best_shared(everything)
    if best:
        if targets is None:
            targets = _shared_targets_by_id(requirement_ids)
        _share(latest, best, targets, set(person_ids))
    return latest


def record_blocker(
    requirement: Requirement, record: RequirementRecord | RecordState | None, on: date
) -> Blocker | None:
    """Why this requirement is not met on ``on`` (None when it is)."""
    name = requirement.name
    if record is None:
        return Blocker("missing", _("%(name)s: not done yet.") % {"name": name}, requirement.pk)
    if record.status == RequirementRecord.Status.SUBMITTED:
        return Blocker(
            "submitted",
            _("%(name)s: submitted, waiting for a coordinator to review it.") % {"name": name},
            requirement.pk,
        )
    if record.status == RequirementRecord.Status.REJECTED:
        return Blocker(
            "rejected",
            _("%(name)s: not accepted (%(note)s) — please submit it again.")
            % {"name": name, "note": record.review_note or _("no reason given")},
            requirement.pk,
        )
    if record.status == RequirementRecord.Status.REVOKED:
        return Blocker("revoked", _("%(name)s: withdrawn.") % {"name": name}, requirement.pk)
    if record.expires_on is not None and record.expires_on < on:
        return Blocker(
            "expired",
            _("Your %(name)s expired on %(day)s — upload a new one.")
            % {"name": name.lower(), "day": _day(record.expires_on)},
            requirement.pk,
        )
    return None


def _age_blockers(learner: LearnerProfile, program: Program, site: Site | None, on: date) -> list[Blocker]:
    age = learner.age_on(on)
    needed = program.min_age
    where = program.name
    if site is not None and site.min_age > needed:
        needed, where = site.min_age, site.name
    if age < needed:
        return [
            Blocker(
                "too_young",
                _("You need to be at least %(min)d to shadow at %(where)s (you are %(age)d).")
                % {"min": needed, "where": where, "age": age},
            )
        ]
    return []


def learner_blockers(
    learner: LearnerProfile, *, program: Program, site: Site | None = None, on: date | None = None
) -> list[Blocker]:
    """Everything that stops ``learner`` from being matched at or booking ``site`` in ``program``."""
    on = on or timezone.localdate()
    blockers = _age_blockers(learner, program, site, on)
    if learner.stage not in (program.eligible_stages or []):
        blockers.append(
            Blocker(
                "stage", _("%(program)s is not open to learners at your stage.") % {"program": program.name}
            )
        )
    is_minor = learner.age_on(on) < 18
    if (
        is_minor
        and not GuardianLink.objects.filter(learner=learner, status=GuardianLink.Status.VERIFIED).exists()
    ):
        blockers.append(
            Blocker(
                "no_guardian",
                _("Because you are under 18, a parent or guardian needs to join Mentorfold first."),
            )
        )
    requirements = requirements_for(
        program=program, site=site, applies_to=Requirement.AppliesTo.LEARNER, is_minor=is_minor
    )
    latest = latest_record_states([learner.user_id], requirements)
    for requirement in requirements:
        blocker = record_blocker(requirement, latest.get((learner.user_id, requirement.pk)), on)
        if blocker is not None:
            blockers.append(blocker)
    return blockers


def mentor_blockers(
    mentor: MentorProfile, *, program: Program, site: Site | None = None, on: date | None = None
) -> list[Blocker]:
    """Everything that stops ``mentor`` from hosting learners at ``site`` in ``program`` (e.g. background check)."""
    on = on or timezone.localdate()
    blockers = []
    if mentor.status != MentorProfile.Status.ACTIVE:
        blockers.append(Blocker("mentor_inactive", _("The mentor has not finished onboarding.")))
    requirements = requirements_for(
        program=program, site=site, applies_to=Requirement.AppliesTo.MENTOR, is_minor=False
    )
    latest = latest_record_states([mentor.user_id], requirements)
    for requirement in requirements:
        blocker = record_blocker(requirement, latest.get((mentor.user_id, requirement.pk)), on)
        if blocker is not None:
            blockers.append(blocker)
    return blockers


def is_learner_cleared(
    learner: LearnerProfile, *, program: Program, site: Site | None = None, on: date | None = None
) -> bool:
    return not learner_blockers(learner, program=program, site=site, on=on)


def cleared_learner_site_pairs(
    *, learners: Iterable[LearnerProfile], sites: Iterable[Site], program: Program, on: date | None = None
) -> set[tuple[int, int]]:
    """(learner id, site id) pairs where the learner is cleared, for many learners at once in a few queries.

    Used by matching at 20,000 learners: requirements and records are loaded once, then checked in memory.
    """
    on = on or timezone.localdate()
    learners = list(learners)
    sites = list(sites)
    site_ids = [s.pk for s in sites]
    requirements = list(
        Requirement.objects.filter(
            Q(program=program) | Q(site_id__in=site_ids), applies_to=Requirement.AppliesTo.LEARNER
        )
    )
    latest = latest_record_states([lp.user_id for lp in learners], requirements)
    guarded = set(
        GuardianLink.objects.filter(
            learner_id__in=[lp.pk for lp in learners], status=GuardianLink.Status.VERIFIED
        ).values_list("learner_id", flat=True)
    )
    program_reqs = [r for r in requirements if r.program_id == program.pk]
    site_reqs: dict[int, list[Requirement]] = {}
    for r in requirements:
        if r.site_id is not None:
            site_reqs.setdefault(r.site_id, []).append(r)

    def meets(learner: LearnerProfile, reqs: list[Requirement], is_minor: bool) -> bool:
        return all(
            record_blocker(r, latest.get((learner.user_id, r.pk)), on) is None
            for r in reqs
            if is_minor or not r.minors_only
        )

    cleared: set[tuple[int, int]] = set()
    for learner in learners:
        age = learner.age_on(on)
        is_minor = age < 18
        if age < program.min_age or learner.stage not in (program.eligible_stages or []):
            continue
        if is_minor and learner.pk not in guarded:
            continue
        if not meets(learner, program_reqs, is_minor):
            continue
        for site in sites:
            if age >= site.min_age and meets(learner, site_reqs.get(site.pk, []), is_minor):
                cleared.add((learner.pk, site.pk))
    return cleared
