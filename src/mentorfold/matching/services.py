"""Write paths of matching: rankings, mentors' answers, match runs, publication, placements, mentorships."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.notices import notices_send
from mentorfold.engine import ENGINE_VERSION
from mentorfold.engine.assign import optimal_assignment
from mentorfold.engine.stable import blocking_pairs, stable_match
from mentorfold.programs.models import Enrollment, MentorTermOptIn, Term

from . import selectors
from .models import MatchAssignment, MatchRun, MatchSettings, MentorDecision, Mentorship, Preference
from .snapshot import MatchInputs, load_inputs, settings_for

Progress = Callable[[int, str], None]
CURRENT = [Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED]
CHECKIN_EVERY = timedelta(days=14)
QUIET_AFTER = timedelta(days=30)


# --------------------------------------------------------------------------------------------- rankings


def preferences_are_open(term: Term, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return term.status == Term.Status.OPEN and (
        term.preferences_close is None or now < term.preferences_close
    )


def preferences_save(
    *, learner: LearnerProfile, term: Term, mentor_ids: Sequence[int], now: datetime | None = None
) -> list[Preference]:
    """Replace the learner's ranking in ``term`` with ``mentor_ids`` (first = first choice)."""
    if not Enrollment.objects.filter(term=term, learner=learner, status=Enrollment.Status.ACCEPTED).exists():
        raise PermissionDenied
    if not preferences_are_open(term, now):
        raise ValidationError(_("Rankings for this term are closed, so your list can no longer change."))
    ids = [int(m) for m in mentor_ids]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Your list: each mentor can appear only once. Remove the repeated mentor."))
    if len(ids) > term.max_preferences:
        raise ValidationError(
            _("Your list: you can rank up to %(n)d mentors. Remove one before adding another.")
            % {"n": term.max_preferences}
        )
    eligible = {e.mentor.pk for e in selectors.eligible_mentors(learner=learner, term=term)}
    unknown = [m for m in ids if m not in eligible]
    if unknown:
        raise ValidationError(
            _("Your list: one of these mentors is not open to you in this term. Remove them.")
        )
    with transaction.atomic():
        Preference.objects.filter(term=term, learner=learner).delete()
        rows = [Preference(term=term, learner=learner, mentor_id=m, rank=r) for r, m in enumerate(ids, 1)]
        for row in rows:
            row.full_clean(validate_unique=False, validate_constraints=False)
        return Preference.objects.bulk_create(rows)


def preference_add(
    *, learner: LearnerProfile, term: Term, mentor_id: int, now: datetime | None = None
) -> None:
    current = selectors.ranked_mentor_ids(learner=learner, term=term)
    if mentor_id not in current:
        preferences_save(learner=learner, term=term, mentor_ids=[*current, mentor_id], now=now)


def preference_move(
    *, learner: LearnerProfile, term: Term, mentor_id: int, action: str, now: datetime | None = None
) -> None:
    """Move a mentor up or down the learner's list, or remove it."""
    ids = selectors.ranked_mentor_ids(learner=learner, term=term)
    if mentor_id not in ids:
        raise ValidationError(_("That mentor is not on your list."))
    i = ids.index(mentor_id)
    if action == "up" and i > 0:
        ids[i - 1], ids[i] = ids[i], ids[i - 1]
    elif action == "down" and i < len(ids) - 1:
        ids[i + 1], ids[i] = ids[i], ids[i + 1]
    elif action == "remove":
        ids.pop(i)
    elif action not in {"up", "down"}:
        raise ValidationError(_("Unknown action."))
    preferences_save(learner=learner, term=term, mentor_ids=ids, now=now)


