"""The verbs of outcomes: invite people to a survey, save and send answers, remind, record pipeline steps."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile, Role
from mentorfold.core.mail import send_templated_mail
from mentorfold.programs.models import Enrollment, Term

from . import scoring
from .items import DEFAULT_INSTRUMENTS, instruments_for, valid_values
from .models import (
    MAX_REMINDERS,
    InstrumentVersion,
    PipelineStage,
    SurveyInvitation,
    SurveyMessage,
    SurveyResponse,
    SurveySchedule,
)
from .selectors import forget_charts

REMINDER_GAP = timedelta(days=7)


def _is_coordinator(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.has_role(Role.COORDINATOR))


def licensed_wording() -> dict[str, dict[str, str]]:
    return {
        v.key: v.licensed_wording
        for v in InstrumentVersion.objects.filter(is_licensed=True)
        if v.licensed_wording
    }


def survey_instruments(schedule: SurveySchedule) -> list[Any]:
    return instruments_for(schedule.instruments, licensed_wording=licensed_wording())


# --- Schedules and invitations ---------------------------------------------------------------------------


def survey_schedule_term(*, term: Term, actor: Any) -> list[SurveySchedule]:
    """Create the term's standard surveys (idempotent): learners pre/post/6/12 months, mentors start/end."""
    if not _is_coordinator(actor):
        raise PermissionDenied
    dates = {
        SurveySchedule.Kind.LEARNER_PRE: term.starts_on,
        SurveySchedule.Kind.LEARNER_POST: term.ends_on,
        SurveySchedule.Kind.LEARNER_6M: term.ends_on + timedelta(days=182),
        SurveySchedule.Kind.LEARNER_12M: term.ends_on + timedelta(days=365),
        SurveySchedule.Kind.MENTOR_BASELINE: term.starts_on,
        SurveySchedule.Kind.MENTOR_END: term.ends_on,
    }
    made = []
    with transaction.atomic():
        for kind, opens in dates.items():
            schedule, _created = SurveySchedule.objects.get_or_create(
                term=term,
                kind=kind,
                defaults={
                    "opens_on": opens,
                    "due_on": opens + timedelta(days=21),
                    "instruments": DEFAULT_INSTRUMENTS[kind],
                },
            )
            made.append(schedule)
    return made


def survey_people(schedule: SurveySchedule) -> list[Any]:
    """Who this survey asks: the term's accepted learners, or the mentors of its mentorships."""
    if schedule.is_for_mentors:
        from mentorfold.matching.models import Mentorship

        mentorships = Mentorship.objects.filter(term=schedule.term).select_related("mentor__user")
        return list({m.mentor.user_id: m.mentor.user for m in mentorships}.values())
    enrollments = Enrollment.objects.filter(term=schedule.term, status=Enrollment.Status.ACCEPTED)
    return [e.learner.user for e in enrollments.select_related("learner__user")]


