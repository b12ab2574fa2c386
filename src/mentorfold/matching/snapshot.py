"""Freeze a term's matching inputs from the database into arrays the engine understands.

Who may be matched with whom:
- learners: an accepted enrollment in the term;
- mentors: opted in to the term with capacity > 0, active and accepting learners, and cleared (mentor
  requirements of the program and the site) at one of their active sites;
- a (learner, mentor) pair is eligible when the learner is cleared (``programs.compliance``) at a site where
  that mentor is cleared; the first such site (by name) is recorded on the mentorship.
Learners' lists are their rankings restricted to eligible mentors. A mentor's list holds the learners who
ranked them and whom they did not mark "not acceptable", ordered by the mentor's explicit rank when they gave
one, then by the learner's transparent score, then by a tie-break drawn from ``numpy.random.default_rng(seed)``
— so the same inputs and seed always give the same lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Q
from django.db.models.base import ModelState
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
from mentorfold.programs.models import (
    HALF_DAYS,
    Enrollment,
    MentorTermOptIn,
    Requirement,
    Site,
    Term,
)

from .models import MatchSettings, MentorDecision, Preference

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_SLOT_BIT = {slot: 1 << i for i, slot in enumerate(HALF_DAYS)}
COMPONENTS = ("rank", "language", "specialty", "commute", "availability", "priority")


def slots_mask(slots: Iterable[str] | None) -> int:
    return sum(_SLOT_BIT.get(s, 0) for s in set(slots or []))


def settings_for(term: Term) -> MatchSettings:
    """The term's matching settings (defaults when the coordinator never changed them; not saved)."""
    try:
        return term.match_settings
    except MatchSettings.DoesNotExist:
        return MatchSettings(term=term)


def cleared_mentor_site_pairs(
    *, mentor_sites: dict[int, list[int]], mentor_user_ids: dict[int, int], term: Term, on: date
) -> set[tuple[int, int]]:
    """(mentor id, site id) for each mentor's own sites where they meet every mentor requirement there.

    The bulk twin of ``compliance.mentor_blockers`` (same rule via ``compliance.record_blocker``) in two
    queries, so the preference page and a 5,000-mentor run stay at a fixed number of queries.
    """
    site_ids = {s for ids in mentor_sites.values() for s in ids}
    requirements = list(
        Requirement.objects.filter(
            Q(program_id=term.program_id) | Q(site_id__in=site_ids), applies_to=Requirement.AppliesTo.MENTOR
        )
    )
    latest = (
        compliance.latest_record_states(mentor_user_ids.values(), [r.pk for r in requirements])
        if requirements
        else {}
    )
    program_reqs = [r for r in requirements if r.program_id == term.program_id and not r.minors_only]
    site_reqs: dict[int, list[Requirement]] = {}
    for r in requirements:
        if r.site_id is not None and not r.minors_only:
            site_reqs.setdefault(r.site_id, []).append(r)

    def meets(user_id: int, reqs: list[Requirement]) -> bool:
        return all(compliance.record_blocker(r, latest.get((user_id, r.pk)), on) is None for r in reqs)

    cleared: set[tuple[int, int]] = set()
    for mentor_id, sites in mentor_sites.items():
        user_id = mentor_user_ids[mentor_id]
        if not meets(user_id, program_reqs):
            continue
        for site_id in sites:
            if meets(user_id, site_reqs.get(site_id, [])):
                cleared.add((mentor_id, site_id))
    return cleared


@dataclass(frozen=True)
class Seat:
    """A mentor's opt-in to a term: what matching needs, read with values_list (5,000 rows stay cheap)."""

    mentor_id: int
    user_id: int
    capacity: int
    availability: list[str]
    specialty: str


@dataclass
class Candidates:
    """Mentors taking part in a term, their capacity, availability and active sites."""

    opt_ins: dict[int, Seat]  # mentor id -> seat
    sites: dict[int, Site]
    mentor_sites: dict[int, list[int]]  # mentor id -> site ids sorted by site name


