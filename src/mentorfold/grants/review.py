"""Reviewing grants: conflicts of interest, declarations, the optimal assignment, swaps, reminders, reviews."""

from __future__ import annotations

import gc
import hashlib
import itertools
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy.sparse.csgraph import connected_components

from mentorfold.accounts.models import ReviewerProfile, Role
from mentorfold.core.audit import audit
from mentorfold.core.bulk import insert_rows, now_value
from mentorfold.core.mail import send_templated_mail
from mentorfold.engine import assign
from mentorfold.engine.affinity import affinity_matrix
from mentorfold.engine.explain import REASONS, explain_arrays

from . import conflicts as conflict_detection
from .models import (
    Application,
    Assignment,
    AssignmentRun,
    Conflict,
    GrantCycle,
    Review,
    ReviewerDeclaration,
)
from .state import lock_unfrozen_cycle, refuse_if_frozen

EXPLAIN_TOP = 3
# New conflicts written per transaction: keeps each cycle lock well under a second.
CONFLICT_BATCH = 10_000
COMMENT_MAX = 2000
# Stored explanation codes (older runs keep them too) for the engine's reasons.
EXPLAIN_CODES = {
    "forbidden": "conflict",
    "not allowed": "conflict",
    "column full": "full",
    "lower score": "lower",
    "worse for the total": "total",
}


def is_reviewer(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.REVIEWER))


# --------------------------------------------------------------------------- conflicts


def conflicts_detect(*, cycle: GrantCycle, actor: Any = None, reuse: bool = True) -> dict[str, int]:
    """Store every detected conflict (kept even if the data changes later; dismissed ones stay dismissed).

    Detection reads outside any transaction; new conflicts are written in batches, each its own short
    transaction under the cycle lock (a first run can add 100,000 rows): same-school pairs, the many, by
    one INSERT … SELECT per batch of applications, the few others from Python. Assignments of newly
    conflicted pairs end in the last transaction.

    With ``reuse`` (the default), nothing is detected or written when the fingerprint of the inputs (and
    of the stored conflicts) equals the one stored by the last full run: the stored conflicts are the
    answer. Any change to what detection reads, or to the rules version, runs it in full again.
    """
    inputs = conflict_detection.read_inputs(cycle)
    if reuse:
        stored = (
            GrantCycle.objects.filter(pk=cycle.pk).values_list("conflicts_fingerprint", flat=True).first()
        )
        if stored and stored == _conflicts_fingerprint(cycle, inputs):
            refuse_if_frozen(cycle)
            return _conflicts_unchanged(cycle=cycle, actor=actor)
    plan = conflict_detection.organization_plan(cycle, batch_rows=CONFLICT_BATCH, inputs=inputs)
    found = conflict_detection.detect(cycle, organizations=False, inputs=inputs)
    created = now_value()
    for first, last in plan.ranges:
        with transaction.atomic():
            lock_unfrozen_cycle(cycle.pk)
            conflict_detection.organization_insert(cycle, first=first, last=last, created=created)
    new = _new_conflicts(cycle, found)
    for start in range(0, len(new), CONFLICT_BATCH):
        with transaction.atomic():
            lock_unfrozen_cycle(cycle.pk)
            _conflicts_insert(cycle, new[start : start + CONFLICT_BATCH])
    with transaction.atomic():
        cycle = lock_unfrozen_cycle(cycle.pk)
        result = _conflicts_finish(cycle=cycle, found=found, organization=plan.count, actor=actor)
        GrantCycle.objects.filter(pk=cycle.pk).update(
            conflicts_fingerprint=_conflicts_fingerprint(cycle, inputs)
        )
        return result


def _conflicts_fingerprint(cycle: GrantCycle, inputs: Any) -> str:
    """The inputs' digest plus a summary of the stored conflicts (so a deleted row also means "detect")."""
    stored = Conflict.objects.filter(cycle=cycle).aggregate(n=Count("pk"), total=Sum("pk"), top=Max("pk"))
    return hashlib.sha256(
        f"{inputs.digest()} {stored['n']} {stored['total']} {stored['top']}".encode()
    ).hexdigest()


