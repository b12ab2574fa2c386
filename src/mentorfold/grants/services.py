"""The verbs of the grant cycle: apply, detect conflicts, assign, review, calibrate, decide, replay, send letters."""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from scipy.sparse.csgraph import connected_components

from mentorfold.accounts.models import LearnerProfile, Organization, ReviewerProfile, Role
from mentorfold.core.audit import audit
from mentorfold.core.bulk import insert_rows, now_value
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.uploads import PDF, check_upload, sha256_of
from mentorfold.engine import assign

from . import conflicts as conflict_detection
from . import decision as decision_engine
from . import letters as letter_render
from .affinity import affinity_matrix
from .models import (
    Application,
    Assignment,
    AssignmentRun,
    Conflict,
    DecisionRecord,
    GrantAttachment,
    GrantCycle,
    Letter,
    LetterTemplate,
    Review,
    ReviewerDeclaration,
)

NEED_WEIGHT = {1: 0.6, 2: 0.8, 3: 1.0}
EXPLAIN_TOP = 3


def word_count(text: str) -> int:
    return len(text.split())


def _refuse_if_frozen(cycle: GrantCycle) -> None:
    if cycle.is_frozen:
        raise ValidationError(_("This cycle's decision is frozen: nothing in it can change any more."))


# --------------------------------------------------------------------------- cycles


@transaction.atomic
def cycle_save(*, cycle: GrantCycle, actor: Any) -> GrantCycle:
    """Create or update a cycle (with default letters); refused once the decision is frozen."""
    if cycle.pk:
        _refuse_if_frozen(GrantCycle.objects.get(pk=cycle.pk))
    cycle.full_clean()
    created = cycle.pk is None
    cycle.save()
    for kind, (subject, body) in letter_render.DEFAULT_TEMPLATES.items():
        LetterTemplate.objects.get_or_create(
            cycle=cycle, kind=kind, defaults={"subject": subject, "body": body}
        )
    audit(actor=actor, action="grants.cycle_created" if created else "grants.cycle_changed", target=cycle)
    return cycle


# --------------------------------------------------------------------------- applications


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    problems: list[str]


def eligibility_check(
    *, cycle: GrantCycle, applicant: LearnerProfile, answers: dict[str, bool] | None = None
) -> Eligibility:
    """Who may apply: medical students at a medical school in the cycle's state who answer the questions right."""
    problems = []
    if applicant.stage != LearnerProfile.Stage.MEDICAL_STUDENT:
        problems.append(
            _("These grants are for medical students. Your profile says you are at another stage.")
        )
    school = applicant.school
    if school is None or school.kind != Organization.Kind.MEDICAL_SCHOOL or school.state != cycle.state:
        problems.append(
            _("You must be enrolled in a medical school in %(state)s. Add your school to your profile.")
            % {"state": cycle.state}
        )
    if answers is not None:
        for q in cycle.eligibility_questions:
            if q.get("required") and answers.get(q["key"]) is not True:
                problems.append(_("Eligibility: you answered “no” to “%(q)s”.") % {"q": q["text"]})
    return Eligibility(ok=not problems, problems=problems)


@transaction.atomic
def application_start(
    *, cycle: GrantCycle, applicant: LearnerProfile, answers: dict[str, bool], now: datetime | None = None
) -> Application:
    """Open a draft (or return the existing one) after the eligibility check."""
    now = now or timezone.now()
    if not cycle.is_open(now):
        raise ValidationError(_("This grant cycle is not open for applications."))
    result = eligibility_check(cycle=cycle, applicant=applicant, answers=answers)
    if not result.ok:
        raise ValidationError(result.problems)
    application, _created = Application.objects.get_or_create(
        cycle=cycle, applicant=applicant, defaults={"eligibility_answers": answers}
    )
    return application


EDITABLE_FIELDS = (
    "personal_statement",
    "financial_need",
    "need_level",
    "community_involvement",
    "amount_requested",
    "budget_purpose",
    "topics",
    "is_first_year",
    "is_rural",
    "mailing_address",
)


def _require_editable(application: Application, now: datetime) -> None:
    cycle = application.cycle
    _refuse_if_frozen(cycle)
    if now > cycle.closes_at:
        raise ValidationError(_("The deadline has passed: applications can no longer change."))
    if application.status != Application.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can change. This application is %(s)s.") % {"s": application.get_status_display()}
        )


