"""Every state change decides on the row as it is now (locked), not on a copy read earlier by the page."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from mentorfold.shadowing import services
from mentorfold.shadowing.models import Booking, BookingMessage

pytestmark = pytest.mark.django_db


def _stale(booking: Booking) -> Booking:
    return Booking.objects.select_related("slot__mentor", "learner").get(pk=booking.pk)


@pytest.fixture
def booking(ready: Any, make_slot: Any) -> Booking:
    return services.booking_create(learner=ready, slot=make_slot(days=2, hours=3))


def test_verifying_from_a_stale_page_does_not_undo_a_cancellation(
    booking: Booking, ready: Any, mentor: Any
) -> None:
    page_copy = _stale(booking)
    services.booking_cancel(
        booking=_stale(booking),
        actor=ready.user,
        reason="Sick",
        now=booking.slot.starts_at - timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="Only a booked or completed session can be verified"):
        services.hours_verify(booking=page_copy, actor=mentor.user, now=booking.slot.ends_at)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.verified_at is None and booking.verified_minutes is None


def test_verifying_keeps_fields_it_does_not_own(booking: Booking, mentor: Any) -> None:
    page_copy = _stale(booking)
    Booking.objects.filter(pk=booking.pk).update(reminded_at=timezone.now())
    services.hours_verify(booking=page_copy, actor=mentor.user, now=booking.slot.ends_at)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED and booking.reminded_at is not None
    assert page_copy.status == Booking.Status.COMPLETED  # the caller's object shows what was saved


def test_cancelling_from_a_stale_page_after_verification_is_refused(
    booking: Booking, ready: Any, mentor: Any
) -> None:
    page_copy = _stale(booking)
    services.hours_verify(booking=_stale(booking), actor=mentor.user, now=booking.slot.ends_at)
    with pytest.raises(ValidationError, match="Only a booked session can be cancelled"):
        services.booking_cancel(
            booking=page_copy, actor=ready.user, reason="x", now=booking.slot.starts_at - timedelta(days=1)
        )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED


def test_no_show_and_check_in_refuse_a_booking_cancelled_meanwhile(
    booking: Booking, ready: Any, mentor: Any
) -> None:
    page_copy = _stale(booking)
    services.booking_cancel(
        booking=_stale(booking),
        actor=ready.user,
        reason="Sick",
        now=booking.slot.starts_at - timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        services.booking_mark_no_show(booking=page_copy, actor=mentor.user, now=booking.slot.ends_at)
    with pytest.raises(ValidationError, match="cancelled"):
        services.booking_check_in(booking=_stale(page_copy), actor=ready.user, now=booking.slot.starts_at)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.checked_in_at is None


def test_a_time_correction_is_refused_on_a_cancelled_booking(
    booking: Booking, ready: Any, coordinator: Any
) -> None:
    services.booking_cancel(
        booking=_stale(booking),
        actor=ready.user,
        reason="Sick",
        now=booking.slot.starts_at - timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="cancelled"):
        services.booking_times_correct(
            booking=booking,
            actor=coordinator,
            checked_in_at=booking.slot.starts_at,
            checked_out_at=booking.slot.ends_at,
            reason="forgot",
        )


# --- Reminders: a background task with a sent-log ---------------------------------------------------------


@pytest.fixture
def tomorrows_booking(ready: Any, make_slot: Any) -> Booking:
    tomorrow = timezone.make_aware(
        timezone.datetime.combine(timezone.localdate() + timedelta(days=1), timezone.datetime.min.time())
    ) + timedelta(hours=10)
    return services.booking_create(learner=ready, slot=make_slot(starts_at=tomorrow))


def test_a_retried_reminder_job_never_mails_twice(
    tomorrows_booking: Booking, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert services.booking_reminder_send(booking_id=tomorrows_booking.pk) is True
        # A retry after a crash, even one that lost ``reminded_at``, finds the sent-log row.
        Booking.objects.filter(pk=tomorrows_booking.pk).update(reminded_at=None)
        assert services.booking_reminder_send(booking_id=tomorrows_booking.pk) is False
        assert services.booking_reminders_send() == 0
    assert len(mailoutbox) == 2  # mentor and learner, one message each, once
    assert BookingMessage.objects.filter(booking=tomorrows_booking, kind="reminder").count() == 1


def test_the_sent_log_allows_one_row_per_booking_and_kind(tomorrows_booking: Booking) -> None:
    BookingMessage.objects.create(booking=tomorrows_booking, kind="reminder", sent_at=timezone.now())
    with pytest.raises(IntegrityError):
        BookingMessage.objects.create(booking=tomorrows_booking, kind="reminder", sent_at=timezone.now())


def test_the_reminder_command_runs_as_a_background_task(
    tomorrows_booking: Booking, mailoutbox: list[Any], settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    out = StringIO()
    call_command("send_booking_reminders", stdout=out)
    assert "queued" in out.getvalue()
    assert mailoutbox == [] and not BookingMessage.objects.exists()


def test_no_reminder_for_a_booking_cancelled_before_the_job_reaches_it(
    tomorrows_booking: Booking, ready: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    due = services.due_reminders()
    assert due == [tomorrows_booking.pk]
    Booking.objects.filter(pk=tomorrows_booking.pk).update(status=Booking.Status.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.booking_reminder_send(booking_id=due[0]) is False
    assert mailoutbox == []