def _conflicts_unchanged(*, cycle: GrantCycle, actor: Any) -> dict[str, int]:
    """The counts of the last full detection, read from the stored conflicts (one grouped query)."""
    counts: Counter[str] = Counter(
        dict(
            Conflict.objects.filter(cycle=cycle)
            .exclude(source=Conflict.Source.COORDINATOR)
            .values_list("source")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("source", "n")
        )
    )
    if actor is not None:
        audit(actor=actor, action="grants.conflicts_detected", target=cycle, data=dict(counts))
    return {"found": sum(counts.values()), "assignments_removed": 0, "unchanged": 1, **counts}


def _new_conflicts(cycle: GrantCycle, found: list[Any]) -> list[Any]:
    if not found:  # nothing to compare: skip reading every stored conflict of the cycle
        return []
    known = set(
        Conflict.objects.filter(cycle=cycle)
        .exclude(source=Conflict.Source.ORGANIZATION)
        .values_list("reviewer_id", "application_id", "source")
    )
    return [f for f in found if (f.reviewer_id, f.application_id, f.source) not in known]


def _conflicts_insert(cycle: GrantCycle, found: list[Any]) -> None:
    created = now_value()
    insert_rows(
        Conflict,
        ["cycle_id", "reviewer_id", "application_id", "source", "status", "reason", "created_at"],
        [(cycle.pk, f.reviewer_id, f.application_id, f.source, f.status, f.reason, created) for f in found],
    )


def _conflicts_finish(
    *, cycle: GrantCycle, found: list[Any], organization: int, actor: Any
) -> dict[str, int]:
    removed = _drop_conflicted_assignments(cycle)
    counts: Counter[str] = Counter()
    if organization:
        counts[Conflict.Source.ORGANIZATION] = organization
    counts.update(f.source for f in found)
    if actor is not None:
        audit(actor=actor, action="grants.conflicts_detected", target=cycle, data=dict(counts))
    return {"found": organization + len(found), "assignments_removed": removed, **counts}


def _conflicts_store(*, cycle: GrantCycle, actor: Any) -> dict[str, int]:
    """All in the caller's transaction (a declaration adds a handful of conflicts)."""
    cycle = lock_unfrozen_cycle(cycle.pk)
    inputs = conflict_detection.read_inputs(cycle)
    plan = conflict_detection.organization_plan(cycle, batch_rows=CONFLICT_BATCH, inputs=inputs)
    found = conflict_detection.detect(cycle, organizations=False, inputs=inputs)
    created = now_value()
    for first, last in plan.ranges:
        conflict_detection.organization_insert(cycle, first=first, last=last, created=created)
    _conflicts_insert(cycle, _new_conflicts(cycle, found))
    return _conflicts_finish(cycle=cycle, found=found, organization=plan.count, actor=actor)


def _drop_conflicted_assignments(cycle: GrantCycle) -> int:
    # Only the assignments that have a blocking conflict are read (not every conflict of the cycle).
    blocking = Conflict.objects.filter(
        cycle=cycle,
        status__in=Conflict.BLOCKING,
        reviewer_id=OuterRef("reviewer_id"),
        application_id=OuterRef("application_id"),
    )
    doomed = list(
        Assignment.objects.filter(cycle=cycle)
        .filter(Exists(blocking))
        .values_list("pk", "reviewer_id", "application_id")
    )
    if doomed:
        match = Q(pk__in=[])
        for _pk, r, a in doomed:
            match |= Q(reviewer_id=r, application_id=a)
        Review.objects.filter(cycle=cycle).filter(match).delete()
        Assignment.objects.filter(pk__in=[d[0] for d in doomed]).delete()
    return len(doomed)


