"""Write paths of matching: rankings, mentors' answers, match runs, publication, placements, mentorships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.notices import notices_send
from mentorfold.core.tracking import task_run_start
from mentorfold.engine import ENGINE_VERSION
from mentorfold.programs.models import Enrollment, MentorTermOptIn, Term

from . import selectors
from .models import MatchRun, MatchSettings, MentorDecision, Mentorship, Preference
from .publication import (
    match_run_publish_claim,
    match_run_publish_notify,
    match_run_publish_write,
)
from .running import match_run_execute, match_run_fail
from .snapshot import settings_for
from .tasks import execute_match_run, publish_match_run

__all__ = ["match_run_execute", "match_run_fail", "settings_for"]
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
            # term, learner and mentors were checked above; validating each FK again costs a query per row
            row.full_clean(
                exclude=["term", "learner", "mentor"], validate_unique=False, validate_constraints=False
            )
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


# --------------------------------------------------------------------------------------------- publication


def match_run_publish_start(*, match_run: MatchRun, user: Any) -> MatchRun:
    """Claim the run and queue its publication as a background task (no e-mail is sent in the request).

    A run left "publishing" by a task that failed or whose worker died can be started again: writing the
    mentorships and the sent-log make the retry create nothing twice and mail nobody twice.
    """
    with transaction.atomic():
        if match_run.status in {MatchRun.Status.PUBLISHING, MatchRun.Status.PUBLISHED}:
            _require_failed_publication(match_run)
        else:
            match_run_publish_claim(match_run=match_run, user=user)
        task_run = task_run_start(
            task=publish_match_run,
            kind="matching.publish",
            label=_("Publishing match run #%(n)d for %(term)s") % {"n": match_run.pk, "term": match_run.term},
            user=user,
            match_run_id=match_run.pk,
            user_id=user.pk if user and user.pk else None,
        )
        MatchRun.objects.filter(pk=match_run.pk).update(publish_task_run_id=task_run.pk)
        match_run.publish_task_run_id = task_run.pk
        audit(actor=user, action="matching.run_publish_start", target=match_run)
    return match_run


def publication_can_retry(run: MatchRun) -> bool:
    """True when the run's publication (or its mail task) failed, so publishing again may finish it."""
    from mentorfold.core.models import TaskRun

    task_ids = [p for p in (run.publish_task_run_id, run.mail_task_run_id) if p]
    failed = {
        str(pk)
        for pk in TaskRun.objects.filter(pk__in=task_ids, status=TaskRun.Status.FAILED).values_list(
            "pk", flat=True
        )
    }
    if run.status == MatchRun.Status.PUBLISHING:
        return not run.publish_task_run_id or str(run.publish_task_run_id) in failed
    # Published, but the task stopped before everyone was told (its worker died while queueing), or mailing
    # stopped: publishing again writes nothing and tells only the people not yet told.
    return run.status == MatchRun.Status.PUBLISHED and bool(failed)


def _require_failed_publication(match_run: MatchRun) -> None:
    locked = MatchRun.objects.select_for_update().defer("inputs", "result").get(pk=match_run.pk)
    if not publication_can_retry(locked):
        raise ValidationError(_("This run is already being published. Wait for it to finish."))


def match_run_publish(*, match_run: MatchRun, user: Any, now: datetime | None = None) -> int:
    """Publish in the calling process (demo data, management commands); pages use the background task."""
    match_run_publish_claim(match_run=match_run, user=user)
    created = match_run_publish_write(match_run_id=match_run.pk, user=user, now=now)
    match_run_publish_notify(match_run_id=match_run.pk)
    return created


