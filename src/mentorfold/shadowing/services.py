"""The verbs of shadowing: publish and cancel slots, book, cancel, check in/out, verify hours, certificates."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.accounts import onboarding
from mentorfold.accounts.models import LearnerProfile, MentorProfile, Role
from mentorfold.core.audit import audit
from mentorfold.core.dates import format_date, format_datetime, format_time
from mentorfold.matching.models import Mentorship
from mentorfold.programs import compliance
from mentorfold.programs.models import Enrollment, Program, Site

from . import selectors
from .models import Booking, BookingMessage, CalendarFeedToken, HoursCertificate, PatientFeedback, Slot
from .notify import booking_notify
from .phi import LABELS, find_identifiers

LATE_CANCEL_HOURS = 24
CHECK_IN_EARLY_MINUTES = 60
MAX_SERIES_WEEKS = 26


def _when(value: datetime) -> str:
    return format_datetime(value)


def _is_coordinator(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.COORDINATOR))


# --- Slots -----------------------------------------------------------------------------------------------


def slot_create(
    *,
    mentor: MentorProfile,
    site: Site,
    program: Program,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int = 1,
    notes: str = "",
    repeat_weekly_until: date | None = None,
    actor: Any,
    now: datetime | None = None,
) -> list[Slot]:
    """Publish one slot, or the same slot every week until ``repeat_weekly_until`` (one series)."""
    now = now or timezone.now()
    if refusal := onboarding.slot_publish_refusal(mentor):
        raise ValidationError(refusal, code="mentor_not_cleared")
    if starts_at <= now:
        raise ValidationError({"starts_at": _("Start: choose a time in the future.")}, code="past")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("End: the end must be after the start.")}, code="order")
    if capacity > site.max_learners_at_once:
        raise ValidationError(
            {
                "capacity": _(
                    "How many learners: %(site)s allows at most %(max)d at once — lower the number."
                )
                % {"site": site.name, "max": site.max_learners_at_once}
            },
            code="site_max",
        )
    starts: list[datetime] = [starts_at]
    if repeat_weekly_until is not None:
        if repeat_weekly_until < timezone.localdate(starts_at):
            raise ValidationError(
                {"repeat_weekly_until": _("Repeat until: choose a date on or after the first slot.")},
                code="repeat_order",
            )
        local_start = timezone.localtime(starts_at)
        for week in range(1, MAX_SERIES_WEEKS + 2):
            day = local_start.date() + timedelta(weeks=week)
            if day > repeat_weekly_until:
                break
            if week > MAX_SERIES_WEEKS:
                raise ValidationError(
                    {"repeat_weekly_until": _("Repeat until: a series can run at most 26 weeks.")},
                    code="too_long",
                )
            starts.append(timezone.make_aware(datetime.combine(day, local_start.time())))
    duration = ends_at - starts_at
    series = uuid.uuid4() if len(starts) > 1 else None
    slots = [
        Slot(
            mentor=mentor,
            site=site,
            program=program,
            starts_at=start,
            ends_at=start + duration,
            capacity=capacity,
            notes=notes,
            series=series,
        )
        for start in starts
    ]
    for slot in slots:
        slot.full_clean()
    if not selectors.mentor_programs(mentor=mentor).filter(pk=program.pk).exists():
        raise ValidationError(
            {
                "program": _(
                    "Program: you have not joined %(program)s. Join one of its terms on the Programs page "
                    "first, or choose a program you mentor in."
                )
                % {"program": program.name}
            },
            code="program_not_joined",
        )
    with transaction.atomic():
        # The mentor's row lock serialises their slot publishing, so two tabs cannot add overlapping slots.
        MentorProfile.objects.select_for_update().filter(pk=mentor.pk).first()
        clashes = _overlapping_slots(mentor=mentor, slots=slots)
        if clashes:
            raise ValidationError({"starts_at": ValidationError(_overlap_message(clashes), code="overlap")})
        created = Slot.objects.bulk_create(slots)
        audit(
            actor=actor,
            action="shadowing.slot_create",
            target=created[0],
            data={"count": len(created), "series": str(series) if series else ""},
        )
    return created


def _overlapping_slots(*, mentor: MentorProfile, slots: list[Slot]) -> list[Slot]:
    """The mentor's open slots that overlap any of ``slots`` (one query for a whole series)."""
    if not slots:
        return []
    window = Slot.objects.filter(
        mentor=mentor,
        status=Slot.Status.OPEN,
        starts_at__lt=max(slot.ends_at for slot in slots),
        ends_at__gt=min(slot.starts_at for slot in slots),
    ).order_by("starts_at")
    return [
        existing
        for existing in window
        if any(existing.starts_at < slot.ends_at and existing.ends_at > slot.starts_at for slot in slots)
    ]