@transaction.atomic
def conflict_add(
    *, cycle: GrantCycle, reviewer: Any, application: Application, reason: str, actor: Any
) -> Conflict:
    """A coordinator records a conflict; any assignment of that pair ends."""
    cycle = lock_unfrozen_cycle(cycle.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say why this is a conflict.")})
    if application.cycle_id != cycle.pk:
        raise ValidationError(_("This application belongs to another cycle."))
    conflict, _created = Conflict.objects.update_or_create(
        reviewer=reviewer,
        application=application,
        source=Conflict.Source.COORDINATOR,
        defaults={
            "cycle": cycle,
            "status": Conflict.Status.ACTIVE,
            "reason": reason[:300],
            "updated_by": actor,
        },
    )
    _end_pair(application=application, reviewer=reviewer)
    audit(actor=actor, action="grants.conflict_added", target=conflict, reason=reason)
    return conflict


@transaction.atomic
def conflict_set_status(*, conflict: Conflict, status: str, reason: str, actor: Any) -> Conflict:
    """Confirm or dismiss a conflict, with a reason that goes to the audit log."""
    lock_unfrozen_cycle(conflict.cycle_id)
    conflict = (
        Conflict.objects.select_for_update(of=("self",))
        .select_related("application", "reviewer")
        .get(pk=conflict.pk)
    )
    if status not in Conflict.Status.values:
        raise ValidationError({"status": _("Status: choose confirm or dismiss.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say why you change this conflict.")})
    before = conflict.status
    conflict.status = status
    conflict.updated_by = actor
    conflict.save(update_fields=["status", "updated_by"])
    if conflict.is_blocking:
        _end_pair(application=conflict.application, reviewer=conflict.reviewer)
    audit(
        actor=actor,
        action="grants.conflict_status",
        target=conflict,
        data={"from": before, "to": status},
        reason=reason,
    )
    return conflict


def _end_pair(*, application: Application, reviewer: Any) -> None:
    Assignment.objects.filter(application=application, reviewer=reviewer).delete()
    Review.objects.filter(application=application, reviewer=reviewer).delete()


@transaction.atomic
def declaration_save(
    *, cycle: GrantCycle, reviewer: Any, known_people: str, mailing_address: str
) -> ReviewerDeclaration:
    """A reviewer lists people they know; matching applications become conflicts straight away."""
    cycle = lock_unfrozen_cycle(cycle.pk)
    declaration, _created = ReviewerDeclaration.objects.update_or_create(
        cycle=cycle,
        reviewer=reviewer,
        defaults={"known_people": known_people[:4000], "mailing_address": mailing_address[:300]},
    )
    declaration.full_clean()
    _conflicts_store(cycle=cycle, actor=None)
    return declaration


# --------------------------------------------------------------------------- assignment


def reviewer_capacity(cycle: GrantCycle, profile_max_load: int) -> int:
    return min(int(profile_max_load), int(cycle.reviewer_max_load))


@dataclass(frozen=True)
class _AssignmentData:
    """The pairs one assignment solve keeps or forbids (plain values, read outside any transaction)."""

    kept: list[tuple[int, int]]
    conflicts: list[tuple[int, int]]


class _AssignmentState(NamedTuple):
    """Counts, id sums and largest ids (see :func:`_assignment_state`); compared as a whole tuple."""

    applications: tuple[Any, ...]
    reviews: tuple[Any, ...]
    assignments: tuple[Any, ...]
    conflicts: tuple[Any, ...]
    reviewers: tuple[Any, ...]
    last_run: Any
    settings: tuple[Any, ...]


def _assignment_texts(cycle: GrantCycle) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Submitted applications (id, texts, topics) and reviewer profiles (id, expertise, max load), by id."""
    apps = list(
        Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", "personal_statement", "community_involvement", "budget_purpose", "topics")
    )
    profiles = list(
        ReviewerProfile.objects.order_by("user_id").values_list("user_id", "expertise", "max_load")
    )
    return apps, profiles


def _assignment_data(cycle: GrantCycle) -> _AssignmentData:
    reviewed = set(Review.objects.filter(cycle=cycle).values_list("application_id", "reviewer_id"))
    assigned = Assignment.objects.filter(cycle=cycle).values_list("application_id", "reviewer_id")
    conflicts = list(
        Conflict.objects.filter(cycle=cycle, status__in=Conflict.BLOCKING).values_list(
            "application_id", "reviewer_id"
        )
    )
    return _AssignmentData(
        kept=[pair for pair in assigned if pair in reviewed],
        conflicts=conflicts,
    )


def _texts_summary(apps: list[tuple[Any, ...]], profiles: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The applications and reviewers part of :func:`_assignment_state`, from rows already read."""
    return (
        (len(apps), sum(a[0] for a in apps), max((a[0] for a in apps), default=None)),
        (len(profiles), sum(p[0] for p in profiles), sum(p[2] for p in profiles)),
    )


def _assignment_state(cycle: GrantCycle) -> _AssignmentState:
    """A cheap summary of everything an assignment depends on, compared before and after the solve.

    Counts, id sums and largest ids per table (a handful of indexed aggregate queries, no rows fetched),
    so the check under the cycle lock stays in milliseconds even with 100,000 conflicts. Any insert,
    delete or status change in these sets moves at least one of them; texts cannot change after submit.
    """

    def summary(qs: Any) -> tuple[Any, ...]:
        agg = qs.aggregate(n=Count("pk"), total=Sum("pk"), top=Max("pk"))
        return (agg["n"], agg["total"], agg["top"])

    profiles = ReviewerProfile.objects.aggregate(n=Count("pk"), total=Sum("user_id"), load=Sum("max_load"))
    return _AssignmentState(
        applications=summary(Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)),
        reviews=summary(Review.objects.filter(cycle=cycle)),
        assignments=summary(Assignment.objects.filter(cycle=cycle)),
        conflicts=summary(Conflict.objects.filter(cycle=cycle, status__in=Conflict.BLOCKING)),
        reviewers=(profiles["n"], profiles["total"], profiles["load"]),
        last_run=AssignmentRun.objects.filter(cycle=cycle).aggregate(top=Max("pk"))["top"],
        settings=(cycle.reviewers_per_application, cycle.reviewer_max_load, cycle.reviewer_min_load),
    )


