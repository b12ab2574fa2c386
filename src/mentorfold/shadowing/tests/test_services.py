from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mentorfold.accounts.tests.factories import LearnerProfileFactory
from mentorfold.core.models import AuditEvent, Notice
from mentorfold.programs import hooks
from mentorfold.programs.models import Requirement
from mentorfold.shadowing import selectors, services
from mentorfold.shadowing.models import Booking, Slot

from .conftest import enroll_and_match
from .factories import BookingFactory, RequirementFactory, RequirementRecordFactory

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


def refuse(learner: Any, slot: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        services.booking_create(learner=learner, slot=slot)
    assert not Booking.objects.filter(slot=slot, learner=learner, status="booked").exists()
    return info.value


# --- Booking: the happy path and each refusal with its own message ---------------------------------------


def test_an_enrolled_matched_learner_books_a_slot_and_everyone_is_told(
    ready: Any, make_slot: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    slot = make_slot()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(learner=ready, slot=slot)
    assert booking.status == Booking.Status.BOOKED
    assert sorted(m.to for m in mailoutbox) == sorted([[slot.mentor.user.email], [ready.user.email]])
    assert Notice.objects.filter(user=ready.user).count() == 1
    assert Notice.objects.filter(user=slot.mentor.user).count() == 1


def test_a_minors_guardian_is_copied_on_the_booking_email(
    term: Any,
    site: Any,
    mentor: Any,
    minor_learner: Any,
    guardian: Any,
    make_slot: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(learner=minor_learner, slot=make_slot())
    assert [guardian.email] in [m.to for m in mailoutbox]
    assert Notice.objects.filter(user=guardian).exists()


def test_a_minors_booking_mails_each_person_separately_and_the_mentor_never_sees_their_addresses(
    term: Any,
    site: Any,
    mentor: Any,
    minor_learner: Any,
    guardian: Any,
    make_slot: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(learner=minor_learner, slot=make_slot())
    assert len(mailoutbox) == 3
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)
    (to_mentor,) = [m for m in mailoutbox if m.to == [mentor.user.email]]
    headers = str(to_mentor.message())
    assert minor_learner.user.email not in headers
    assert guardian.email not in headers


def test_notices_wait_for_the_commit(
    ready: Any, make_slot: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.booking_create(learner=ready, slot=make_slot())
    assert Notice.objects.count() == 0
    for callback in callbacks:
        callback()
    assert Notice.objects.filter(user=ready.user).count() == 1


def test_it_refuses_a_full_slot_with_a_clear_message(
    ready: Any, make_slot: Any, other_learner: Any, term: Any, mentor: Any
) -> None:
    slot = make_slot(capacity=1)
    enroll_and_match(learner=other_learner, mentor=mentor, term=term)
    services.booking_create(learner=other_learner, slot=slot)
    error = refuse(ready, slot)
    assert codes(error) == {"full"}
    assert "This slot just filled up" in error.messages[0]


def test_the_site_maximum_caps_a_slot_with_a_larger_capacity(
    ready: Any, make_slot: Any, site: Any, term: Any, mentor: Any
) -> None:
    site.max_learners_at_once = 1
    site.save()
    slot = make_slot(capacity=3)
    first = LearnerProfileFactory()
    enroll_and_match(learner=first, mentor=mentor, term=term)
    services.booking_create(learner=first, slot=slot)
    assert codes(refuse(ready, slot)) == {"full"}


def test_it_rejects_booking_without_guardian_consent(
    term: Any, mentor: Any, make_slot: Any, program: Any, minor_learner: Any
) -> None:
    RequirementFactory(
        program=program,
        name="Parent or guardian consent",
        kind=Requirement.Kind.GUARDIAN_CONSENT,
        minors_only=True,
    )
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    error = refuse(minor_learner, make_slot())
    assert codes(error) == {"missing"}
    assert "Parent or guardian consent: not done yet." in error.messages


def test_it_rejects_a_minor_without_a_verified_guardian(term: Any, mentor: Any, make_slot: Any) -> None:
    minor = LearnerProfileFactory(age=16, stage="high_school")
    enroll_and_match(learner=minor, mentor=mentor, term=term)
    error = refuse(minor, make_slot())
    assert "no_guardian" in codes(error)
    assert any("parent or guardian needs to join" in m for m in error.messages)


def test_it_rejects_expired_compliance_naming_the_date(ready: Any, make_slot: Any, program: Any) -> None:
    requirement = RequirementFactory(
        program=program, name="Immunization record", kind=Requirement.Kind.IMMUNIZATION
    )
    RequirementRecordFactory(
        requirement=requirement, person=ready.user, expires_on=timezone.localdate() - timedelta(days=1)
    )
    error = refuse(ready, make_slot())
    assert codes(error) == {"expired"}
    assert "immunization record expired on" in error.messages[0]


def test_it_rejects_a_learner_under_the_site_minimum_age(ready: Any, make_slot: Any, site: Any) -> None:
    site.min_age = 21
    site.save()
    error = refuse(ready, make_slot())
    assert codes(error) == {"too_young"}
    assert "at least 21 to shadow at Harbor Family Clinic" in error.messages[0]


def test_it_rejects_a_booking_over_the_programs_hour_cap(ready: Any, make_slot: Any, program: Any) -> None:
    program.max_hours_per_experience = 6
    program.save()
    services.booking_create(learner=ready, slot=make_slot(days=2, hours=4))
    error = refuse(ready, make_slot(days=3, hours=4))
    assert codes(error) == {"hours_cap"}
    assert "at most 6 hours per experience" in error.messages[0]


def test_verified_hours_not_slot_length_count_toward_the_cap(
    ready: Any, make_slot: Any, program: Any
) -> None:
    program.max_hours_per_experience = 6
    program.save()
    past = make_slot(days=-1, hours=4)
    booking = BookingFactory(slot=past, learner=ready)
    services.hours_verify(booking=booking, actor=past.mentor.user, minutes=60, reason="Left after an hour")
    assert selectors.planned_minutes(learner=ready, program=program) == 60
    services.booking_create(learner=ready, slot=make_slot(days=3, hours=4))


def test_it_rejects_an_overlapping_booking(
    ready: Any, make_slot: Any, other_mentor: Any, program: Any, site: Any
) -> None:
    program.allows_open_booking = True
    program.save()
    first = make_slot(days=2, hours=4)
    services.booking_create(learner=ready, slot=first)
    clash = make_slot(mentor=other_mentor, starts_at=first.starts_at + timedelta(hours=2))
    error = refuse(ready, clash)
    assert codes(error) == {"overlap"}
    assert "already have a booking at that time" in error.messages[0]


def test_it_rejects_more_bookings_a_week_than_the_program_allows(
    ready: Any, make_slot: Any, program: Any
) -> None:
    program.max_bookings_per_week = 1
    program.save()
    monday = timezone.localdate() + timedelta(days=14 - timezone.localdate().weekday())
    start = timezone.make_aware(timezone.datetime.combine(monday, timezone.datetime.min.time())) + timedelta(
        hours=8
    )
    services.booking_create(learner=ready, slot=make_slot(starts_at=start))
    error = refuse(ready, make_slot(starts_at=start + timedelta(days=2)))
    assert codes(error) == {"weekly_limit"}


def test_it_rejects_a_learner_not_enrolled(learner: Any, make_slot: Any) -> None:
    assert codes(refuse(learner, make_slot())) == {"not_enrolled"}


def test_it_rejects_a_learner_matched_to_another_mentor_unless_booking_is_open(
    ready: Any, make_slot: Any, other_mentor: Any, program: Any
) -> None:
    slot = make_slot(mentor=other_mentor)
    assert codes(refuse(ready, slot)) == {"not_matched"}
    program.allows_open_booking = True
    program.save()
    slot.refresh_from_db()
    services.booking_create(learner=ready, slot=slot)


def test_it_rejects_a_slot_whose_mentor_is_not_cleared(
    ready: Any, make_slot: Any, program: Any, mentor: Any
) -> None:
    RequirementFactory(
        program=program, name="Background check", kind=Requirement.Kind.BACKGROUND_CHECK, applies_to="mentor"
    )
    assert codes(refuse(ready, make_slot())) == {"mentor_not_cleared"}


def test_it_rejects_cancelled_and_past_slots_and_booking_twice(ready: Any, make_slot: Any) -> None:
    cancelled = make_slot(status=Slot.Status.CANCELLED)
    assert codes(refuse(ready, cancelled)) == {"slot_cancelled"}
    assert codes(refuse(ready, make_slot(days=-1))) == {"slot_past"}
    slot = make_slot(capacity=2)
    services.booking_create(learner=ready, slot=slot)
    with pytest.raises(ValidationError) as info:
        services.booking_create(learner=ready, slot=slot)
    assert codes(info.value) == {"already_booked"}


# --- Cancelling ------------------------------------------------------------------------------------------


def test_a_learner_cancelling_less_than_a_day_ahead_counts_as_late(
    ready: Any, make_slot: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    booking = services.booking_create(learner=ready, slot=make_slot(days=0.5))
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, actor=ready.user, reason="I am sick")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.is_late_cancellation
    assert booking.cancel_reason == "I am sick"
    assert "I am sick" in mailoutbox[-1].body


def test_cancelling_well_ahead_is_not_late_and_frees_the_seat(
    ready: Any, make_slot: Any, other_learner: Any, term: Any, mentor: Any
) -> None:
    slot = make_slot(days=5)
    booking = services.booking_create(learner=ready, slot=slot)
    services.booking_cancel(booking=booking, actor=mentor.user, reason="Clinic closed for training")
    booking.refresh_from_db()
    assert not booking.is_late_cancellation
    assert AuditEvent.objects.filter(action="shadowing.booking_cancel").exists()
    enroll_and_match(learner=other_learner, mentor=mentor, term=term)
    services.booking_create(learner=other_learner, slot=slot)


def test_cancelling_needs_a_reason_and_a_party_to_the_booking(
    ready: Any, make_slot: Any, other_mentor: Any
) -> None:
    booking = services.booking_create(learner=ready, slot=make_slot())
    with pytest.raises(ValidationError):
        services.booking_cancel(booking=booking, actor=ready.user, reason="  ")
    with pytest.raises(PermissionDenied):
        services.booking_cancel(booking=booking, actor=other_mentor.user, reason="Not mine")


def test_bulk_cancelling_slots_cancels_their_bookings(ready: Any, make_slot: Any, mentor: Any) -> None:
    first, second = make_slot(days=2), make_slot(days=4)
    booking = services.booking_create(learner=ready, slot=first)
    assert services.slots_cancel(slots=[first, second], actor=mentor.user, reason="Conference week") == 2
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancel_reason == "Conference week"
    assert Slot.objects.filter(status=Slot.Status.CANCELLED).count() == 2


def test_another_mentor_cannot_cancel_my_slots(make_slot: Any, other_mentor: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.slots_cancel(slots=[make_slot()], actor=other_mentor.user, reason="No")


def test_guardian_consent_revocation_cancels_future_bookings_in_that_program(
    term: Any, mentor: Any, minor_learner: Any, guardian: Any, make_slot: Any, program: Any
) -> None:
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    future = services.booking_create(learner=minor_learner, slot=make_slot(days=3))
    past = BookingFactory(slot=make_slot(days=-3), learner=minor_learner)
    cancelled = hooks.notify_consent_revoked(
        learner=minor_learner, program=program, actor=guardian, reason="Changed my mind"
    )
    assert cancelled == 1
    future.refresh_from_db()
    past.refresh_from_db()
    assert future.status == Booking.Status.CANCELLED and future.cancel_reason == "Guardian consent withdrawn"
    assert past.status == Booking.Status.BOOKED


# --- Slots -----------------------------------------------------------------------------------------------


def test_a_weekly_series_creates_one_slot_per_week(mentor: Any, site: Any, program: Any, joined: Any) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    slots = services.slot_create(
        mentor=mentor,
        site=site,
        program=program,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        repeat_weekly_until=timezone.localdate(start) + timedelta(weeks=3),
        actor=mentor.user,
    )
    assert len(slots) == 4
    assert len({s.series for s in slots}) == 1 and slots[0].series is not None
    assert all(s.minutes == 180 for s in slots)


def test_a_slot_may_not_ask_for_more_learners_than_the_site_allows(
    mentor: Any, site: Any, program: Any
) -> None:
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        services.slot_create(
            mentor=mentor,
            site=site,
            program=program,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=5,
            actor=mentor.user,
        )
    assert "allows at most 2" in str(info.value)


# --- Day of the visit and verification -------------------------------------------------------------------


def test_check_in_check_out_then_the_mentor_verifies_the_attended_minutes(
    ready: Any, make_slot: Any, mentor: Any
) -> None:
    slot = make_slot(days=1)
    booking = services.booking_create(learner=ready, slot=slot)
    services.booking_check_in(booking=booking, actor=ready.user, now=slot.starts_at)
    services.booking_check_out(booking=booking, actor=ready.user, now=slot.starts_at + timedelta(minutes=150))
    services.hours_verify(
        booking=booking, actor=mentor.user, now=slot.ends_at, patients_consented=7, patients_declined=1
    )
    booking.refresh_from_db()
    assert booking.verified_minutes == 150 and booking.status == Booking.Status.COMPLETED
    assert (booking.patients_consented, booking.patients_declined) == (7, 1)


def test_check_in_is_refused_outside_the_session_window(ready: Any, make_slot: Any) -> None:
    slot = make_slot(days=2)
    booking = services.booking_create(learner=ready, slot=slot)
    with pytest.raises(ValidationError):
        services.booking_check_in(booking=booking, actor=ready.user)


def test_changing_the_hours_needs_a_reason(
    ready: Any, make_slot: Any, mentor: Any, other_mentor: Any
) -> None:
    slot = make_slot(days=-1)
    booking = BookingFactory(slot=slot, learner=ready)
    with pytest.raises(ValidationError):
        services.hours_verify(booking=booking, actor=mentor.user, minutes=30)
    with pytest.raises(PermissionDenied):
        services.hours_verify(booking=booking, actor=other_mentor.user)
    services.hours_verify(booking=booking, actor=mentor.user, minutes=30, reason="Arrived late")
    booking.refresh_from_db()
    assert booking.verified_minutes == 30 and booking.verification_note == "Arrived late"


def test_a_coordinator_corrects_times_with_an_audit_record(
    ready: Any, make_slot: Any, coordinator: Any
) -> None:
    slot = make_slot(days=-1)
    booking = BookingFactory(slot=slot, learner=ready)
    services.booking_times_correct(
        booking=booking,
        actor=coordinator,
        checked_in_at=slot.starts_at,
        checked_out_at=slot.starts_at + timedelta(hours=2),
        reason="Forgot to check out",
    )
    assert booking.attended_minutes == 120
    assert AuditEvent.objects.filter(action="shadowing.booking_times_correct").exists()
    with pytest.raises(PermissionDenied):
        services.booking_times_correct(
            booking=booking,
            actor=ready.user,
            checked_in_at=slot.starts_at,
            checked_out_at=slot.ends_at,
            reason="x",
        )


# --- Reminders -------------------------------------------------------------------------------------------


def test_reminders_go_out_once_for_tomorrows_sessions(
    ready: Any, make_slot: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    tomorrow = timezone.make_aware(
        timezone.datetime.combine(timezone.localdate(now) + timedelta(days=1), timezone.datetime.min.time())
    ) + timedelta(hours=9)
    booking = services.booking_create(learner=ready, slot=make_slot(starts_at=tomorrow))
    services.booking_create(learner=ready, slot=make_slot(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.booking_reminders_send(now=now) == 1
        assert services.booking_reminders_send(now=now) == 0
    assert len(mailoutbox) == 2 and all("Reminder" in m.subject for m in mailoutbox)
    booking.refresh_from_db()
    assert booking.reminded_at is not None


# --- Certificates ----------------------------------------------------------------------------------------


def test_unverified_hours_do_not_appear_on_the_certificate(
    ready: Any, make_slot: Any, mentor: Any, other_mentor: Any
) -> None:
    verified = BookingFactory(slot=make_slot(days=-3, hours=4), learner=ready)
    services.hours_verify(booking=verified, actor=mentor.user)
    BookingFactory(slot=make_slot(days=-2, hours=5, mentor=other_mentor), learner=ready)
    certificate = services.certificate_issue(learner=ready)
    assert certificate.totals["total_minutes"] == 240
    assert [row["mentor"] for row in certificate.totals["rows"]] == [str(mentor)]
    assert certificate.totals["by_specialty"] == {"Family medicine": 240}


def test_a_certificate_needs_verified_hours(ready: Any) -> None:
    with pytest.raises(ValidationError):
        services.certificate_issue(learner=ready)


def test_only_a_coordinator_revokes_a_certificate(
    ready: Any, make_slot: Any, mentor: Any, coordinator: Any
) -> None:
    services.hours_verify(booking=BookingFactory(slot=make_slot(days=-1), learner=ready), actor=mentor.user)
    certificate = services.certificate_issue(learner=ready)
    with pytest.raises(PermissionDenied):
        services.certificate_revoke(certificate=certificate, actor=mentor.user, reason="x")
    services.certificate_revoke(certificate=certificate, actor=coordinator, reason="Hours entered in error")
    assert certificate.is_revoked


def test_experience_description_fits_the_application_limit_and_names_the_contact_role(
    ready: Any, make_slot: Any, mentor: Any
) -> None:
    services.hours_verify(
        booking=BookingFactory(slot=make_slot(days=-1, hours=4), learner=ready), actor=mentor.user
    )
    totals = selectors.verified_totals(learner=ready)
    [description] = selectors.experience_descriptions(totals=totals)
    assert len(description["text"]) <= 700
    assert "4 verified hours" in description["text"]
    assert description["role"] == "Supervising physician, Family medicine"
    long = {**totals, "rows": [{**totals["rows"][0], "site": "Clinic " * 200}]}
    assert len(selectors.experience_descriptions(totals=long)[0]["text"]) <= 700


# --- Mentor summary --------------------------------------------------------------------------------------


def test_mentor_summary_counts_pending_and_hours_this_year(ready: Any, make_slot: Any, mentor: Any) -> None:
    done = BookingFactory(slot=make_slot(days=-2, hours=3), learner=ready)
    services.hours_verify(booking=done, actor=mentor.user)
    BookingFactory(slot=make_slot(days=-1), learner=ready)
    services.booking_create(learner=ready, slot=make_slot(days=3))
    summary = selectors.mentor_summary(mentor=mentor)
    assert summary["pending"] == 1
    assert len(summary["upcoming"]) == 1
    assert summary["learners"] == 1
    same_year = timezone.localdate(done.slot.starts_at).year == timezone.localdate().year
    assert summary["hours_this_year"] == ("3" if same_year else "0")


def test_the_reminder_command_is_idempotent(ready: Any, make_slot: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    tomorrow = timezone.make_aware(
        timezone.datetime.combine(timezone.localdate() + timedelta(days=1), timezone.datetime.min.time())
    ) + timedelta(hours=10)
    services.booking_create(learner=ready, slot=make_slot(starts_at=tomorrow))
    first, second = StringIO(), StringIO()
    call_command("send_booking_reminders", stdout=first)
    call_command("send_booking_reminders", stdout=second)
    assert "Sent 1 reminder" in first.getvalue() and "Sent 0 reminder" in second.getvalue()


def test_a_refused_booking_sends_no_mail(
    learner: Any, make_slot: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.booking_create(learner=learner, slot=make_slot())
    assert mailoutbox == []


def test_withdrawing_guardian_consent_through_programs_cancels_the_booking_and_blocks_new_ones(
    term: Any, mentor: Any, minor_learner: Any, guardian: Any, make_slot: Any, program: Any
) -> None:
    from mentorfold.programs.services import guardian_consent_revoke

    consent = RequirementFactory(
        program=program,
        name="Parent or guardian consent",
        kind=Requirement.Kind.GUARDIAN_CONSENT,
        minors_only=True,
    )
    record = RequirementRecordFactory(requirement=consent, person=minor_learner.user, signed_by=guardian)
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    booking = services.booking_create(learner=minor_learner, slot=make_slot(days=3))
    assert guardian_consent_revoke(record=record, actor=guardian, reason="We moved") == 1
    booking.refresh_from_db()
    assert (
        booking.status == Booking.Status.CANCELLED and booking.cancel_reason == "Guardian consent withdrawn"
    )
    assert "revoked" in codes(refuse(minor_learner, make_slot(days=4)))