def _overlap_message(clashes: list[Slot]) -> str:
    times = ", ".join(
        _("%(start)s to %(end)s")
        % {"start": format_datetime(clash.starts_at), "end": format_time(clash.ends_at)}
        for clash in clashes[:3]
    )
    more = len(clashes) - 3
    extra = " " + ngettext("(and %(n)d more)", "(and %(n)d more)", more) % {"n": more} if more > 0 else ""
    return ngettext(
        "Start: you already have a slot at that time (%(times)s%(extra)s). Choose another time, or cancel that "
        "slot first.",
        "Start: you already have slots at those times (%(times)s%(extra)s). Choose another time, or cancel "
        "those slots first.",
        len(clashes),
    ) % {"times": times, "extra": extra}


def slots_cancel(*, slots: list[Slot], actor: Any, reason: str, now: datetime | None = None) -> int:
    """Cancel open future slots (and their bookings, telling each learner). Returns slots cancelled."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Reason: tell learners why the slots are cancelled.")}, code="reason"
        )
    count = 0
    for slot in slots:
        if not _is_coordinator(actor) and slot.mentor.user_id != actor.pk:
            raise PermissionDenied
    with transaction.atomic():
        locked_slots = (
            Slot.objects.select_for_update(of=("self",))
            .select_related("mentor__user", "site")
            .filter(pk__in=[slot.pk for slot in slots])
            .order_by("pk")
        )
        for slot in locked_slots:
            if slot.status != Slot.Status.OPEN or slot.starts_at <= now:
                continue
            slot.status = Slot.Status.CANCELLED
            slot.cancel_reason = reason
            slot.save(update_fields=["status", "cancel_reason"])
            bookings = (
                Booking.objects.select_for_update(of=("self",))
                .filter(slot=slot, status=Booking.Status.BOOKED)
                .select_related("learner__user")
            )
            for booking in bookings:
                booking.slot = slot
                _cancel(booking=booking, actor=actor, reason=reason, now=now, late=False)
            count += 1
        if count:
            audit(actor=actor, action="shadowing.slots_cancel", data={"count": count}, reason=reason)
    return count


# --- Booking ---------------------------------------------------------------------------------------------


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _week_bounds(day: date) -> tuple[datetime, datetime]:
    monday = day - timedelta(days=day.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    return start, start + timedelta(days=7)


def booking_eligibility_errors(
    *, learner: LearnerProfile, slot: Slot, now: datetime | None = None
) -> list[ValidationError]:
    """Every reason ``learner`` cannot book ``slot`` (capacity aside), each with its own code and message."""
    now = now or timezone.now()
    day = timezone.localdate(slot.starts_at)
    program = slot.program
    if slot.status != Slot.Status.OPEN:
        return [
            _refuse(_("This slot was cancelled by the mentor. Please choose another time."), "slot_cancelled")
        ]
    if slot.starts_at <= now:
        return [_refuse(_("This slot has already started. Please choose a time in the future."), "slot_past")]
    if Booking.objects.filter(slot=slot, learner=learner, status__in=Booking.ACTIVE).exists():
        return [_refuse(_("You have already booked this slot."), "already_booked")]
    errors: list[ValidationError] = []
    enrollments = Enrollment.objects.filter(
        learner=learner,
        term__program=program,
        status=Enrollment.Status.ACCEPTED,
        term__starts_on__lte=day,
        term__ends_on__gte=day,
    ).values_list("term_id", flat=True)
    term_ids = list(enrollments)
    if not term_ids:
        errors.append(
            _refuse(
                _("You are not enrolled in %(program)s on %(day)s. Apply to the program first.")
                % {"program": program.name, "day": format_date(day)},
                "not_enrolled",
            )
        )
    elif (
        not program.allows_open_booking
        and not Mentorship.objects.filter(
            mentor=slot.mentor,
            learner=learner,
            term_id__in=term_ids,
            status__in=[Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED],
        ).exists()
    ):
        errors.append(
            _refuse(
                _("You can only book slots of your own mentor in %(program)s. Choose one of their slots.")
                % {"program": program.name},
                "not_matched",
            )
        )
    for blocker in compliance.learner_blockers(learner, program=program, site=slot.site, on=day):
        errors.append(_refuse(blocker.message, blocker.code))
    if compliance.mentor_blockers(slot.mentor, program=program, site=slot.site, on=day) or not (
        onboarding.mentor_may_host(slot.mentor, learner=learner, on=day)
    ):
        errors.append(
            _refuse(
                _("This mentor cannot host learners at %(site)s right now. Please choose another slot.")
                % {"site": slot.site.name},
                "mentor_not_cleared",
            )
        )
    mine = Booking.objects.filter(learner=learner, status__in=Booking.ACTIVE).select_related("slot")
    overlap = mine.filter(slot__starts_at__lt=slot.ends_at, slot__ends_at__gt=slot.starts_at).first()
    if overlap is not None:
        errors.append(
            _refuse(
                _("You already have a booking at that time (%(when)s). Cancel it first or pick another time.")
                % {"when": _when(overlap.slot.starts_at)},
                "overlap",
            )
        )
    week_start, week_end = _week_bounds(day)
    in_week = mine.filter(
        slot__program=program, slot__starts_at__gte=week_start, slot__starts_at__lt=week_end
    ).count()
    if in_week + 1 > program.max_bookings_per_week:
        errors.append(
            _refuse(
                ngettext(
                    "%(program)s allows at most %(max)d session a week, and you have %(n)d that week.",
                    "%(program)s allows at most %(max)d sessions a week, and you have %(n)d that week.",
                    program.max_bookings_per_week,
                )
                % {"program": program.name, "max": program.max_bookings_per_week, "n": in_week},
                "weekly_limit",
            )
        )
    used = selectors.planned_minutes(learner=learner, program=program)
    cap = program.max_hours_per_experience * 60
    if used + slot.minutes > cap:
        errors.append(
            _refuse(
                _(
                    "%(program)s allows at most %(max)d hours per experience. You have %(used)s hours booked "
                    "or done, and this slot is %(slot)s hours."
                )
                % {
                    "program": program.name,
                    "max": program.max_hours_per_experience,
                    "used": selectors.hours(used),
                    "slot": selectors.hours(slot.minutes),
                },
                "hours_cap",
            )
        )
    return errors


def booking_create(*, learner: LearnerProfile, slot: Slot, now: datetime | None = None) -> Booking:
    """Book ``slot`` for ``learner`` if they are eligible and a seat is left (safe under concurrent bookings)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock order everywhere: learner, then slot. The learner lock serialises one learner's bookings so the
        # weekly, overlap and hours caps hold when they book two slots at once; the slot lock serialises the
        # seats of one slot (SQLite: IMMEDIATE transactions serialise all writes).
        learner = (
            LearnerProfile.objects.select_for_update(of=("self",)).select_related("user").get(pk=learner.pk)
        )
        slot = (
            Slot.objects.select_for_update(of=("self",))
            .select_related("site", "program", "mentor__user")
            .get(pk=slot.pk)
        )
        errors = booking_eligibility_errors(learner=learner, slot=slot, now=now)
        if errors:
            raise ValidationError(errors)
        taken = Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE).count()
        if taken >= slot.seats:
            raise ValidationError(_("This slot just filled up. Please choose another time."), code="full")
        booking = Booking(slot=slot, learner=learner)
        booking.full_clean()
        booking.save()
        booking_notify(
            booking=booking,
            event="booked",
            text=lambda: (
                _("Shadowing booked: %(learner)s with %(mentor)s, %(when)s")
                % {"learner": learner.user.full_name, "mentor": slot.mentor, "when": _when(slot.starts_at)}
            ),
        )
    return booking