def _pairs_array(pairs: list[tuple[int, int]], app_ids: Any, rev_ids: Any) -> Any:
    """(application id, reviewer id) pairs as (row, column) indices into the sorted id arrays; pairs whose
    application or reviewer is not in the solve are dropped. Vectorised (100,000 conflicts in milliseconds)."""
    # fromiter over the flattened tuples: np.asarray on 100,000 tuples inspects each one (10x slower).
    ids = np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.int64, count=2 * len(pairs)).reshape(
        -1, 2
    )
    if ids.size == 0 or app_ids.size == 0 or rev_ids.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    rows = np.minimum(np.searchsorted(app_ids, ids[:, 0]), app_ids.shape[0] - 1)
    cols = np.minimum(np.searchsorted(rev_ids, ids[:, 1]), rev_ids.shape[0] - 1)
    known = (app_ids[rows] == ids[:, 0]) & (rev_ids[cols] == ids[:, 1])
    return np.stack((rows[known], cols[known]), axis=1).astype(np.int64)


def _explanations(result: Any, kept_idx: Any, app_ids: list[int], rev_ids: list[int]) -> dict[str, list[Any]]:
    """Per application (id as text), its best reviewers it did not get: [[reviewer id, affinity, code], ...]."""
    cols, vals, why = explain_arrays(result, top=EXPLAIN_TOP, extra_pairs=kept_idx)
    # One flat pass over the listed alternatives (row-major), then a slice per application.
    listed = why >= 0
    codes = np.asarray([EXPLAIN_CODES[r] for r in REASONS], dtype=object)[why[listed]].tolist()
    reviewer = np.asarray(rev_ids, dtype=np.int64)[cols[listed]].tolist()
    affinity = [round(v, 4) for v in vals[listed].tolist()]
    items = list(map(list, zip(reviewer, affinity, codes, strict=True)))
    ends = np.cumsum(listed.sum(axis=1)).tolist()
    return {
        str(app): items[start:end] for app, start, end in zip(app_ids, [0, *ends[:-1]], ends, strict=True)
    }