@transaction.atomic
def application_save(
    *, application: Application, data: dict[str, Any], now: datetime | None = None
) -> Application:
    """Save a draft (also used by autosave). Word limits are checked on submit, so nothing typed is lost."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().select_related("cycle").get(pk=application.pk)
    _require_editable(application, now)
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(application, field, data[field])
    application.full_clean(exclude=["applicant", "cycle"])
    application.save()
    return application


def _scan_hook() -> Any:
    path = getattr(settings, "GRANTS_UPLOAD_SCAN", "")
    return import_string(path) if path else None


@transaction.atomic
def attachment_add(
    *, application: Application, label: str, upload: UploadedFile, now: datetime | None = None
) -> GrantAttachment:
    """Add a PDF: the content is sniffed (not the name), the size capped and an optional virus-scan hook run."""
    now = now or timezone.now()
    _require_editable(application, now)
    check_upload(upload, allowed=PDF, kinds="PDF")
    scan = _scan_hook()
    if scan is not None and not scan(upload):
        raise ValidationError(_("File: the virus scan did not accept this file. Upload a clean copy."))
    upload.seek(0)
    digest = sha256_of(upload)
    labels = application.cycle.required_attachments or []
    if label not in labels and label != "Other":
        raise ValidationError(_("Document type: choose one from the list."))
    attachment = GrantAttachment(
        application=application,
        label=label,
        original_name=(upload.name or "document.pdf")[-200:],
        size=upload.size,
        sha256=digest,
    )
    attachment.file.save("upload.pdf", upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: GrantAttachment, now: datetime | None = None) -> None:
    _require_editable(attachment.application, now or timezone.now())
    attachment.file.delete(save=False)
    attachment.delete()


def application_problems(application: Application) -> list[str]:
    """What still stops this draft from being submitted, in words an applicant can act on."""
    cycle = application.cycle
    problems = []
    if not application.personal_statement.strip():
        problems.append(_("Personal statement: write a few paragraphs about your path to medicine."))
    elif word_count(application.personal_statement) > cycle.statement_word_limit:
        problems.append(
            _("Personal statement: it has %(n)s words; shorten it to %(limit)s or fewer.")
            % {"n": word_count(application.personal_statement), "limit": cycle.statement_word_limit}
        )
    if not application.financial_need.strip():
        problems.append(_("Financial need: tell us briefly about your costs and other support."))
    elif word_count(application.financial_need) > cycle.need_word_limit:
        problems.append(
            _("Financial need: shorten it to %(limit)s words or fewer.") % {"limit": cycle.need_word_limit}
        )
    if word_count(application.community_involvement) > cycle.community_word_limit:
        problems.append(
            _("Community involvement: shorten it to %(limit)s words or fewer.")
            % {"limit": cycle.community_word_limit}
        )
    if not application.amount_requested:
        problems.append(_("Amount requested: enter the amount in dollars, for example 2500."))
    if not application.budget_purpose.strip():
        problems.append(_("Budget: say what the money is for."))
    have = {a.label for a in application.attachments.all()}
    for label in cycle.required_attachments or []:
        if label not in have:
            problems.append(_("Attachments: upload your %(label)s as a PDF.") % {"label": label})
    return problems


@transaction.atomic
def application_submit(*, application: Application, now: datetime | None = None) -> Application:
    """Submit before the deadline (server time); a confirmation e-mail follows."""
    now = now or timezone.now()
    application = (
        Application.objects.select_for_update()
        .select_related("cycle", "applicant__user")
        .get(pk=application.pk)
    )
    _require_editable(application, now)
    problems = application_problems(application)
    if problems:
        raise ValidationError(problems)
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at", "updated_at"])
    user = application.applicant.user
    transaction.on_commit(
        lambda: send_templated_mail(
            to=[user.email],
            subject=_("We received your grant application"),
            template="grants/email/submitted.txt",
            context={"name": user.get_short_name(), "application": application, "cycle": application.cycle},
        )
    )
    return application


@transaction.atomic
def application_withdraw(*, application: Application, now: datetime | None = None) -> Application:
    """Withdraw (until the decision is frozen); open assignments and draft reviews go with it."""
    application = Application.objects.select_for_update().select_related("cycle").get(pk=application.pk)
    _refuse_if_frozen(application.cycle)
    if application.status == Application.Status.WITHDRAWN:
        return application
    application.status = Application.Status.WITHDRAWN
    application.withdrawn_at = now or timezone.now()
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    Assignment.objects.filter(application=application).delete()
    Review.objects.filter(application=application).delete()
    return application


# --------------------------------------------------------------------------- conflicts


@transaction.atomic
def conflicts_detect(*, cycle: GrantCycle, actor: Any = None) -> dict[str, int]:
    """Store every detected conflict (kept even if the data changes later; dismissed ones stay dismissed)."""
    found = conflict_detection.detect(cycle)
    known = set(Conflict.objects.filter(cycle=cycle).values_list("reviewer_id", "application_id", "source"))
    created = now_value()
    insert_rows(
        Conflict,
        ["cycle_id", "reviewer_id", "application_id", "source", "status", "reason", "created_at"],
        [
            (cycle.pk, f.reviewer_id, f.application_id, f.source, f.status, f.reason, created)
            for f in found
            if (f.reviewer_id, f.application_id, f.source) not in known
        ],
    )
    removed = _drop_conflicted_assignments(cycle)
    counts = Counter(f.source for f in found)
    if actor is not None:
        audit(actor=actor, action="grants.conflicts_detected", target=cycle, data=dict(counts))
    return {"found": len(found), "assignments_removed": removed, **counts}


def _drop_conflicted_assignments(cycle: GrantCycle) -> int:
    pairs = set(
        Conflict.objects.filter(cycle=cycle, status__in=Conflict.BLOCKING).values_list(
            "reviewer_id", "application_id"
        )
    )
    doomed = [
        (pk, r, a)
        for pk, r, a in Assignment.objects.filter(cycle=cycle).values_list(
            "pk", "reviewer_id", "application_id"
        )
        if (r, a) in pairs
    ]
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
    _refuse_if_frozen(cycle)
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
    _refuse_if_frozen(conflict.cycle)
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
    _refuse_if_frozen(cycle)
    declaration, _created = ReviewerDeclaration.objects.update_or_create(
        cycle=cycle,
        reviewer=reviewer,
        defaults={"known_people": known_people[:4000], "mailing_address": mailing_address[:300]},
    )
    declaration.full_clean()
    conflicts_detect(cycle=cycle)
    return declaration


# --------------------------------------------------------------------------- assignment


EXPLAIN_REASONS = ("conflict", "full", "lower", "total")


def explain_rows(
    score: np.ndarray,
    *,
    pairs: np.ndarray,
    kept: np.ndarray,
    conflicts: np.ndarray,
    capacities: np.ndarray,
    app_ids: list[int],
    rev_ids: list[int],
    top: int = EXPLAIN_TOP,
) -> dict[str, list[list[Any]]]:
    """Per application, its best reviewers it did not get, and why (vectorised over all applications).

    The reasons follow ``engine.assign.explain``: a conflict; the reviewer is full; the reviewer scores
    lower than every reviewer the application got; otherwise taking the reviewer would lower the optimal
    total (at an optimum every free, allowed pair has a non-positive reduced score). ``explain`` costs
    O(n_reviewers) per call in Python; this does all rows in chunked numpy, so 10,000 rows take under a second.
    """
    n, m = score.shape
    taken = np.concatenate([pairs, kept]) if kept.size else pairs
    loads = np.bincount(taken[:, 1], minlength=m)
    full = loads >= capacities
    worst_assigned = np.full(n, np.inf)
    np.minimum.at(worst_assigned, taken[:, 0], score[taken[:, 0], taken[:, 1]])
    conflict_keys = (
        np.sort(conflicts[:, 0] * m + conflicts[:, 1]) if conflicts.size else np.zeros(0, np.int64)
    )
    out: dict[str, list[list[Any]]] = {}
    k = min(top, m)
    for r0 in range(0, n, 1024):
        r1 = min(n, r0 + 1024)
        block = np.array(score[r0:r1], dtype=np.float64, copy=True)
        sel = (taken[:, 0] >= r0) & (taken[:, 0] < r1)
        block[taken[sel, 0] - r0, taken[sel, 1]] = -np.inf
        cand = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (r1 - r0, 1))
        vals = np.take_along_axis(block, cand, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, axis=1)
        vals = np.take_along_axis(vals, order, axis=1)
        rows = np.arange(r0, r1)[:, None].repeat(cand.shape[1], axis=1)
        keys = rows * m + cand
        pos = np.minimum(np.searchsorted(conflict_keys, keys), max(conflict_keys.size - 1, 0))
        is_conflict = conflict_keys[pos] == keys if conflict_keys.size else np.zeros_like(keys, dtype=bool)
        reason = np.where(
            is_conflict, 0, np.where(full[cand], 1, np.where(vals <= worst_assigned[rows], 2, 3))
        )
        for i in range(r1 - r0):
            out[str(app_ids[r0 + i])] = [
                [rev_ids[int(c)], round(float(v), 4), EXPLAIN_REASONS[int(why)]]
                for c, v, why in zip(cand[i], vals[i], reason[i], strict=True)
                if np.isfinite(v)
            ]
    return out


def reviewer_capacity(cycle: GrantCycle, profile_max_load: int) -> int:
    return min(int(profile_max_load), int(cycle.reviewer_max_load))


@transaction.atomic
def assignment_run(*, cycle: GrantCycle, actor: Any = None, explain: bool = True) -> AssignmentRun:
    """Optimal reviewer assignment by affinity, conflicts forbidden, load limits kept.

    Pairs that already have a review stay as they are; everything else is re-solved. The run stores the
    engine's optimality certificate and, per application, the best reviewers it did not get and why.
    """
    _refuse_if_frozen(cycle)
    started = time.perf_counter()
    conflicts_detect(cycle=cycle)
    apps = list(
        Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", "personal_statement", "community_involvement", "budget_purpose", "topics")
    )
    profiles = list(
        ReviewerProfile.objects.order_by("user_id").values_list("user_id", "expertise", "max_load")
    )
    if not apps:
        raise ValidationError(_("There are no submitted applications to assign."))
    if not profiles:
        raise ValidationError(_("There are no reviewers yet. Invite reviewers first."))
    app_index = {pk: i for i, (pk, *_rest) in enumerate(apps)}
    rev_index = {uid: j for j, (uid, *_rest) in enumerate(profiles)}
    n, m = len(apps), len(profiles)
    score = affinity_matrix(
        [f"{a[1]} {a[2]} {a[3]} {a[4]}" for a in apps],
        [p[1] for p in profiles],
        [a[4] for a in apps],
        [p[1] for p in profiles],
    )
    reviewed = set(Review.objects.filter(cycle=cycle).values_list("application_id", "reviewer_id"))
    kept = [
        pair
        for pair in Assignment.objects.filter(cycle=cycle).values_list("application_id", "reviewer_id")
        if pair in reviewed and pair[0] in app_index
    ]
    demand = np.full(n, cycle.reviewers_per_application, dtype=np.int64)
    cap = np.array([reviewer_capacity(cycle, p[2]) for p in profiles], dtype=np.int64)
    forbidden_rows: list[int] = []
    forbidden_cols: list[int] = []
    for r_id, a_id in Conflict.objects.filter(cycle=cycle, status__in=Conflict.BLOCKING).values_list(
        "reviewer_id", "application_id"
    ):
        if a_id in app_index and r_id in rev_index:
            forbidden_rows.append(app_index[a_id])
            forbidden_cols.append(rev_index[r_id])
    n_conflicts = len(forbidden_rows)
    for a_id, r_id in kept:
        if a_id in app_index and r_id in rev_index:
            i, j = app_index[a_id], rev_index[r_id]
            demand[i] = max(demand[i] - 1, 0)
            cap[j] = max(cap[j] - 1, 0)
            forbidden_rows.append(i)
            forbidden_cols.append(j)
    min_load = None
    if cycle.reviewer_min_load:
        min_load = np.minimum(cycle.reviewer_min_load, cap)
    forbidden = (
        np.stack(
            [np.asarray(forbidden_rows, dtype=np.int64), np.asarray(forbidden_cols, dtype=np.int64)], axis=1
        )
        if forbidden_rows
        else None
    )
    try:
        result = assign.optimal_assignment(score, cap, demand, forbidden=forbidden, min_load=min_load)
    except assign.InfeasibleAssignment as exc:
        codes = [apps[i][0] for i in exc.rows[:20]]
        raise ValidationError(
            _(
                "No assignment meets every rule: %(msg)s Applications affected: %(apps)s. Add reviewers, raise load limits or lower reviewers per application."
            )
            % {"msg": str(exc).split(";")[0] + ".", "apps": ", ".join(str(c) for c in codes) or "-"}
        ) from exc
    kept_set = set(kept)
    Assignment.objects.filter(cycle=cycle).exclude(
        pk__in=[
            pk
            for pk, a, r in Assignment.objects.filter(cycle=cycle).values_list(
                "pk", "application_id", "reviewer_id"
            )
            if (a, r) in kept_set
        ]
    ).delete()
    app_ids = [a[0] for a in apps]
    rev_ids = [p[0] for p in profiles]
    pairs = result.pairs
    created = now_value()
    insert_rows(
        Assignment,
        ["cycle_id", "application_id", "reviewer_id", "affinity", "source", "created_at"],
        [
            (cycle.pk, app_ids[i], rev_ids[j], float(score[i, j]), Assignment.Source.OPTIMAL, created)
            for i, j in pairs.tolist()
        ],
    )
    explanations = (
        explain_rows(
            score,
            pairs=pairs,
            kept=np.asarray([(app_index[a], rev_index[r]) for a, r in kept], dtype=np.int64).reshape(-1, 2),
            conflicts=np.stack(
                [
                    np.asarray(forbidden_rows[:n_conflicts], dtype=np.int64),
                    np.asarray(forbidden_cols[:n_conflicts], dtype=np.int64),
                ],
                axis=1,
            ),
            capacities=np.array([reviewer_capacity(cycle, p[2]) for p in profiles], dtype=np.int64),
            app_ids=app_ids,
            rev_ids=rev_ids,
        )
        if explain
        else {}
    )
    cert = result.certificate
    taken = np.concatenate(
        [pairs, np.asarray([(app_index[a], rev_index[r]) for a, r in kept], dtype=np.int64).reshape(-1, 2)]
    )
    used = np.unique(taken[:, 1])
    graph = sp.csr_array((np.ones(len(taken)), (taken[:, 0], n + taken[:, 1])), shape=(n + m, n + m))
    _count, labels = connected_components(graph, directed=False)
    n_components = int(np.unique(labels[n + used]).size) if used.size else 0
    run = AssignmentRun.objects.create(
        cycle=cycle,
        created_by=actor if getattr(actor, "pk", None) else None,
        n_applications=n,
        n_reviewers=m,
        n_pairs=int(pairs.shape[0]) + len(kept),
        n_conflicts=n_conflicts,
        objective=float(result.objective),
        bound=float(cert.bound),
        gap=float(cert.gap),
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
            data={"pairs": run.n_pairs, "objective": run.objective, "gap": run.gap},
        )
    return run


@transaction.atomic
def assignment_swap(*, assignment: Assignment, new_reviewer: Any, reason: str, actor: Any) -> Assignment:
    """Replace one reviewer by another after re-checking conflicts, duplicates and load."""
    cycle = assignment.cycle
    _refuse_if_frozen(cycle)
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
    """A gentle e-mail to each reviewer with reviews still to submit (at most one a day)."""
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
        send_templated_mail(
            to=[user.email],
            subject=_("A friendly reminder: grant reviews"),
            template="grants/email/reminder.txt",
            context={"name": user.get_short_name(), "count": pending[user.pk], "cycle": cycle},
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
    """Save or submit rubric scores. Submitted reviews are final; nothing changes after the decision."""
    cycle = application.cycle
    _refuse_if_frozen(cycle)
    _require_assigned(application, reviewer)
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
    review.comments = {c["key"]: (comments.get(c["key"]) or "")[:2000] for c in cycle.rubric}
    review.total = rubric_total(cycle.rubric, clean) if len(clean) == len(cycle.rubric) else None
    if submit:
        review.status = Review.Status.SUBMITTED
        review.submitted_at = timezone.now()
    review.save()
    return review


@transaction.atomic
def review_conflict_discovered(*, application: Application, reviewer: Any, reason: str) -> Conflict:
    """The reviewer recognises the applicant: the assignment and any review of theirs are removed."""
    _refuse_if_frozen(application.cycle)
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


# --------------------------------------------------------------------------- decision


def decision_inputs(*, cycle: GrantCycle, seed: int) -> dict[str, Any]:
    """Everything the decision depends on, from the database, as plain JSON (ids sorted: deterministic)."""
    apps = list(
        Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", "amount_requested", "need_level", "is_first_year", "is_rural")
    )
    reviews = list(
        Review.objects.filter(
            cycle=cycle, status=Review.Status.SUBMITTED, application__status=Application.Status.SUBMITTED
        )
        .order_by("application_id", "reviewer_id")
        .values_list("application_id", "reviewer_id", "total")
    )
    app_index = {a[0]: i for i, a in enumerate(apps)}
    reviewer_ids = sorted({r[1] for r in reviews})
    rev_index = {r: j for j, r in enumerate(reviewer_ids)}
    floors = []
    for f in cycle.floors or []:
        attr = 3 if f["attribute"] == "is_first_year" else 4
        floors.append(
            {
                "name": f["name"],
                "min_count": int(f["min_count"]),
                "members": [i for i, a in enumerate(apps) if a[attr]],
            }
        )
    return {
        "cycle": cycle.pk,
        "applications": [a[0] for a in apps],
        "reviewers": reviewer_ids,
        "reviews": {
            "application": [app_index[r[0]] for r in reviews],
            "reviewer": [rev_index[r[1]] for r in reviews],
            "score": [float(r[2]) for r in reviews],
        },
        "requests": [int(a[1] or 0) for a in apps],
        "need": [NEED_WEIGHT[int(a[2])] for a in apps],
        "floors": floors,
        "budget": int(cycle.total_budget),
        "award_min": int(cycle.award_min),
        "award_max": int(cycle.award_max),
        "award_step": int(cycle.award_step),
        "partial": bool(cycle.partial_awards),
        "use_lottery": bool(cycle.use_lottery),
        "z": 1.96,
        "seed": int(seed),
    }


def _inputs_digest(inputs: dict[str, Any]) -> str:
    # The seed and engine are parameters, not data: the live-data check ignores them.
    return decision_engine.digest({k: v for k, v in inputs.items() if k != "seed"})


@transaction.atomic
def decision_prepare(
    *, cycle: GrantCycle, actor: Any, seed: int | None = None, with_budget: bool = True
) -> DecisionRecord:
    """Calibrate (and with ``with_budget`` run the lottery and the budget) into a fresh draft record."""
    _refuse_if_frozen(cycle)
    if seed is None:
        seed = int.from_bytes(
            hashlib.sha256(f"{cycle.pk}-{timezone.now().isoformat()}".encode()).digest()[:4], "big"
        )
    if seed < 0 or seed > 2**53:
        raise ValidationError({"seed": _("Seed: use a whole number from 0 to 9007199254740992.")})
    inputs = decision_inputs(cycle=cycle, seed=seed)
    try:
        outputs = decision_engine.compute(inputs, with_budget=with_budget)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    DecisionRecord.objects.filter(cycle=cycle, status=DecisionRecord.Status.DRAFT).delete()
    record = DecisionRecord.objects.create(
        cycle=cycle,
        seed=seed,
        engine_version=decision_engine.engine_version(),
        inputs=inputs,
        inputs_sha256=_inputs_digest(inputs),
        outputs=outputs,
        outputs_sha256=decision_engine.digest(outputs),
        created_by=actor,
    )
    audit(
        actor=actor,
        action="grants.decision_budget" if with_budget else "grants.decision_calibrated",
        target=cycle,
        data={"seed": seed, "total": outputs.get("total")},
    )
    return record


@transaction.atomic
def decision_freeze(*, record: DecisionRecord, actor: Any) -> DecisionRecord:
    """The committee's final decision: inputs, parameters, seed and engine version become read-only."""
    record = DecisionRecord.objects.select_for_update().select_related("cycle").get(pk=record.pk)
    cycle = record.cycle
    _refuse_if_frozen(cycle)
    if not record.has_budget:
        raise ValidationError(_("Run the budget before freezing the decision."))
    live = decision_inputs(cycle=cycle, seed=record.seed)
    if _inputs_digest(live) != record.inputs_sha256:
        raise ValidationError(
            _("Reviews or applications changed since this draft. Run the budget again, then freeze.")
        )
    record.status = DecisionRecord.Status.FROZEN
    record.frozen_at = timezone.now()
    record.frozen_by = actor
    record.save(update_fields=["status", "frozen_at", "frozen_by"])
    amounts = dict(zip(record.inputs["applications"], record.outputs["amounts"], strict=True))
    reasons = dict(zip(record.inputs["applications"], record.outputs["reasons"], strict=True))
    updates = []
    for application in Application.objects.filter(pk__in=list(amounts)):
        application.award_amount = amounts[application.pk]
        application.decision_reason = reasons[application.pk][:300]
        updates.append(application)
    Application.objects.bulk_update(updates, ["award_amount", "decision_reason"], batch_size=2000)
    cycle.status = GrantCycle.Status.DECIDED
    cycle.save(update_fields=["status"])
    audit(
        actor=actor,
        action="grants.decision_frozen",
        target=cycle,
        data={"seed": record.seed, "outputs_sha256": record.outputs_sha256, "engine": record.engine_version},
    )
    return record