def term_candidates(term: Term) -> Candidates:
    """Opted-in, cleared (onboarding done), accepting, unpaused mentors with an active site (3 queries)."""
    rows = (
        MentorTermOptIn.objects.filter(
            mentor_cleared_q("mentor__") & mentor_accepting_q(timezone.localdate(), "mentor__"),
            term=term,
            capacity__gt=0,
        )
        .order_by("mentor_id")
        .values_list(
            "mentor_id",
            "mentor__user_id",
            "capacity",
            "availability",
            "mentor__specialty",
            "mentor__hosting_weekdays",
        )
    )
    # Half-days on weekdays the mentor does not host (set on their profile) are not shared clinic time.
    opt_ins = {r[0]: Seat(r[0], r[1], r[2], hosted_half_days(r[3], r[5]), r[4]) for r in rows}
    links = Site.mentors.through.objects.filter(
        mentorprofile__term_opt_ins__term=term, site__is_active=True
    ).values_list("mentorprofile_id", "site_id")
    mentor_sites: dict[int, list[int]] = {}
    for mentor_id, site_id in links:
        if mentor_id in opt_ins:
            mentor_sites.setdefault(mentor_id, []).append(site_id)
    sites = {s.pk: s for s in Site.objects.filter(pk__in={s for ids in mentor_sites.values() for s in ids})}
    for ids in mentor_sites.values():
        ids.sort(key=lambda pk: (sites[pk].name, pk))
    return Candidates(opt_ins=opt_ins, sites=sites, mentor_sites=mentor_sites)


def _site_classes(sites: list[Site]) -> dict[int, int]:
    """Map each site to a representative site with the same learner rules (minimum age, site requirements).

    ``compliance`` clears a learner for a site from exactly those two things plus the program's rules, so
    checking one site per class gives the same answer with far less work at 20,000 learners.
    """
    reqs: dict[int, list[int]] = {}
    for site_id, req_id in Requirement.objects.filter(
        site__in=sites, applies_to=Requirement.AppliesTo.LEARNER
    ).values_list("site_id", "pk"):
        reqs.setdefault(site_id, []).append(req_id)
    first: dict[tuple[int, tuple[int, ...]], int] = {}
    out: dict[int, int] = {}
    for site in sorted(sites, key=lambda s: s.pk):
        key = (site.min_age, tuple(sorted(reqs.get(site.pk, []))))
        out[site.pk] = first.setdefault(key, site.pk)
    return out


def eligible_site_lookup(
    *,
    term: Term,
    learners: list[LearnerProfile],
    candidates: Candidates,
    on: date,
    pairs: Iterable[tuple[int, int]],
) -> dict[tuple[int, int], int]:
    """For the given (learner id, mentor id) pairs: the site where both are cleared (the first by name)."""
    sites = list(candidates.sites.values())
    representative = _site_classes(sites)
    reps = [candidates.sites[pk] for pk in sorted(set(representative.values()))]
    learner_ok = compliance.cleared_learner_site_pairs(
        learners=learners, sites=reps, program=term.program, on=on
    )
    mentor_ok = cleared_mentor_site_pairs(
        mentor_sites={m: candidates.mentor_sites.get(m, []) for m in candidates.opt_ins},
        mentor_user_ids={m: o.user_id for m, o in candidates.opt_ins.items()},
        term=term,
        on=on,
    )
    mentor_usable: dict[int, list[tuple[int, int]]] = {
        m: [(s, representative[s]) for s in candidates.mentor_sites.get(m, []) if (m, s) in mentor_ok]
        for m in candidates.opt_ins
    }
    out: dict[tuple[int, int], int] = {}
    for learner_id, mentor_id in pairs:
        for site_id, rep in mentor_usable.get(mentor_id, ()):
            if (learner_id, rep) in learner_ok:
                out[(learner_id, mentor_id)] = site_id
                break
    return out