def _stale_assignment() -> ValidationError:
    return ValidationError(
        _(
            "Reviews, conflicts, applications or another assignment changed while this one was being "
            "calculated. Nothing was changed: run the assignment again."
        )
    )


def assignment_run(*, cycle: GrantCycle, actor: Any = None, explain: bool = True) -> AssignmentRun:
    """Optimal reviewer assignment by affinity, conflicts forbidden, load limits kept.

    Pairs that already have a review stay as they are; everything else is re-solved. The run stores the
    engine's optimality certificate, re-checked by ``Assignment.verify()``, and, per application, the best
    reviewers it did not get and why.

    Everything is read and computed outside any transaction (affinity, solve, verification, explanations);
    the write is one short transaction that locks the cycle, re-checks that the cycle is not frozen and
    that nothing the solve read has changed (no newer run, no new review or conflict), then writes in bulk.
    """
    # Hold off Python's cyclic collector while the run builds its many rows and arrays: they make almost no
    # reference cycles, and full collections over them cost ~0.2 s here (and would lengthen the write step).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _assignment_run(cycle=cycle, actor=actor, explain=explain)
    finally:
        if enabled:
            gc.enable()


def _assignment_run(*, cycle: GrantCycle, actor: Any, explain: bool) -> AssignmentRun:
    refuse_if_frozen(cycle)
    started = time.perf_counter()
    apps, profiles = _assignment_texts(cycle)
    if not apps:
        raise ValidationError(_("There are no submitted applications to assign."))
    if not profiles:
        raise ValidationError(_("There are no reviewers yet. Invite reviewers first."))
    # The affinity matrix (pure computation, no database) is built on a second thread while this one
    # detects and stores conflicts: SQLite and PostgreSQL release the GIL while they write.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="affinity") as pool:
        scoring = pool.submit(
            affinity_matrix,
            [f"{a[1]} {a[2]} {a[3]} {a[4]}" for a in apps],
            [p[1] for p in profiles],
            [a[4] for a in apps],
            [p[1] for p in profiles],
        )
        conflicts_detect(cycle=cycle)
        state = _assignment_state(cycle)
        data = _assignment_data(cycle)
        score = scoring.result()
    # The texts were read before conflict detection: the state taken after it must describe the same rows.
    if (state.applications, state.reviewers) != _texts_summary(apps, profiles):
        raise _stale_assignment()
    app_ids = [a[0] for a in apps]
    rev_ids = [p[0] for p in profiles]
    n, m = len(apps), len(profiles)
    app_arr, rev_arr = np.asarray(app_ids, dtype=np.int64), np.asarray(rev_ids, dtype=np.int64)
    kept_idx = _pairs_array(data.kept, app_arr, rev_arr)
    conflict_idx = _pairs_array(data.conflicts, app_arr, rev_arr)
    full_cap = np.array([reviewer_capacity(cycle, p[2]) for p in profiles], dtype=np.int64)
    demand = np.full(n, cycle.reviewers_per_application, dtype=np.int64)
    np.subtract.at(demand, kept_idx[:, 0], 1)
    cap = full_cap - np.bincount(kept_idx[:, 1], minlength=m)
    demand, cap = np.maximum(demand, 0), np.maximum(cap, 0)
    min_load = np.minimum(cycle.reviewer_min_load, cap) if cycle.reviewer_min_load else None
    # Conflicts and pairs already under review are never (re)assigned: one sparse matrix, built once.
    blocked = np.concatenate([conflict_idx, kept_idx])
    forbidden = sp.csr_array(
        (np.ones(len(blocked), dtype=bool), (blocked[:, 0], blocked[:, 1])), shape=(n, m)
    )
    try:
        result = assign.optimal_assignment(score, cap, demand, forbidden=forbidden, min_load=min_load)
    except assign.InfeasibleAssignment as exc:
        codes = [app_ids[i] for i in exc.rows[:20]]
        raise ValidationError(
            _(
                "No assignment meets every rule: %(msg)s Applications affected: %(apps)s. Add reviewers, raise load limits or lower reviewers per application."
            )
            % {"msg": str(exc).split(";")[0] + ".", "apps": ", ".join(str(c) for c in codes) or "-"}
        ) from exc
    try:
        verified_gap = float(result.verify())
    except ValueError as exc:  # the solver's answer failed its own certificate: never store it
        raise ValidationError(
            _("The assignment failed its optimality check (%(error)s). Nothing was changed.") % {"error": exc}
        ) from exc
    pairs = result.pairs
    explanations = _explanations(result, kept_idx, app_ids, rev_ids) if explain else {}
    taken = np.concatenate([pairs, kept_idx])
    used = np.unique(taken[:, 1])
    graph = sp.csr_array((np.ones(len(taken)), (taken[:, 0], n + taken[:, 1])), shape=(n + m, n + m))
    _count, labels = connected_components(graph, directed=False)
    n_components = int(np.unique(labels[n + used]).size) if used.size else 0
    pair_apps = app_arr[pairs[:, 0]].tolist()
    pair_revs = rev_arr[pairs[:, 1]].tolist()
    pair_affinity = score[pairs[:, 0], pairs[:, 1]].tolist()
    cert = result.certificate
    write_started = time.perf_counter()
    with transaction.atomic():
        cycle = lock_unfrozen_cycle(cycle.pk)
        if _assignment_state(cycle) != state:
            raise _stale_assignment()
        # Pairs under review stay (the state check above proves they are the ones the solve kept).
        Assignment.objects.filter(cycle=cycle).exclude(
            Exists(
                Review.objects.filter(
                    application_id=OuterRef("application_id"), reviewer_id=OuterRef("reviewer_id")
                )
            )
        ).delete()
        created = now_value()
        insert_rows(
            Assignment,
            ["cycle_id", "application_id", "reviewer_id", "affinity", "source", "created_at"],
            # One zip in C: the constant columns repeat (zip stops at the pairs).
            list(
                zip(
                    itertools.repeat(cycle.pk),
                    pair_apps,
                    pair_revs,
                    pair_affinity,
                    itertools.repeat(Assignment.Source.OPTIMAL),
                    itertools.repeat(created),
                    strict=False,
                )
            ),
        )
        run = AssignmentRun.objects.create(
            cycle=cycle,
            created_by=actor if getattr(actor, "pk", None) else None,
            n_applications=n,
            n_reviewers=m,
            n_pairs=int(pairs.shape[0]) + int(kept_idx.shape[0]),
            n_conflicts=int(conflict_idx.shape[0]),
            objective=float(result.objective),
            bound=float(cert.bound),
            gap=float(cert.gap),
            verified_gap=verified_gap,
            tolerance=float(cert.tolerance),
            seconds=time.perf_counter() - started,
            explanations=explanations,
            n_components=n_components,
        )
        if cycle.status in (GrantCycle.Status.DRAFT, GrantCycle.Status.OPEN):
            cycle.status = GrantCycle.Status.REVIEW
            cycle.save(update_fields=["status"])
        if actor is not None:
            audit(
                actor=actor,
                action="grants.assignment_run",
                target=cycle,
                data={"pairs": run.n_pairs, "objective": run.objective, "gap": run.verified_gap},
            )
    # How long the cycle stayed locked: the one write step, kept short on purpose.
    run.write_seconds = time.perf_counter() - write_started
    AssignmentRun.objects.filter(pk=run.pk).update(write_seconds=run.write_seconds)
    return run