def mentor_decision_set(
    *,
    mentor: MentorProfile,
    learner: LearnerProfile,
    term: Term,
    acceptable: bool,
    rank: int | None = None,
    now: datetime | None = None,
) -> MentorDecision:
    """A mentor marks a learner who ranked them as acceptable or not (and optionally ranks them)."""
    if not Preference.objects.filter(term=term, learner=learner, mentor=mentor).exists():
        raise PermissionDenied
    if not preferences_are_open(term, now):
        raise ValidationError(_("Rankings for this term are closed, so your answers can no longer change."))
    with transaction.atomic():
        decision, _created = MentorDecision.objects.get_or_create(term=term, mentor=mentor, learner=learner)
        decision.acceptable = acceptable
        decision.rank = rank if acceptable else None
        decision.full_clean()
        decision.save()
        audit(
            actor=mentor.user,
            action="matching.mentor_decision",
            target=learner,
            data={"term": term.pk, "acceptable": acceptable, "rank": decision.rank},
        )
    return decision


def match_settings_update(*, term: Term, user: Any, values: dict[str, Any]) -> MatchSettings:
    """Coordinator edits the score weights and the decline window of a term."""
    with transaction.atomic():
        settings, _created = MatchSettings.objects.get_or_create(term=term)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.full_clean()
        settings.save()
        audit(
            actor=user,
            action="matching.settings_update",
            target=term,
            data={k: str(v) for k, v in values.items()},
        )
    return settings


# --------------------------------------------------------------------------------------------- match runs


def match_run_create(*, term: Term, method: str, seed: int, user: Any) -> MatchRun:
    """Queue a run as a background task; the page follows it with the progress bar."""
    from mentorfold.core.tracking import task_run_start

    from .tasks import execute_match_run

    if method not in MatchRun.Method.values:
        raise ValidationError({"method": _("Method: choose stable or best total score.")})
    if term.status not in {Term.Status.OPEN, Term.Status.MATCHING, Term.Status.ACTIVE}:
        raise ValidationError(_("This term is not taking part in matching (it is a draft or closed)."))
    with transaction.atomic():
        run = MatchRun(term=term, method=method, seed=seed, created_by=user, engine_version=ENGINE_VERSION)
        run.full_clean()
        run.save()
        task_run = task_run_start(
            task=execute_match_run,
            kind="matching.run",
            label=_("Match run #%(n)d for %(term)s") % {"n": run.pk, "term": term},
            user=user,
            match_run_id=run.pk,
        )
        run.task_run_id = task_run.pk
        run.save(update_fields=["task_run_id"])
        audit(actor=user, action="matching.run_start", target=run, data={"method": method, "seed": seed})
    return run


def _engine(inputs: MatchInputs) -> tuple[np.ndarray, dict[str, Any]]:
    n_l, n_m = len(inputs.learner_ids), len(inputs.mentor_ids)
    if inputs.method == MatchRun.Method.STABLE:
        l_prefs = (inputs.l_indptr, inputs.l_indices)
        m_prefs = (inputs.m_indptr, inputs.m_indices)
        match = stable_match(l_prefs, m_prefs, inputs.capacities)
        blocking = blocking_pairs(match, l_prefs, m_prefs, inputs.capacities)
        return match, {"kind": "stable", "blocking_pairs": len(blocking), "examples": blocking[:5]}
    match = np.full(n_l, -1, dtype=np.int64)
    ok = inputs.l_acceptable
    if ok.any() and n_m:
        rows = np.repeat(np.arange(n_l, dtype=np.int64), np.diff(inputs.l_indptr))[ok]
        score = sp.csr_array((inputs.l_scores[ok], (rows, inputs.l_indices[ok])), shape=(n_l, n_m))
        result = optimal_assignment(score, inputs.capacities, allow_partial=True)
        match[result.pairs[:, 0]] = result.pairs[:, 1]
        cert = result.certificate
        return match, {
            "kind": "optimal",
            "objective": cert.objective,
            "bound": cert.bound,
            "gap": cert.gap,
            "tolerance": cert.tolerance,
            "is_optimal": bool(cert.is_optimal),
        }
    return match, {
        "kind": "optimal",
        "objective": 0.0,
        "bound": 0.0,
        "gap": 0.0,
        "tolerance": 0.0,
        "is_optimal": True,
    }