def score_parts(
    *,
    ranks: IntArray,
    max_rank: int,
    learner_langs: IntArray,
    mentor_langs: IntArray,
    specialty_hit: npt.NDArray[np.bool_],
    learner_city: IntArray,
    site_city: IntArray,
    learner_slots: IntArray,
    mentor_slots: IntArray,
    priority: npt.NDArray[np.bool_],
) -> dict[str, FloatArray]:
    """The transparent score's parts for each (learner, mentor) entry, each between 0 and 1.

    rank: (N - rank + 1) / N for the learner's own rank; language: a language besides English in common;
    specialty: the mentor's specialty appears in the learner's interests; commute: the clinic is in the
    learner's school city; availability: share of the learner's half-days the mentor is in clinic;
    priority: first-generation or under-represented (weight 0 unless the term enables it).
    """
    n_slots = np.bitwise_count(learner_slots).astype(np.float64)
    both = np.bitwise_count(learner_slots & mentor_slots).astype(np.float64)
    return {
        "rank": (max_rank - ranks + 1) / max_rank,
        "language": ((learner_langs & mentor_langs) != 0).astype(np.float64),
        "specialty": specialty_hit.astype(np.float64),
        "commute": ((learner_city >= 0) & (learner_city == site_city)).astype(np.float64),
        "availability": np.divide(both, n_slots, out=np.zeros_like(both), where=n_slots > 0),
        "priority": priority.astype(np.float64),
    }


@dataclass
class MatchInputs:
    """Frozen inputs of one run: ids, CSR preference arrays, capacities and per-entry scores."""

    learner_ids: list[int]
    mentor_ids: list[int]
    capacities: IntArray
    # learner side: learner i ranks mentors l_indices[l_indptr[i]:l_indptr[i+1]] (eligible ones only)
    l_indptr: IntArray
    l_indices: IntArray
    l_ranks: IntArray  # the learner's own rank (1-based) of each entry
    l_sites: IntArray  # site id of each entry
    l_scores: FloatArray  # weighted score of each entry
    l_acceptable: npt.NDArray[np.bool_]  # the mentor did not mark the learner "not acceptable"
    m_indptr: IntArray
    m_indices: IntArray
    # the learner's full ranking including ineligible mentors: [[mentor id, rank, eligible], ...] per learner
    rankings: list[list[list[int]]]
    weights: dict[str, float]
    seed: int
    method: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "learner_ids": self.learner_ids,
            "mentor_ids": self.mentor_ids,
            "capacities": self.capacities.tolist(),
            "learner_prefs": {
                "indptr": self.l_indptr.tolist(),
                "indices": self.l_indices.tolist(),
                "ranks": self.l_ranks.tolist(),
                "sites": self.l_sites.tolist(),
                "scores": np.round(self.l_scores, 6).tolist(),
                "acceptable": self.l_acceptable.astype(np.int8).tolist(),
            },
            "mentor_prefs": {"indptr": self.m_indptr.tolist(), "indices": self.m_indices.tolist()},
            "weights": self.weights,
            "seed": self.seed,
            "method": self.method,
        }

    def sha256(self) -> str:
        """Fingerprint of the frozen inputs: the arrays' bytes in a fixed order plus ids, weights, seed, method."""
        digest = hashlib.sha256()
        for array in (
            np.asarray(self.learner_ids, dtype=np.int64),
            np.asarray(self.mentor_ids, dtype=np.int64),
            self.capacities,
            self.l_indptr,
            self.l_indices,
            self.l_ranks,
            self.l_sites,
            np.round(self.l_scores, 6),
            self.l_acceptable.astype(np.int8),
            self.m_indptr,
            self.m_indices,
        ):
            digest.update(np.ascontiguousarray(array).tobytes())
            digest.update(b"|")
        meta = {"weights": self.weights, "seed": self.seed, "method": self.method}
        digest.update(json.dumps(meta, sort_keys=True).encode())
        return digest.hexdigest()