@transaction.atomic
def assignment_swap(*, assignment: Assignment, new_reviewer: Any, reason: str, actor: Any) -> Assignment:
    """Replace one reviewer by another after re-checking conflicts, duplicates and load (under the cycle lock)."""
    cycle = lock_unfrozen_cycle(assignment.cycle_id)
    current = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("application", "reviewer")
        .filter(pk=assignment.pk)
        .first()
    )
    if current is None:
        raise ValidationError(_("This assignment changed meanwhile. Reload the page and try again."))
    assignment = current
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say why you swap this reviewer.")})
    profile = ReviewerProfile.objects.filter(user=new_reviewer).first()
    if profile is None:
        raise ValidationError({"reviewer": _("Reviewer: this person is not a reviewer.")})
    application = assignment.application
    if Conflict.objects.filter(
        application=application, reviewer=new_reviewer, status__in=Conflict.BLOCKING
    ).exists():
        raise ValidationError(
            {"reviewer": _("Reviewer: this reviewer has a conflict with this application.")}
        )
    if Assignment.objects.filter(application=application, reviewer=new_reviewer).exists():
        raise ValidationError({"reviewer": _("Reviewer: already assigned to this application.")})
    load = Assignment.objects.filter(cycle=cycle, reviewer=new_reviewer).count()
    if load >= reviewer_capacity(cycle, profile.max_load):
        raise ValidationError({"reviewer": _("Reviewer: already at their most applications for this cycle.")})
    if Review.objects.filter(
        application=application, reviewer=assignment.reviewer, status=Review.Status.SUBMITTED
    ).exists():
        raise ValidationError(_("This reviewer already submitted a review; it cannot be swapped."))
    old_reviewer = assignment.reviewer
    _end_pair(application=application, reviewer=old_reviewer)
    new = Assignment.objects.create(
        cycle=cycle, application=application, reviewer=new_reviewer, source=Assignment.Source.MANUAL
    )
    audit(
        actor=actor,
        action="grants.assignment_swapped",
        target=application,
        data={"from": old_reviewer.pk, "to": new_reviewer.pk},
        reason=reason,
    )
    return new