@dataclass(frozen=True)
class Replay:
    reproduced: bool
    outputs_sha256: str
    live_data_unchanged: bool
    inputs_intact: bool
    same_engine: bool


def decision_replay(*, record: DecisionRecord) -> Replay:
    """Recompute from the frozen inputs and compare bit for bit; also say whether live data still matches."""
    outputs = decision_engine.compute(record.inputs, with_budget=record.has_budget)
    sha = decision_engine.digest(outputs)
    live = decision_inputs(cycle=record.cycle, seed=record.seed)
    return Replay(
        reproduced=sha == record.outputs_sha256,
        outputs_sha256=sha,
        live_data_unchanged=_inputs_digest(live) == record.inputs_sha256,
        inputs_intact=_inputs_digest(record.inputs) == record.inputs_sha256,
        same_engine=record.engine_version == decision_engine.engine_version(),
    )


# --------------------------------------------------------------------------- letters


@transaction.atomic
def letter_template_save(*, template: LetterTemplate, subject: str, body: str, actor: Any) -> LetterTemplate:
    template.subject = subject
    template.body = body
    template.full_clean()
    letter_render.render_text(body, {})
    template.save()
    audit(
        actor=actor,
        action="grants.letter_template_changed",
        target=template.cycle,
        data={"kind": template.kind},
    )
    return template