def survey_invite(
    *,
    schedule: SurveySchedule,
    users: list[Any] | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> list[SurveyInvitation]:
    """Give each person one personal link (never a second one) and e-mail it once, after commit."""
    if actor is not None and not _is_coordinator(actor):
        raise PermissionDenied
    now = now or timezone.now()
    users = survey_people(schedule) if users is None else users
    with transaction.atomic():
        existing = set(schedule.invitations.values_list("user_id", flat=True))
        new = [
            SurveyInvitation(schedule=schedule, user=u, due_on=schedule.due_on, created_at=now)
            for u in users
            if u.pk not in existing
        ]
        SurveyInvitation.objects.bulk_create(new, ignore_conflicts=True)
        ids = list(
            schedule.invitations.filter(user_id__in=[u.pk for u in users], completed_at__isnull=True)
            .exclude(messages__kind=SurveyMessage.Kind.INVITE)
            .values_list("pk", flat=True)
        )
        if ids:
            transaction.on_commit(lambda: _enqueue_mail(ids, SurveyMessage.Kind.INVITE))
    return list(schedule.invitations.filter(user_id__in=[u.pk for u in users]))


INVITE_BATCH = 500


def survey_schedule_and_invite(*, term: Term, actor: Any, today: date | None = None) -> int:
    """Create the term's surveys and invite people to those already open; start-of-term goes out on acceptance,
    so learners accepted before the surveys existed get theirs now. Returns the number of links in use."""
    today = today or timezone.localdate()
    invited = 0
    for schedule in survey_schedule_term(term=term, actor=actor):
        if schedule.opens_on <= today or schedule.kind == SurveySchedule.Kind.LEARNER_PRE:
            invited += len(survey_invite(schedule=schedule, actor=actor))
    return invited


def survey_invite_on_acceptance(*, enrollment: Enrollment, **_kwargs: Any) -> None:
    """Hook of ``programs``: once the acceptance commits, queue the learner's start-of-term survey link."""
    enrollment_id = enrollment.pk

    def enqueue() -> None:
        from .tasks import invite_accepted_learner

        invite_accepted_learner.enqueue(enrollment_id=enrollment_id)

    transaction.on_commit(enqueue)


def survey_invite_accepted(*, enrollment_id: int) -> int:
    """Invite an accepted learner to the term's start-of-term survey; nothing if not accepted or no survey."""
    enrollment = (
        Enrollment.objects.select_related("learner__user")
        .filter(pk=enrollment_id, status=Enrollment.Status.ACCEPTED)
        .first()
    )
    if enrollment is None:
        return 0
    schedule = SurveySchedule.objects.filter(
        term_id=enrollment.term_id, kind=SurveySchedule.Kind.LEARNER_PRE
    ).first()
    if schedule is None:
        return 0
    return len(survey_invite(schedule=schedule, users=[enrollment.learner.user]))


def due_schedules(*, today: date) -> list[SurveySchedule]:
    """Surveys open today and not yet past their answer-by date."""
    return list(SurveySchedule.objects.filter(opens_on__lte=today, due_on__gte=today).order_by("opens_on"))


def surveys_due_send(*, today: date | None = None, batch: int = INVITE_BATCH) -> int:
    """Daily: invite everyone an open survey asks who has no link yet, in batches (each mail once, after commit).

    Post-term, 6- and 12-month follow-ups and the mentors' surveys go out on their opening day this way; a
    missed day is caught up the next, and a rerun finds nobody new. Returns the number of new invitations."""
    today = today or timezone.localdate()
    created = 0
    for schedule in due_schedules(today=today):
        invited = set(schedule.invitations.values_list("user_id", flat=True))
        people = [u for u in survey_people(schedule) if u.pk not in invited]
        for start in range(0, len(people), batch):
            chunk = people[start : start + batch]
            with transaction.atomic():
                before = schedule.invitations.filter(user_id__in=[u.pk for u in chunk]).count()
                after = len(survey_invite(schedule=schedule, users=chunk))
            created += after - before
    return created


def _enqueue_mail(invitation_ids: list[int], kind: str) -> None:
    from .tasks import send_survey_mail

    send_survey_mail.enqueue(invitation_ids=invitation_ids, kind=kind)


def survey_mail_send(*, invitation_id: int, kind: str, now: datetime | None = None) -> bool:
    """Send one invitation or reminder e-mail at most once ever: the sent-log row is claimed first."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("user", "schedule__term__program")
            .filter(pk=invitation_id, completed_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        _log, created = SurveyMessage.objects.get_or_create(
            invitation=invitation, kind=kind, defaults={"sent_at": now}
        )
        if not created:
            return False
        user = invitation.user
        context = {
            "name": user.get_short_name(),
            "survey": invitation.schedule.get_kind_display(),
            "program": invitation.schedule.term.program.name,
            "due_on": invitation.due_on,
            "path": reverse("outcomes:survey", kwargs={"token": invitation.token}),
            "is_reminder": kind != SurveyMessage.Kind.INVITE,
        }
        subject = _("A short survey about %(program)s") % {"program": context["program"]}
        transaction.on_commit(
            lambda: send_templated_mail(
                to=[user.email], subject=subject, template="outcomes/email/survey.txt", context=context
            )
        )
    return True


def survey_reminder_send(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Remind one person if a reminder is due; never more than ``MAX_REMINDERS``, never twice for one step."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update()
            .filter(pk=invitation_id, completed_at__isnull=True, reminders_sent__lt=MAX_REMINDERS)
            .first()
        )
        if invitation is None:
            return False
        step = invitation.reminders_sent + 1
        claimed = SurveyInvitation.objects.filter(
            pk=invitation.pk, reminders_sent=invitation.reminders_sent
        ).update(reminders_sent=step, last_reminded_at=now)
        if not claimed:
            return False
        return survey_mail_send(invitation_id=invitation.pk, kind=f"reminder_{step}", now=now)


def due_reminders(*, now: datetime) -> list[int]:
    """Open, unfinished invitations whose last contact was a week ago or more, under the reminder cap."""
    today = timezone.localdate(now)
    cutoff = now - REMINDER_GAP
    qs = SurveyInvitation.objects.filter(
        completed_at__isnull=True,
        reminders_sent__lt=MAX_REMINDERS,
        schedule__opens_on__lte=today,
        due_on__gte=today - timedelta(days=14),
        created_at__lte=cutoff,
    ).exclude(last_reminded_at__gt=cutoff)
    return list(qs.values_list("pk", flat=True))


def survey_reminders_send(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(survey_reminder_send(invitation_id=pk, now=now) for pk in due_reminders(now=now))


# --- Answers ---------------------------------------------------------------------------------------------


def _clean_answers(schedule: SurveySchedule, answers: dict[str, Any]) -> dict[str, int]:
    allowed = valid_values(survey_instruments(schedule))
    cleaned: dict[str, int] = {}
    for key, value in answers.items():
        if value in (None, ""):
            continue
        if key not in allowed:
            raise ValidationError(_("Question %(key)s is not part of this survey.") % {"key": key})
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number not in allowed[key]:
            raise ValidationError(_("Question %(key)s: pick one of the answers shown.") % {"key": key})
        cleaned[key] = number
    return cleaned


def survey_save_answers(
    *, invitation: SurveyInvitation, answers: dict[str, Any], now: datetime | None = None
) -> SurveyResponse:
    """Keep what the person has answered so far (any subset); they can come back and go on later."""
    now = now or timezone.now()
    cleaned = _clean_answers(invitation.schedule, answers)
    with transaction.atomic():
        locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.completed_at is not None:
            raise ValidationError(
                _("You already sent this survey, so it can no longer be changed. Thank you!")
            )
        response, _created = SurveyResponse.objects.select_for_update().get_or_create(
            invitation=locked, defaults={"started_at": now, "updated_at": now}
        )
        response.answers = {**response.answers, **cleaned}
        response.updated_at = now
        response.save(update_fields=["answers", "updated_at"])
    return response


def survey_complete(
    *, invitation: SurveyInvitation, answers: dict[str, Any] | None = None, now: datetime | None = None
) -> SurveyResponse:
    """Save the last answers, score them and lock the survey (skipped questions stay missing)."""
    now = now or timezone.now()
    response = survey_save_answers(invitation=invitation, answers=answers or {}, now=now)
    with transaction.atomic():
        claimed = SurveyInvitation.objects.filter(pk=invitation.pk, completed_at__isnull=True).update(
            completed_at=now
        )
        if not claimed:
            raise ValidationError(_("You already sent this survey. Thank you!"))
        response.scores = scoring.scores_for(response.answers)
        for key, value in SurveyResponse.score_columns(response.scores).items():
            setattr(response, key, value)
        response.save(update_fields=["scores", *SurveyResponse.SCORE_COLUMNS])
        transaction.on_commit(forget_charts)
    invitation.completed_at = now
    return response


# --- Instruments -----------------------------------------------------------------------------------------


def instrument_wording_paste(
    *, instrument: InstrumentVersion, wording: dict[str, str], actor: Any, now: datetime | None = None
) -> InstrumentVersion:
    """A coordinator pastes the society's licensed wording so the licensed items can be asked."""
    if not _is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = InstrumentVersion.objects.select_for_update().get(pk=instrument.pk)
        locked.licensed_wording = {k: v.strip() for k, v in wording.items() if v and v.strip()}
        locked.wording_pasted_at = now or timezone.now()
        locked.wording_pasted_by = actor
        locked.save(update_fields=["licensed_wording", "wording_pasted_at", "wording_pasted_by"])
    return locked


# --- Pipeline --------------------------------------------------------------------------------------------


def pipeline_stage_record(
    *,
    learner: LearnerProfile,
    stage: str,
    reached_on: date,
    actor: Any,
    source: str = PipelineStage.Source.LEARNER,
    today: date | None = None,
) -> PipelineStage:
    """Record where a learner is now: by the learner themselves, or a coordinator's import."""
    today = today or timezone.localdate()
    if source == PipelineStage.Source.LEARNER and actor.pk != learner.user_id:
        raise PermissionDenied
    if source == PipelineStage.Source.IMPORT and not _is_coordinator(actor):
        raise PermissionDenied
    if reached_on > today:
        raise ValidationError(
            {"reached_on": _("Since when: this date is in the future. Use today or earlier.")}
        )
    with transaction.atomic():
        LearnerProfile.objects.select_for_update().filter(pk=learner.pk).first()
        entry, _created = PipelineStage.objects.get_or_create(
            learner=learner,
            stage=stage,
            reached_on=reached_on,
            defaults={"source": source, "recorded_by": actor},
        )
        entry.full_clean()
    return entry


# --- Mentor recognition ----------------------------------------------------------------------------------


def recognition_statement_issue(*, mentor: Any, year: int, actor: Any, today: date | None = None) -> Any:
    """The mentor's statement for ``year`` (their own, or a coordinator's doing); a past year is issued once."""
    from django.db.models import Count, Sum

    from mentorfold.matching.models import Mentorship
    from mentorfold.shadowing.models import Booking

    from .models import RecognitionStatement

    today = today or timezone.localdate()
    if actor.pk != mentor.user_id and not _is_coordinator(actor):
        raise PermissionDenied
    if not 2000 <= year <= today.year:
        raise ValidationError(_("Year: choose a year from 2000 to this year."))
    with transaction.atomic():
        existing = RecognitionStatement.objects.select_for_update().filter(mentor=mentor, year=year).first()
        if existing is not None and year < today.year:
            return existing
        done = Booking.objects.filter(
            slot__mentor=mentor, verified_at__isnull=False, slot__starts_at__year=year
        )
        agg = done.aggregate(
            minutes=Sum("verified_minutes"), sessions=Count("pk"), learners=Count("learner", distinct=True)
        )
        totals = {
            "mentor_name": mentor.user.full_name,
            "specialty": mentor.specialty,
            "hours": round((agg["minutes"] or 0) / 60, 1),
            "sessions": agg["sessions"] or 0,
            "learners": agg["learners"] or 0,
            "mentorships": Mentorship.objects.filter(mentor=mentor, term__starts_on__year=year).count(),
        }
        if existing is None:
            return RecognitionStatement.objects.create(mentor=mentor, year=year, totals=totals)
        existing.totals = totals
        existing.issued_at = timezone.now()
        existing.save(update_fields=["totals", "issued_at"])
        return existing