@transaction.atomic
def reminders_send(*, cycle: GrantCycle, actor: Any) -> int:
    """A gentle e-mail to each reviewer with reviews still to submit (at most one a day), sent on commit."""
    cycle = lock_unfrozen_cycle(cycle.pk)
    now = timezone.now()
    submitted = set(
        Review.objects.filter(cycle=cycle, status=Review.Status.SUBMITTED).values_list(
            "application_id", "reviewer_id"
        )
    )
    pending: dict[int, int] = defaultdict(int)
    reminded_recently: set[int] = set()
    for a_id, r_id, reminded in Assignment.objects.filter(cycle=cycle).values_list(
        "application_id", "reviewer_id", "reminded_at"
    ):
        if (a_id, r_id) not in submitted:
            pending[r_id] += 1
            if reminded and (now - reminded).total_seconds() < 20 * 3600:
                reminded_recently.add(r_id)
    sent = 0
    from mentorfold.accounts.models import User

    for user in User.objects.filter(pk__in=[r for r in pending if r not in reminded_recently]):
        transaction.on_commit(
            lambda user=user, count=pending[user.pk]: send_templated_mail(
                to=[user.email],
                subject=_("A friendly reminder: grant reviews"),
                template="grants/email/reminder.txt",
                context={"name": user.get_short_name(), "count": count, "cycle": cycle},
            )
        )
        sent += 1
    Assignment.objects.filter(cycle=cycle, reviewer_id__in=list(pending)).exclude(
        reviewer_id__in=list(reminded_recently)
    ).update(reminded_at=now)
    audit(actor=actor, action="grants.reminders_sent", target=cycle, data={"reviewers": sent})
    return sent