def _locked(booking: Booking) -> Booking:
    """The booking re-read under a row lock (with what the checks and notices need); call inside atomic()."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot__mentor__user", "slot__site", "slot__program", "learner__user")
        .get(pk=booking.pk)
    )


def _refresh(target: Booking, source: Booking) -> Booking:
    """Copy the locked row's fields onto the caller's object, so views see the state that was saved."""
    for field in Booking._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


def _cancel(*, booking: Booking, actor: Any, reason: str, now: datetime, late: bool) -> None:
    """Cancel a booking that the caller has locked and found BOOKED."""
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    booking.cancel_reason = reason
    booking.cancelled_at = now
    booking.is_late_cancellation = late
    booking.save(
        update_fields=["status", "cancelled_by", "cancel_reason", "cancelled_at", "is_late_cancellation"]
    )
    booking_notify(
        booking=booking,
        event="cancelled",
        text=lambda: (
            _("Shadowing cancelled: %(when)s with %(mentor)s. Reason: %(reason)s")
            % {"when": _when(booking.slot.starts_at), "mentor": booking.slot.mentor, "reason": reason}
        ),
    )


def booking_cancel(*, booking: Booking, actor: Any, reason: str, now: datetime | None = None) -> Booking:
    """Either side cancels with a reason; less than a day before the start counts as a late cancellation."""
    now = now or timezone.now()
    is_learner = booking.learner.user_id == actor.pk
    is_mentor = booking.slot.mentor.user_id == actor.pk
    if not (is_learner or is_mentor or _is_coordinator(actor)):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Reason: please say why you are cancelling.")}, code="reason")
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status != Booking.Status.BOOKED:
            raise ValidationError(_("Only a booked session can be cancelled."), code="not_booked")
        if locked.slot.starts_at <= now:
            raise ValidationError(
                _("This session has already started, so it can no longer be cancelled."), code="started"
            )
        late = locked.slot.starts_at - now < timedelta(hours=LATE_CANCEL_HOURS)
        _cancel(booking=locked, actor=actor, reason=reason, now=now, late=late)
        if not is_learner:
            audit(
                actor=actor,
                action="shadowing.booking_cancel",
                target=locked,
                reason=reason,
                data={"late": late},
            )
    return _refresh(booking, locked)


def cancel_future_bookings_on_consent_revoked(
    *, learner: LearnerProfile, program: Program, actor: Any = None, reason: str = "", **_kwargs: Any
) -> int:
    """Handler for programs.hooks: a guardian withdrew consent, so the learner's future bookings end now."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        bookings = (
            Booking.objects.select_for_update(of=("self",))
            .filter(
                learner=learner, slot__program=program, status=Booking.Status.BOOKED, slot__starts_at__gt=now
            )
            .select_related("slot__mentor__user", "learner__user")
        )
        for booking in bookings:
            _cancel(booking=booking, actor=actor, reason=_("Guardian consent withdrawn"), now=now, late=False)
            count += 1
        if count:
            audit(
                actor=actor,
                action="shadowing.bookings_cancel_consent_revoked",
                target=learner,
                data={"count": count, "program": program.pk},
                reason=reason,
            )
    return count