def _light_learner(pk: int, user_id: int, stage: str, date_of_birth: date) -> LearnerProfile:
    """A LearnerProfile holding only what compliance reads, without the cost of Model.__init__ (x20,000)."""
    state = ModelState()
    state.adding = False
    state.db = "default"
    learner = LearnerProfile.__new__(LearnerProfile)
    learner.__dict__.update(
        {"id": pk, "user_id": user_id, "stage": stage, "date_of_birth": date_of_birth, "_state": state}
    )
    return learner


def _masks(through_rows: Iterable[tuple[int, int]], bit_of: dict[int, int]) -> dict[int, int]:
    masks: dict[int, int] = {}
    for owner, language in through_rows:
        masks[owner] = masks.get(owner, 0) | bit_of.get(language, 0)
    return masks


def load_inputs(*, term: Term, method: str, seed: int, on: date) -> MatchInputs:
    """Read everything a run needs in a fixed number of queries and build the engine's arrays."""
    settings = settings_for(term)
    weights = settings.weights()
    if not settings.priority_enabled:
        weights["priority"] = 0.0
    rows = list(
        Enrollment.objects.filter(term=term, status=Enrollment.Status.ACCEPTED)
        .order_by("learner_id")
        .values_list(
            "learner_id",
            "learner__user_id",
            "learner__stage",
            "learner__date_of_birth",
            "learner__first_generation",
            "learner__under_represented",
            "learner__school__city",
            "learner__interests",
            "interests",
            "availability",
        )
    )
    # Light instances (only what compliance reads) instead of 20,000 full ORM rows with joins.
    learners = [_light_learner(r[0], r[1], r[2], r[3]) for r in rows]
    learner_ids = [r[0] for r in rows]
    l_index = {pk: i for i, pk in enumerate(learner_ids)}
    candidates = term_candidates(term)
    mentor_ids = sorted(candidates.opt_ins)
    m_index = {pk: j for j, pk in enumerate(mentor_ids)}
    capacities = np.array([candidates.opt_ins[m].capacity for m in mentor_ids], dtype=np.int64)
    prefs = list(
        Preference.objects.filter(term=term)
        .order_by("learner_id", "rank")
        .values_list("learner_id", "mentor_id", "rank")
    )
    site_of = eligible_site_lookup(
        term=term,
        learners=learners,
        candidates=candidates,
        on=on,
        pairs=((lid, mid) for lid, mid, _r in prefs),
    )

    bit_of = {
        pk: 1 << (i % 62)
        for i, pk in enumerate(Language.objects.exclude(code="en").values_list("pk", flat=True))
    }
    learner_langs = _masks(
        LearnerProfile.languages.through.objects.filter(learnerprofile__enrollments__term=term).values_list(
            "learnerprofile_id", "language_id"
        ),
        bit_of,
    )
    mentor_langs = _masks(
        MentorProfile.languages.through.objects.filter(mentorprofile__term_opt_ins__term=term).values_list(
            "mentorprofile_id", "language_id"
        ),
        bit_of,
    )
    decisions = {
        (learner_id, mentor_id): (acceptable, rank)
        for learner_id, mentor_id, acceptable, rank in MentorDecision.objects.filter(term=term).values_list(
            "learner_id", "mentor_id", "acceptable", "rank"
        )
    }

    max_rank = max(term.max_preferences, 1)
    rankings: list[list[list[int]]] = [[] for _ in learner_ids]
    e_learner: list[int] = []
    e_mentor: list[int] = []
    e_rank: list[int] = []
    e_site: list[int] = []
    e_ok: list[bool] = []
    e_mrank: list[int] = []
    big = 1 << 30
    no_decision = (True, None)
    for learner_id, mentor_id, rank in prefs:
        i = l_index.get(learner_id)
        if i is None:
            continue
        site_id = site_of.get((learner_id, mentor_id))
        j = m_index.get(mentor_id)
        eligible = site_id is not None and j is not None
        rankings[i].append([mentor_id, rank, int(eligible)])
        if not eligible:
            continue
        acceptable, mentor_rank = decisions.get((learner_id, mentor_id), no_decision)
        e_learner.append(i)
        e_mentor.append(j)
        e_rank.append(rank)
        e_site.append(site_id)
        e_ok.append(acceptable)
        e_mrank.append(mentor_rank or big)

    el = np.array(e_learner, dtype=np.int64)
    em = np.array(e_mentor, dtype=np.int64)
    e_sites = np.array(e_site, dtype=np.int64)
    ranks = np.array(e_rank, dtype=np.int64)
    specialties = sorted({o.specialty.strip().lower() for o in candidates.opt_ins.values()} - {""})
    spec_id = {name: k for k, name in enumerate(specialties)}
    interests = [f"{r[8]} {r[7]}".lower() for r in rows]
    learner_spec = np.zeros((len(rows), max(len(specialties), 1)), dtype=bool)
    for k, name in enumerate(specialties):
        learner_spec[:, k] = [name in text for text in interests]
    mentor_spec = np.array(
        [spec_id.get(candidates.opt_ins[m].specialty.strip().lower(), -1) for m in mentor_ids], dtype=np.int64
    )
    city_id: dict[str, int] = {}
    learner_city = np.array(
        [
            city_id.setdefault(c, len(city_id)) if c else -1
            for c in ((r[6] or "").strip().lower() for r in rows)
        ],
        dtype=np.int64,
    )
    site_city_of = {
        pk: city_id.get((site.city or "").strip().lower(), -2) for pk, site in candidates.sites.items()
    }
    site_keys = np.array(sorted(site_city_of), dtype=np.int64)
    site_vals = np.array([site_city_of[k] for k in site_keys.tolist()], dtype=np.int64)
    e_spec = mentor_spec[em] if em.size else em
    parts = score_parts(
        ranks=ranks,
        max_rank=max_rank,
        learner_langs=np.array([learner_langs.get(pk, 0) for pk in learner_ids], dtype=np.int64)[el],
        mentor_langs=np.array([mentor_langs.get(pk, 0) for pk in mentor_ids], dtype=np.int64)[em],
        specialty_hit=(e_spec >= 0) & learner_spec[el, np.maximum(e_spec, 0)] if em.size else em.astype(bool),
        learner_city=learner_city[el],
        site_city=site_vals[np.searchsorted(site_keys, e_sites)] if em.size else em,
        learner_slots=np.array([slots_mask(r[9]) for r in rows], dtype=np.int64)[el],
        mentor_slots=np.array(
            [slots_mask(candidates.opt_ins[m].availability) for m in mentor_ids], dtype=np.int64
        )[em],
        priority=np.array([bool(r[4] or r[5]) for r in rows], dtype=bool)[el],
    )
    scores = np.zeros(el.shape[0], dtype=np.float64)
    for name in COMPONENTS:
        scores += weights[name] * parts[name]
    ok = np.array(e_ok, dtype=bool)
    n_l, n_m = len(learner_ids), len(mentor_ids)
    l_indptr = np.zeros(n_l + 1, dtype=np.int64)
    np.cumsum(np.bincount(el, minlength=n_l), out=l_indptr[1:])
    # Entries already come sorted by learner then rank, so the learner side is their order as is.
    tiebreak = np.random.default_rng(seed).permutation(n_l).astype(np.int64)
    keep = np.flatnonzero(ok)
    order = keep[
        np.lexsort(
            (
                tiebreak[el[keep]],
                -np.round(scores[keep], 9),
                np.array(e_mrank, dtype=np.int64)[keep],
                em[keep],
            )
        )
    ]
    m_indptr = np.zeros(n_m + 1, dtype=np.int64)
    np.cumsum(np.bincount(em[keep], minlength=n_m), out=m_indptr[1:])
    return MatchInputs(
        learner_ids=learner_ids,
        mentor_ids=mentor_ids,
        capacities=capacities,
        l_indptr=l_indptr,
        l_indices=em,
        l_ranks=ranks,
        l_sites=e_sites,
        l_scores=scores,
        l_acceptable=ok,
        m_indptr=m_indptr,
        m_indices=el[order],
        rankings=rankings,
        weights=weights,
        seed=seed,
        method=method,
    )