def letter_values(application: Application, record: DecisionRecord | None) -> dict[str, str]:
    amount = application.award_amount or 0
    return {
        "name": application.applicant.user.full_name,
        "cycle": application.cycle.name,
        "amount": f"${amount:,}",
        "code": application.code,
        "reason": application.decision_reason,
        "seed": str(record.seed) if record else "",
        "date": timezone.localdate().isoformat(),
    }


@transaction.atomic
def letters_send(*, cycle: GrantCycle, actor: Any) -> int:
    """Award and decline letters to every submitted applicant not yet written to (e-mail; PDF on request)."""
    if not cycle.is_frozen:
        raise ValidationError(_("Freeze the decision before sending letters."))
    record = DecisionRecord.objects.get(cycle=cycle, status=DecisionRecord.Status.FROZEN)
    templates = {t.kind: t for t in LetterTemplate.objects.filter(cycle=cycle)}
    sent = 0
    pending = (
        Application.objects.filter(cycle=cycle, status=Application.Status.SUBMITTED, letter__isnull=True)
        .select_related("applicant__user", "cycle")
        .order_by("pk")
    )
    for application in pending:
        kind = (
            LetterTemplate.Kind.AWARD if (application.award_amount or 0) > 0 else LetterTemplate.Kind.DECLINE
        )
        template = templates[kind]
        values = letter_values(application, record)
        subject = letter_render.render_text(template.subject, values)
        body = letter_render.render_text(template.body, values)
        Letter.objects.create(application=application, kind=kind, subject=subject, body=body)
        email = application.applicant.user.email
        transaction.on_commit(
            lambda email=email, subject=subject, body=body: send_templated_mail(
                to=[email], subject=subject, template="grants/email/letter.txt", context={"body": body}
            )
        )
        sent += 1
    audit(actor=actor, action="grants.letters_sent", target=cycle, data={"letters": sent})
    return sent


def is_reviewer(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.REVIEWER))