def _outcomes(inputs: MatchInputs, match: np.ndarray) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Outcome rows (learner, mentor, site, rank, score, reason, choices JSON) and the run's statistics.

    ``choices`` codes every mentor the learner ranked: matched, lower, not_eligible, not_accepted, full (for a
    stable run: full with learners they ranked higher, which stability guarantees) or total (optimal run: a
    free seat, but using it would lower the total score — the rule of ``engine.assign.explain``).
    """
    n_m = len(inputs.mentor_ids)
    load = np.bincount(match[match >= 0], minlength=n_m)
    full = load >= inputs.capacities
    stable = inputs.method == MatchRun.Method.STABLE
    indptr = inputs.l_indptr.tolist()
    indices = inputs.l_indices.tolist()
    ranks = inputs.l_ranks.tolist()
    sites = inputs.l_sites.tolist()
    scores = inputs.l_scores.tolist()
    acceptable = inputs.l_acceptable.tolist()
    full_list = full.tolist()
    mentor_ids = inputs.mentor_ids
    match_list = match.tolist()
    max_rank = 0
    histogram: dict[str, int] = {}
    rows: list[tuple[Any, ...]] = []
    for i, learner_id in enumerate(inputs.learner_ids):
        j = match_list[i]
        lo, hi = indptr[i], indptr[i + 1]
        matched_entry = None
        if j >= 0:
            matched_entry = next(e for e in range(lo, hi) if indices[e] == j)
        matched_rank = ranks[matched_entry] if matched_entry is not None else None
        choices: list[list[Any]] = []
        e = lo
        for mentor_id, rank, eligible in inputs.rankings[i]:
            if not eligible:
                code = "not_eligible"
                choices.append([mentor_id, code])
                continue
            # eligible entries appear in the CSR row in the same order as in the ranking
            entry, e = e, e + 1
            if matched_rank is not None and rank == matched_rank:
                code = "matched"
            elif matched_rank is not None and rank > matched_rank:
                code = "lower"
            else:
                if not acceptable[entry]:
                    code = "not_accepted"
                elif stable or full_list[indices[entry]]:
                    code = "full"
                else:
                    code = "total"
            choices.append([mentor_id, code])
        if matched_entry is not None:
            reason = MatchAssignment.Reason.MATCHED
            key = str(matched_rank)
            max_rank = max(max_rank, matched_rank or 0)
        else:
            codes = {c for _m, c in choices}
            if not choices:
                reason = MatchAssignment.Reason.NO_CHOICES
            elif codes == {"not_eligible"}:
                reason = MatchAssignment.Reason.NOT_CLEARED
            elif codes <= {"full", "not_eligible"}:
                reason = MatchAssignment.Reason.ALL_FULL
            else:
                reason = MatchAssignment.Reason.NOT_ACCEPTED
            key = "unmatched"
        histogram[key] = histogram.get(key, 0) + 1
        rows.append(
            (
                learner_id,
                mentor_ids[j] if matched_entry is not None else None,
                sites[matched_entry] if matched_entry is not None else None,
                matched_rank,
                round(scores[matched_entry], 6) if matched_entry is not None else None,
                str(reason),
                json.dumps(choices),
            )
        )
    matched = int((match >= 0).sum())
    seats = int(inputs.capacities.sum())
    stats = {
        "learners": len(inputs.learner_ids),
        "mentors": n_m,
        "seats": seats,
        "matched": matched,
        "unmatched": len(inputs.learner_ids) - matched,
        "first_choice": histogram.get("1", 0),
        "histogram": [[str(r), histogram.get(str(r), 0)] for r in range(1, max(max_rank, 1) + 1)]
        + [["unmatched", histogram.get("unmatched", 0)]],
        "fill_rate": round(matched / seats, 4) if seats else 0.0,
        "mentors_full": int(full[inputs.capacities > 0].sum()),
        "preferences": int(inputs.l_indptr[-1]),
    }
    return rows, stats


def _insert_assignments(*, run_id: int, rows: list[tuple[Any, ...]]) -> None:
    """One executemany for all outcome rows: bulk_create's per-object work costs seconds at 20,000 learners."""
    table = connection.ops.quote_name(MatchAssignment._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    columns = "run_id, learner_id, mentor_id, site_id, rank, score, reason, choices"
    # The table name comes from model metadata and every value is a query parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s{cast})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(run_id, *row) for row in rows])


def match_run_execute(*, match_run: MatchRun, progress: Progress | None = None) -> MatchRun:
    """Load and freeze the inputs, run the engine, write the outcome rows; a fixed number of queries."""
    report = progress or (lambda percent, message: None)
    run = match_run
    term = Term.objects.select_related("program").get(pk=run.term_id)
    MatchRun.objects.filter(pk=run.pk).update(status=MatchRun.Status.RUNNING)
    t0 = time.perf_counter()
    report(5, _("Reading rankings and capacities"))
    inputs = load_inputs(term=term, method=run.method, seed=run.seed, on=timezone.localdate())
    frozen = inputs.to_json()
    t1 = time.perf_counter()
    report(40, _("Running the matching engine"))
    match, certificate = _engine(inputs)
    t2 = time.perf_counter()
    report(70, _("Saving the result"))
    rows, stats = _outcomes(inputs, match)
    with transaction.atomic():
        MatchAssignment.objects.filter(run=run).delete()
        _insert_assignments(run_id=run.pk, rows=rows)
        run.inputs = frozen
        run.inputs_sha256 = inputs.sha256()
        run.parameters = {"weights": inputs.weights, "method": run.method, "seed": run.seed}
        run.result = {"match": match.tolist()}
        run.stats = stats
        run.certificate = certificate
        run.engine_version = ENGINE_VERSION
        run.status = MatchRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.load_ms = round((t1 - t0) * 1000)
        run.engine_ms = round((t2 - t1) * 1000)
        run.write_ms = round((time.perf_counter() - t2) * 1000)
        run.save()
    report(100, _("Done"))
    return run


def match_run_fail(*, match_run_id: int, message: str) -> None:
    MatchRun.objects.filter(pk=match_run_id).update(
        status=MatchRun.Status.FAILED, message=message[:300], finished_at=timezone.now()
    )


# --------------------------------------------------------------------------------------------- publication


def _notify(
    *, users: Sequence[Any], text: str, url: str, subject: str, template: str, context: dict[str, Any]
) -> None:
    notices_send(users=users, text=text, url=url)
    for user in users:
        send_templated_mail(
            to=[user.email], subject=subject, template=template, context={**context, "user": user}
        )


def match_run_publish(*, match_run: MatchRun, user: Any, now: datetime | None = None) -> list[Mentorship]:
    """Turn a finished run into mentorships; both sides get an e-mail and an in-app notice."""
    now = now or timezone.now()
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().select_related("term").get(pk=match_run.pk)
        if run.status != MatchRun.Status.SUCCEEDED:
            raise ValidationError(_("Only a finished run that is not yet published can be published."))
        if MatchRun.objects.filter(term=run.term, status=MatchRun.Status.PUBLISHED).exists():
            raise ValidationError(
                _("Another run of this term is already published. Place learners by hand instead.")
            )
        taken = set(
            Mentorship.objects.filter(term=run.term, status__in=CURRENT).values_list("learner_id", flat=True)
        )
        assignments = list(
            run.assignments.filter(mentor__isnull=False)
            .exclude(learner_id__in=taken)
            .select_related("mentor__user", "learner__user")
        )
        created = Mentorship.objects.bulk_create(
            [
                Mentorship(
                    mentor=a.mentor,
                    learner=a.learner,
                    term=run.term,
                    site_id=a.site_id,
                    match_run=run,
                    created_by=user,
                    status=Mentorship.Status.ACTIVE,
                )
                for a in assignments
            ]
        )
        run.status = MatchRun.Status.PUBLISHED
        run.published_at = now
        run.published_by = user
        run.save(update_fields=["status", "published_at", "published_by"])
        audit(actor=user, action="matching.run_publish", target=run, data={"mentorships": len(created)})
        created = list(
            Mentorship.objects.filter(match_run=run).select_related("mentor__user", "learner__user", "term")
        )
        decline_days = settings_for(run.term).decline_days
        for m in created:
            _announce(mentorship=m, decline_days=decline_days)
    return created


def _announce(*, mentorship: Mentorship, decline_days: int) -> None:
    url = reverse("matching:mentorship", args=[mentorship.pk])
    context = {"mentorship": mentorship, "url": url, "decline_days": decline_days}
    _notify(
        users=[mentorship.learner.user],
        text=_("You are matched with %(mentor)s.") % {"mentor": mentorship.mentor},
        url=url,
        subject=_("You have a mentor"),
        template="matching/email/matched_learner.txt",
        context=context,
    )
    _notify(
        users=[mentorship.mentor.user],
        text=_("%(learner)s is your new mentee.") % {"learner": mentorship.learner.user.full_name},
        url=url,
        subject=_("You have a new mentee"),
        template="matching/email/matched_mentor.txt",
        context=context,
    )


def seats_left(*, term: Term, mentor: MentorProfile) -> int:
    opt_in = MentorTermOptIn.objects.filter(term=term, mentor=mentor).first()
    if opt_in is None:
        return 0
    used = Mentorship.objects.filter(term=term, mentor=mentor, status__in=CURRENT).count()
    return opt_in.capacity - used


def mentorship_place_manually(
    *, term: Term, learner: LearnerProfile, mentor: MentorProfile, user: Any, reason: str
) -> Mentorship:
    """A coordinator places a learner by hand: needs a reason, re-checks compliance and capacity, is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Reason: say why you place this learner by hand.")})
    with transaction.atomic():
        MentorTermOptIn.objects.select_for_update().filter(term=term, mentor=mentor).first()
        if not Enrollment.objects.filter(
            term=term, learner=learner, status=Enrollment.Status.ACCEPTED
        ).exists():
            raise ValidationError(_("This learner is not accepted into the term."))
        if Mentorship.objects.filter(term=term, learner=learner, status__in=CURRENT).exists():
            raise ValidationError(_("This learner already has a mentor in this term."))
        if Mentorship.objects.filter(term=term, learner=learner, mentor=mentor).exists():
            raise ValidationError(
                _("Mentor: this mentor was already matched with this learner once. Choose another.")
            )
        if seats_left(term=term, mentor=mentor) <= 0:
            raise ValidationError({"mentor": _("Mentor: no free seat this term. Choose another mentor.")})
        site = selectors.shared_site(learner=learner, mentor=mentor, term=term)
        if site is None:
            raise ValidationError(
                {"mentor": _("Mentor: the learner is not cleared at any of this mentor's clinics yet.")}
            )
        mentorship = Mentorship(
            term=term,
            learner=learner,
            mentor=mentor,
            site=site,
            created_by=user,
            placed_manually_reason=reason,
            status=Mentorship.Status.ACTIVE,
        )
        mentorship.full_clean()
        mentorship.save()
        audit(actor=user, action="matching.place_manually", target=mentorship, reason=reason)
        _announce(mentorship=mentorship, decline_days=settings_for(term).decline_days)
    return mentorship


def decline_deadline(mentorship: Mentorship) -> datetime:
    return mentorship.created_at + timedelta(days=settings_for(mentorship.term).decline_days)


def mentorship_decline(
    *, mentorship: Mentorship, user: Any, reason: str, now: datetime | None = None
) -> Mentorship:
    """The mentor declines a new match within the term's window; the seat opens again."""
    now = now or timezone.now()
    if mentorship.mentor.user_id != user.pk:
        raise PermissionDenied
    if mentorship.status != Mentorship.Status.ACTIVE or now > decline_deadline(mentorship):
        raise ValidationError(_("The time to decline this match has passed. Please contact the coordinator."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Reason: tell the coordinator briefly why (it is not shown to the learner).")}
        )
    with transaction.atomic():
        mentorship.status = Mentorship.Status.DECLINED
        mentorship.end_reason = reason
        mentorship.ended_at = now
        mentorship.full_clean()
        mentorship.save(update_fields=["status", "end_reason", "ended_at"])
        audit(actor=user, action="matching.mentorship_decline", target=mentorship, reason=reason)
        notices_send(
            users=[mentorship.learner.user],
            text=_("Your mentor match changed. A coordinator will place you with another mentor soon."),
            url=reverse("matching:home"),
        )
        send_templated_mail(
            to=[mentorship.learner.user.email],
            subject=_("Your mentor match changed"),
            template="matching/email/declined_learner.txt",
            context={"mentorship": mentorship},
        )
    return mentorship


def mentorship_update(
    *,
    mentorship: Mentorship,
    user: Any,
    status: str | None = None,
    reason: str = "",
    goals: str | None = None,
    now: datetime | None = None,
) -> Mentorship:
    """Record goals, pause, complete or end early (with a reason); counts as activity."""
    now = now or timezone.now()
    is_coord = user.has_role("coordinator")
    is_mentor = mentorship.mentor.user_id == user.pk
    is_learner = mentorship.learner.user_id == user.pk
    if not (is_coord or is_mentor or is_learner):
        raise PermissionDenied
    if status is not None and status != mentorship.status:
        if not (is_coord or is_mentor):
            raise PermissionDenied
        allowed = {
            Mentorship.Status.ACTIVE,
            Mentorship.Status.PAUSED,
            Mentorship.Status.COMPLETED,
            Mentorship.Status.ENDED_EARLY,
        }
        if status not in allowed or not mentorship.is_current:
            raise ValidationError({"status": _("Status: this change is not possible.")})
        if status == Mentorship.Status.ENDED_EARLY and not reason.strip():
            raise ValidationError({"reason": _("Reason: say why the mentorship ended early.")})
        mentorship.status = status
        if status in {Mentorship.Status.COMPLETED, Mentorship.Status.ENDED_EARLY}:
            mentorship.ended_at = now
            mentorship.end_reason = reason.strip()
    if goals is not None:
        mentorship.goals = goals.strip()
    mentorship.last_activity_at = now
    with transaction.atomic():
        mentorship.full_clean()
        mentorship.save()
        audit(
            actor=user,
            action="matching.mentorship_update",
            target=mentorship,
            reason=reason,
            data={"status": mentorship.status},
        )
    return mentorship


def mentorship_record_activity(*, mentorship_id: int, when: datetime | None = None) -> None:
    """Other apps (bookings, messages) call this so reminders stop and the quiet flag clears."""
    Mentorship.objects.filter(pk=mentorship_id).update(last_activity_at=when or timezone.now())


def mentorship_send_checkin_reminders(*, now: datetime | None = None) -> int:
    """One gentle e-mail per active mentorship every 14 days, and none while there was recent activity."""
    now = now or timezone.now()
    cutoff = now - CHECKIN_EVERY
    due = (
        Mentorship.objects.filter(status=Mentorship.Status.ACTIVE, created_at__lt=cutoff)
        .filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff))
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=cutoff))
        .select_related("mentor__user", "learner__user")
    )
    sent = []
    for m in due:
        send_templated_mail(
            to=[m.mentor.user.email, m.learner.user.email],
            subject=_("Time for a check-in"),
            template="matching/email/checkin.txt",
            context={"mentorship": m, "url": reverse("matching:mentorship", args=[m.pk])},
        )
        sent.append(m.pk)
    Mentorship.objects.filter(pk__in=sent).update(last_reminded_at=now)
    return len(sent)