def _announce(*, mentorship_id: int, decline_days: int) -> None:
    """E-mail and notify both sides of one new mentorship (called after the commit)."""
    mentorship = Mentorship.objects.select_related("mentor__user", "learner__user", "term__program").get(
        pk=mentorship_id
    )
    url = reverse("matching:mentorship", args=[mentorship.pk])
    context = {"mentorship": mentorship, "url": url, "decline_days": decline_days}
    learner, mentor = mentorship.learner.user, mentorship.mentor.user
    notices_send(
        users=[learner], text=_("You are matched with %(mentor)s.") % {"mentor": mentorship.mentor}, url=url
    )
    notices_send(
        users=[mentor], text=_("%(learner)s is your new mentee.") % {"learner": learner.full_name}, url=url
    )
    send_templated_mail(
        to=[learner.email],
        subject=lambda: _("You have a mentor"),
        template="matching/email/matched_learner.txt",
        context={**context, "user": learner},
    )
    send_templated_mail(
        to=[mentor.email],
        subject=lambda: ngettext("You have a new mentee", "You have new mentees", 1),
        template="matching/email/matched_mentor.txt",
        context={**context, "user": mentor},
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
        decline_days = settings_for(term).decline_days
        transaction.on_commit(lambda: _announce(mentorship_id=mentorship.pk, decline_days=decline_days))
    return mentorship


def decline_deadline(mentorship: Mentorship) -> datetime:
    return mentorship.created_at + timedelta(days=settings_for(mentorship.term).decline_days)


def mentorship_decline(
    *, mentorship: Mentorship, user: Any, reason: str, now: datetime | None = None
) -> Mentorship:
    """The mentor declines a new match within the term's window; the seat opens again.

    The row is locked and its status read again, so a decline racing a status change (or a second decline)
    never overwrites it.
    """
    now = now or timezone.now()
    if mentorship.mentor.user_id != user.pk:
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Reason: tell the coordinator briefly why (it is not shown to the learner).")}
        )
    with transaction.atomic():
        locked = Mentorship.objects.select_for_update().select_related("term").get(pk=mentorship.pk)
        if locked.status != Mentorship.Status.ACTIVE or now > decline_deadline(locked):
            raise ValidationError(
                _("The time to decline this match has passed. Please contact the coordinator.")
            )
        locked.status = Mentorship.Status.DECLINED
        locked.end_reason = reason
        locked.ended_at = now
        locked.save(update_fields=["status", "end_reason", "ended_at"])
        audit(actor=user, action="matching.mentorship_decline", target=locked, reason=reason)
        transaction.on_commit(lambda: _tell_learner_of_decline(mentorship_id=locked.pk))
    for name in ("status", "end_reason", "ended_at"):
        setattr(mentorship, name, getattr(locked, name))
    return mentorship


def _tell_learner_of_decline(*, mentorship_id: int) -> None:
    mentorship = Mentorship.objects.select_related("learner__user", "term__program").get(pk=mentorship_id)
    notices_send(
        users=[mentorship.learner.user],
        text=_("Your mentor match changed. A coordinator will place you with another mentor soon."),
        url=reverse("matching:home"),
    )
    send_templated_mail(
        to=[mentorship.learner.user.email],
        subject=lambda: _("Your mentor match changed"),
        template="matching/email/declined_learner.txt",
        context={"mentorship": mentorship},
    )


def mentorship_update(
    *,
    mentorship: Mentorship,
    user: Any,
    status: str | None = None,
    reason: str = "",
    goals: str | None = None,
    now: datetime | None = None,
) -> Mentorship:
    """Record goals, pause, complete or end early (with a reason); counts as activity.

    Reads the row under a lock and writes only the fields it changes, so a goal edit never undoes a
    status change made at the same time.
    """
    now = now or timezone.now()
    is_coord = user.has_role("coordinator")
    is_mentor = mentorship.mentor.user_id == user.pk
    is_learner = mentorship.learner.user_id == user.pk
    if not (is_coord or is_mentor or is_learner):
        raise PermissionDenied
    with transaction.atomic():
        locked = Mentorship.objects.select_for_update().get(pk=mentorship.pk)
        changed = ["last_activity_at"]
        if status is not None and status != locked.status:
            if not (is_coord or is_mentor):
                raise PermissionDenied
            allowed = {
                Mentorship.Status.ACTIVE,
                Mentorship.Status.PAUSED,
                Mentorship.Status.COMPLETED,
                Mentorship.Status.ENDED_EARLY,
            }
            if status not in allowed or not locked.is_current:
                raise ValidationError({"status": _("Status: this change is not possible.")})
            if status == Mentorship.Status.ENDED_EARLY and not reason.strip():
                raise ValidationError({"reason": _("Reason: say why the mentorship ended early.")})
            locked.status = status
            changed.append("status")
            if status in {Mentorship.Status.COMPLETED, Mentorship.Status.ENDED_EARLY}:
                locked.ended_at = now
                locked.end_reason = reason.strip()
                changed += ["ended_at", "end_reason"]
        if goals is not None:
            locked.goals = goals.strip()
            changed.append("goals")
        locked.last_activity_at = now
        locked.full_clean(exclude=["mentor", "learner", "term", "site", "match_run", "created_by"])
        locked.save(update_fields=changed)
        audit(
            actor=user,
            action="matching.mentorship_update",
            target=locked,
            reason=reason,
            data={"status": locked.status},
        )
    for name in ("status", "ended_at", "end_reason", "goals", "last_activity_at"):
        setattr(mentorship, name, getattr(locked, name))
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
            subject=lambda: _("Time for a check-in"),
            template="matching/email/checkin.txt",
            context={"mentorship": m, "url": reverse("matching:mentorship", args=[m.pk])},
        )
        sent.append(m.pk)
    Mentorship.objects.filter(pk__in=sent).update(last_reminded_at=now)
    return len(sent)