# --- The day of the visit --------------------------------------------------------------------------------


def booking_check_in(*, booking: Booking, actor: Any, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    if booking.learner.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status != Booking.Status.BOOKED or locked.checked_in_at is not None:
            if locked.status == Booking.Status.CANCELLED:
                raise ValidationError(
                    _("This session was cancelled, so there is nothing to check in to."), code="cancelled"
                )
            raise ValidationError(_("You have already checked in to this session."), code="checked_in")
        slot = locked.slot
        if now < slot.starts_at - timedelta(minutes=CHECK_IN_EARLY_MINUTES) or now > slot.ends_at:
            raise ValidationError(
                _("You can check in from one hour before the session starts until it ends."),
                code="check_in_window",
            )
        locked.checked_in_at = now
        locked.save(update_fields=["checked_in_at"])
    return _refresh(booking, locked)


def booking_check_out(*, booking: Booking, actor: Any, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    if booking.learner.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status not in Booking.ACTIVE:
            raise ValidationError(
                _("This session was cancelled, so there is nothing to check out of."), code="cancelled"
            )
        if locked.checked_in_at is None:
            raise ValidationError(_("Check in first, then check out when you leave."), code="not_checked_in")
        if locked.checked_out_at is not None:
            raise ValidationError(_("You have already checked out."), code="checked_out")
        locked.checked_out_at = max(now, locked.checked_in_at)
        locked.save(update_fields=["checked_out_at"])
    return _refresh(booking, locked)


def booking_times_correct(
    *, booking: Booking, actor: Any, checked_in_at: datetime, checked_out_at: datetime, reason: str
) -> Booking:
    """A coordinator corrects the check-in and check-out times (e.g. the learner forgot to press the button)."""
    if not _is_coordinator(actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say why the times are corrected.")}, code="reason")
    if checked_out_at < checked_in_at:
        raise ValidationError(
            {"checked_out_at": _("Checked out: must be after the check-in time.")}, code="order"
        )
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status == Booking.Status.CANCELLED:
            raise ValidationError(
                _("This session was cancelled, so its times cannot be corrected."), code="cancelled"
            )
        before = {"in": str(locked.checked_in_at), "out": str(locked.checked_out_at)}
        locked.checked_in_at, locked.checked_out_at = checked_in_at, checked_out_at
        locked.full_clean()
        locked.save(update_fields=["checked_in_at", "checked_out_at"])
        audit(
            actor=actor,
            action="shadowing.booking_times_correct",
            target=locked,
            data={"before": before},
            reason=reason,
        )
    return _refresh(booking, locked)


def hours_verify(
    *,
    booking: Booking,
    actor: Any,
    minutes: int | None = None,
    reason: str = "",
    patients_consented: int | None = None,
    patients_declined: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """The mentor confirms the hours (as checked in/out, else the slot length) or edits them with a reason."""
    now = now or timezone.now()
    if booking.slot.mentor.user_id != actor.pk and not _is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        # A learner may cancel at the same moment: decide on the locked row, never on the caller's copy.
        locked = _locked(booking)
        if locked.status not in Booking.ACTIVE:
            raise ValidationError(_("Only a booked or completed session can be verified."), code="not_active")
        if locked.slot.starts_at > now:
            raise ValidationError(_("Hours can be verified once the session has started."), code="future")
        suggested = locked.attended_minutes or locked.slot.minutes  # 0 attended minutes: use the slot
        if minutes is None:
            minutes = suggested
        if minutes <= 0:
            raise ValidationError(
                {"minutes": _("Minutes: enter a number above 0, or mark the learner absent.")}, code="minutes"
            )
        if minutes != suggested and not reason.strip():
            raise ValidationError(
                {"reason": _("Reason: you changed the hours, so please say why (for example: left early).")},
                code="reason",
            )
        locked.verified_minutes = minutes
        locked.verified_by = actor
        locked.verified_at = now
        locked.verification_note = reason.strip()
        locked.status = Booking.Status.COMPLETED
        fields = ["verified_minutes", "verified_by", "verified_at", "verification_note", "status"]
        if patients_consented is not None:
            locked.patients_consented = patients_consented
            fields.append("patients_consented")
        if patients_declined is not None:
            locked.patients_declined = patients_declined
            fields.append("patients_declined")
        locked.full_clean()
        locked.save(update_fields=fields)
        audit(
            actor=actor,
            action="shadowing.hours_verify",
            target=locked,
            data={"minutes": minutes, "suggested": suggested},
            reason=reason,
        )
    return _refresh(booking, locked)


def booking_mark_no_show(*, booking: Booking, actor: Any, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    if booking.slot.mentor.user_id != actor.pk and not _is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status != Booking.Status.BOOKED or locked.slot.starts_at > now:
            raise ValidationError(
                _("Only a started session that is still booked can be marked absent."), code="no_show"
            )
        locked.status = Booking.Status.NO_SHOW
        locked.save(update_fields=["status"])
        audit(actor=actor, action="shadowing.booking_no_show", target=locked)
    return _refresh(booking, locked)


def patient_tally_set(*, booking: Booking, actor: Any, consented: int, declined: int) -> Booking:
    """Counts only — how many patients agreed to, or declined, a learner being present."""
    if booking.slot.mentor.user_id != actor.pk and not _is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status not in Booking.ACTIVE:
            raise ValidationError(_("Patient counts belong to a session that took place."), code="not_active")
        locked.patients_consented, locked.patients_declined = consented, declined
        locked.full_clean()
        locked.save(update_fields=["patients_consented", "patients_declined"])
    return _refresh(booking, locked)


# --- Reminders -------------------------------------------------------------------------------------------


def due_reminders(*, now: datetime | None = None) -> list[int]:
    """Ids of booked sessions starting tomorrow (society time) whose reminder was not sent yet."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time.min))
    return list(
        Booking.objects.filter(
            status=Booking.Status.BOOKED,
            slot__starts_at__gte=start,
            slot__starts_at__lt=start + timedelta(days=1),
            slot__status=Slot.Status.OPEN,
        )
        .exclude(sent_messages__kind=BookingMessage.Kind.REMINDER)
        .values_list("pk", flat=True)
    )


def booking_reminder_send(*, booking_id: int, now: datetime | None = None) -> bool:
    """Remind everyone about one booking, at most once ever: the sent-log row is claimed in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("slot__mentor__user", "slot__site", "learner__user")
            .filter(pk=booking_id, status=Booking.Status.BOOKED)
            .first()
        )
        if booking is None:
            return False
        _log, created = BookingMessage.objects.get_or_create(
            booking=booking, kind=BookingMessage.Kind.REMINDER, defaults={"sent_at": now}
        )
        if not created:
            return False
        booking.reminded_at = now
        booking.save(update_fields=["reminded_at"])
        booking_notify(
            booking=booking,
            event="reminder",
            text=lambda: (
                _("Reminder: shadowing tomorrow, %(when)s at %(site)s")
                % {"when": _when(booking.slot.starts_at), "site": booking.slot.site.name}
            ),
        )
    return True


def booking_reminders_send(*, now: datetime | None = None) -> int:
    """E-mail everyone about tomorrow's sessions, once per booking (the sent-log makes a retry harmless)."""
    now = now or timezone.now()
    return sum(booking_reminder_send(booking_id=pk, now=now) for pk in due_reminders(now=now))


# --- Patient feedback ------------------------------------------------------------------------------------


def patient_feedback_submit(
    *, site: Site, mentor: MentorProfile | None, learner_ok: str, enough_time: str, comment: str = ""
) -> PatientFeedback:
    """Store anonymous feedback; a comment that could identify someone is refused and nothing is stored."""
    comment = comment.strip()
    found = find_identifiers(comment)
    if found:
        kinds = ", ".join(str(LABELS[kind]) for kind in found)
        raise ValidationError(
            {
                "comment": _(
                    "Comment: thank you for writing. It looks like it contains %(kinds)s. For your privacy we "
                    "do not keep that, so nothing was saved. Please take it out and send again, or leave the "
                    "comment empty."
                )
                % {"kinds": kinds}
            },
            code="identifier",
        )
    feedback = PatientFeedback(
        site=site, mentor=mentor, q1_learner_ok=learner_ok, q2_enough_time=enough_time, comment=comment
    )
    feedback.full_clean()
    feedback.save()
    return feedback


def patient_feedback_hide(
    *, feedback: PatientFeedback, actor: Any, reason: str, now: datetime | None = None
) -> PatientFeedback:
    """A coordinator hides a comment from mentors' pages (its answers still count); audited with the reason."""
    if not _is_coordinator(actor):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Reason: say why this comment is hidden.")}, code="reason")
    with transaction.atomic():
        locked = PatientFeedback.objects.select_for_update().get(pk=feedback.pk)
        if locked.hidden_at is not None:
            raise ValidationError(_("This comment is already hidden."), code="hidden")
        locked.hidden_at = now or timezone.now()
        locked.hidden_by = actor
        locked.hidden_reason = reason
        locked.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        audit(actor=actor, action="shadowing.patient_feedback_hide", target=locked, reason=reason)
    return locked


# --- Certificates and calendar feeds ---------------------------------------------------------------------


def certificate_issue(*, learner: LearnerProfile, now: datetime | None = None) -> HoursCertificate:
    """Freeze the learner's verified hours into a certificate with a fresh verification code."""
    now = now or timezone.now()
    totals = selectors.verified_totals(learner=learner)
    if not totals["total_minutes"]:
        raise ValidationError(
            _("You have no verified hours yet. Ask your mentor to verify your sessions first."),
            code="no_hours",
        )
    totals["learner_name"] = learner.user.full_name
    with transaction.atomic():
        certificate = HoursCertificate.objects.create(learner=learner, issued_at=now, totals=totals)
    return certificate


def certificate_revoke(
    *, certificate: HoursCertificate, actor: Any, reason: str, now: datetime | None = None
) -> HoursCertificate:
    if not _is_coordinator(actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Reason: say why the certificate is revoked.")}, code="reason")
    with transaction.atomic():
        certificate.revoked_at = now or timezone.now()
        certificate.revoked_reason = reason.strip()
        certificate.revoked_by = actor
        certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        audit(actor=actor, action="shadowing.certificate_revoke", target=certificate, reason=reason)
    return certificate


def feed_token_create(*, user: Any) -> CalendarFeedToken:
    """A new private calendar address; any older one stops working."""
    with transaction.atomic():
        CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        return CalendarFeedToken.objects.create(user=user)


def feed_token_revoke(*, user: Any) -> int:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