# --------------------------------------------------------------------------- reviews


def _require_assigned(application: Application, reviewer: Any) -> None:
    if not Assignment.objects.filter(application=application, reviewer=reviewer).exists():
        raise PermissionDenied
    if Conflict.objects.filter(
        application=application, reviewer=reviewer, status__in=Conflict.BLOCKING
    ).exists():
        raise PermissionDenied


def rubric_total(rubric: list[dict[str, Any]], scores: dict[str, int]) -> float:
    """Weighted mean of the criterion scores, on the rubric's 1..5 scale."""
    weights = sum(float(c["weight"]) for c in rubric)
    return sum(float(c["weight"]) * int(scores[c["key"]]) for c in rubric) / weights


@transaction.atomic
def review_save(
    *, application: Application, reviewer: Any, scores: dict[str, Any], comments: dict[str, str], submit: bool
) -> Review:
    """Save or submit rubric scores. Submitted reviews are final; nothing changes after the decision.

    The cycle row is locked first: a review either lands before a decision freeze (which then sees it) or
    is refused after it.
    """
    cycle = lock_unfrozen_cycle(application.cycle_id)
    _require_assigned(application, reviewer)
    if not Application.objects.filter(pk=application.pk, status=Application.Status.SUBMITTED).exists():
        raise ValidationError(_("This application was withdrawn: there is nothing to review."))
    review, _created = Review.objects.select_for_update().get_or_create(
        application=application, reviewer=reviewer, defaults={"cycle": cycle}
    )
    if review.status == Review.Status.SUBMITTED:
        raise ValidationError(_("You already submitted this review."))
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for c in cycle.rubric:
        raw = scores.get(c["key"])
        if raw in (None, ""):
            if submit:
                errors[c["key"]] = _("%(name)s: choose a score from 1 to 5.") % {"name": c["name"]}
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[c["key"]] = _("%(name)s: the score must be a whole number from 1 to 5.") % {
                "name": c["name"]
            }
            continue
        clean[c["key"]] = value
    if errors:
        raise ValidationError(errors)
    review.scores = clean
    for c in cycle.rubric:
        text = comments.get(c["key"]) or ""
        if len(text) > COMMENT_MAX or "\x00" in text:
            errors[c["key"]] = _(
                "Comments on %(name)s: keep them under %(limit)s characters, plain text."
            ) % {
                "name": c["name"],
                "limit": f"{COMMENT_MAX:,}",
            }
    if errors:
        raise ValidationError(errors)
    review.comments = {c["key"]: comments.get(c["key"]) or "" for c in cycle.rubric}
    review.total = rubric_total(cycle.rubric, clean) if len(clean) == len(cycle.rubric) else None
    if submit:
        review.status = Review.Status.SUBMITTED
        review.submitted_at = timezone.now()
    review.save(update_fields=["scores", "comments", "total", "status", "submitted_at", "updated_at"])
    return review


@transaction.atomic
def review_conflict_discovered(*, application: Application, reviewer: Any, reason: str) -> Conflict:
    """The reviewer recognises the applicant: the assignment and any review of theirs are removed."""
    lock_unfrozen_cycle(application.cycle_id)
    _require_assigned(application, reviewer)
    conflict, _created = Conflict.objects.update_or_create(
        reviewer=reviewer,
        application=application,
        source=Conflict.Source.DISCOVERED,
        defaults={
            "cycle": application.cycle,
            "status": Conflict.Status.ACTIVE,
            "reason": (reason.strip() or _("Conflict found by the reviewer"))[:300],
        },
    )
    _end_pair(application=application, reviewer=reviewer)
    audit(actor=reviewer, action="grants.conflict_discovered", target=application, reason=reason)
    return conflict
