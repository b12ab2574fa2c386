from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from mentorfold.accounts.tests.factories import LearnerProfileFactory
from mentorfold.shadowing import selectors, services
from mentorfold.shadowing.models import Booking, CalendarFeedToken, HoursCertificate, PatientFeedback, Slot

from .conftest import enroll_and_match
from .factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(ready: Any, make_slot: Any) -> Booking:
    return services.booking_create(learner=ready, slot=make_slot(days=2))


@pytest.fixture
def past_booking(ready: Any, make_slot: Any) -> Booking:
    return BookingFactory(slot=make_slot(days=-1, hours=3), learner=ready)


@pytest.fixture
def certificate(past_booking: Booking, mentor: Any, ready: Any) -> HoursCertificate:
    services.hours_verify(booking=past_booking, actor=mentor.user)
    return services.certificate_issue(learner=ready)


def login_redirect(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Learner home and booking ----------------------------------------------------------------------------


def test_learner_home_lists_open_slots_and_bookings(
    client: Any, booking: Booking, make_slot: Any, ready: Any
) -> None:
    make_slot(days=4)
    client.force_login(ready.user)
    response = client.get(reverse("shadowing:home"))
    assert response.status_code == 200
    assert response.context["upcoming"] == [booking]
    assert len(response.context["open_slots"]) == 1


def test_home_sends_anonymous_to_login_and_refuses_guardians_and_reviewers(
    client: Any, guardian: Any, reviewer: Any
) -> None:
    assert login_redirect(client.get(reverse("shadowing:home")))
    client.force_login(guardian)
    assert client.get(reverse("shadowing:home")).status_code == 403
    client.force_login(reviewer.user)
    assert client.get(reverse("shadowing:home")).status_code == 403


def test_home_for_a_mentor_goes_to_the_calendar_and_a_coordinator_sees_bookings(
    client: Any, mentor: Any, coordinator: Any, booking: Booking, django_assert_max_num_queries: Any
) -> None:
    client.force_login(mentor.user)
    assert client.get(reverse("shadowing:home"))["Location"] == reverse("shadowing:calendar")
    client.force_login(coordinator)
    services.booking_cancel(
        booking=booking,
        actor=booking.learner.user,
        reason="Bus strike",
        now=booking.slot.starts_at - timedelta(hours=2),
    )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("shadowing:home"))
    assert response.status_code == 200 and booking in list(response.context["recent"])
    assert response.context["late"][0]["count"] == 1


def test_learner_home_query_count_is_bounded_with_many_slots_and_bookings(
    client: Any, ready: Any, make_slot: Any, django_assert_max_num_queries: Any
) -> None:
    for day in range(1, 60):
        make_slot(days=day, capacity=2)
    for day in range(1, 40):
        BookingFactory(slot=make_slot(days=-day), learner=ready)
    client.force_login(ready.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("shadowing:home"))
    assert response.status_code == 200


def test_a_learner_books_from_the_slot_page(client: Any, ready: Any, make_slot: Any) -> None:
    slot = make_slot()
    client.force_login(ready.user)
    page = client.get(reverse("shadowing:slot_detail", args=[slot.pk]))
    assert page.status_code == 200 and page.context["problems"] == []
    response = client.post(reverse("shadowing:slot_book", args=[slot.pk]))
    booking = Booking.objects.get(slot=slot)
    assert response["Location"] == reverse("shadowing:booking_detail", args=[booking.pk])


def test_the_slot_page_explains_why_a_learner_cannot_book(client: Any, learner: Any, make_slot: Any) -> None:
    slot = make_slot()
    client.force_login(learner.user)
    response = client.get(reverse("shadowing:slot_detail", args=[slot.pk]))
    assert "You are not enrolled" in response.content.decode()
    response = client.post(reverse("shadowing:slot_book", args=[slot.pk]), follow=True)
    assert "You are not enrolled" in response.content.decode()
    assert not Booking.objects.exists()


def test_slot_pages_are_hidden_from_guardians_and_other_mentors_and_booking_needs_a_learner(
    client: Any, guardian: Any, other_mentor: Any, make_slot: Any
) -> None:
    slot = make_slot()
    client.force_login(guardian)
    assert client.get(reverse("shadowing:slot_detail", args=[slot.pk])).status_code == 404
    client.force_login(other_mentor.user)
    assert client.get(reverse("shadowing:slot_detail", args=[slot.pk])).status_code == 404
    assert client.post(reverse("shadowing:slot_book", args=[slot.pk])).status_code == 403
    client.logout()
    assert login_redirect(client.post(reverse("shadowing:slot_book", args=[slot.pk])))


def test_slot_detail_query_count(
    client: Any, ready: Any, make_slot: Any, django_assert_max_num_queries: Any
) -> None:
    slot = make_slot()
    client.force_login(ready.user)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("shadowing:slot_detail", args=[slot.pk])).status_code == 200


# --- Booking detail and actions --------------------------------------------------------------------------


def test_booking_detail_is_visible_to_the_people_involved(
    client: Any,
    booking: Booking,
    ready: Any,
    mentor: Any,
    coordinator: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for user in (ready.user, mentor.user, coordinator):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("shadowing:booking_detail", args=[booking.pk])).status_code == 200


def test_a_minors_guardian_sees_the_booking_but_cannot_cancel_it(
    client: Any, term: Any, mentor: Any, minor_learner: Any, guardian: Any, make_slot: Any
) -> None:
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    booking = services.booking_create(learner=minor_learner, slot=make_slot())
    client.force_login(guardian)
    assert client.get(reverse("shadowing:booking_detail", args=[booking.pk])).status_code == 200
    assert (
        client.post(reverse("shadowing:booking_cancel", args=[booking.pk]), {"reason": "x"}).status_code
        == 403
    )


def test_booking_detail_is_not_found_for_outsiders(
    client: Any, booking: Booking, other_learner: Any, other_mentor: Any, guardian: Any, reviewer: Any
) -> None:
    url = reverse("shadowing:booking_detail", args=[booking.pk])
    assert login_redirect(client.get(url))
    for user in (other_learner.user, other_mentor.user, guardian, reviewer.user):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_the_learner_cancels_with_a_reason(client: Any, booking: Booking, ready: Any) -> None:
    client.force_login(ready.user)
    client.post(reverse("shadowing:booking_cancel", args=[booking.pk]), {"reason": "Exam that day"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancel_reason == "Exam that day"


def test_check_in_and_out_buttons_then_one_click_verification(
    client: Any, ready: Any, mentor: Any, make_slot: Any, other_mentor: Any
) -> None:
    slot = make_slot(days=0, hours=4, starts_at=timezone.now() - timedelta(minutes=10))
    booking = BookingFactory(slot=slot, learner=ready)
    client.force_login(ready.user)
    client.post(reverse("shadowing:booking_check_in", args=[booking.pk]))
    client.post(reverse("shadowing:booking_check_out", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.checked_in_at and booking.checked_out_at
    Booking.objects.filter(pk=booking.pk).update(
        checked_out_at=booking.checked_in_at + timedelta(minutes=150)
    )
    assert client.post(reverse("shadowing:booking_verify", args=[booking.pk])).status_code == 403
    client.force_login(other_mentor.user)
    assert client.post(reverse("shadowing:booking_verify", args=[booking.pk])).status_code == 404
    client.force_login(mentor.user)
    response = client.post(
        reverse("shadowing:booking_verify", args=[booking.pk]), {"next": reverse("shadowing:pending")}
    )
    assert response["Location"] == reverse("shadowing:pending")
    booking.refresh_from_db()
    assert booking.is_verified and booking.verified_minutes == 150


def test_verification_with_edited_minutes_and_patient_counts(
    client: Any, past_booking: Booking, mentor: Any
) -> None:
    client.force_login(mentor.user)
    url = reverse("shadowing:booking_verify", args=[past_booking.pk])
    client.post(url, {"minutes": "90"})
    past_booking.refresh_from_db()
    assert not past_booking.is_verified
    client.post(
        url, {"minutes": "90", "reason": "Left at lunch", "patients_consented": "6", "patients_declined": "2"}
    )
    past_booking.refresh_from_db()
    assert (
        past_booking.verified_minutes,
        past_booking.patients_consented,
        past_booking.patients_declined,
    ) == (90, 6, 2)


def test_pending_list_for_the_mentor_only(
    client: Any, past_booking: Booking, mentor: Any, ready: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(mentor.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("shadowing:pending"))
    assert response.context["bookings"] == [past_booking]
    client.force_login(ready.user)
    assert client.get(reverse("shadowing:pending")).status_code == 403


def test_a_coordinator_corrects_times_and_a_mentor_cannot(
    client: Any, past_booking: Booking, coordinator: Any, mentor: Any
) -> None:
    url = reverse("shadowing:booking_correct", args=[past_booking.pk])
    start = timezone.localtime(past_booking.slot.starts_at)
    data = {
        "checked_in_at": start.strftime("%Y-%m-%dT%H:%M"),
        "checked_out_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Phone died",
    }
    client.force_login(mentor.user)
    assert client.post(url, data).status_code == 403
    client.force_login(coordinator)
    client.post(url, data)
    past_booking.refresh_from_db()
    assert past_booking.attended_minutes == 120


def test_no_show_marking(client: Any, past_booking: Booking, mentor: Any) -> None:
    client.force_login(mentor.user)
    client.post(reverse("shadowing:booking_no_show", args=[past_booking.pk]))
    past_booking.refresh_from_db()
    assert past_booking.status == Booking.Status.NO_SHOW


# --- Mentor calendar and slots ---------------------------------------------------------------------------


def test_the_mentor_calendar_shows_slots_and_bookings(client: Any, booking: Booking, mentor: Any) -> None:
    client.force_login(mentor.user)
    day = timezone.localdate(booking.slot.starts_at).isoformat()
    for view in ("week", "month"):
        response = client.get(reverse("shadowing:calendar"), {"view": view, "date": day})
        assert response.status_code == 200
        assert booking.learner.user.full_name in response.content.decode()


def test_calendar_is_for_mentors_only(client: Any, ready: Any, guardian: Any) -> None:
    assert login_redirect(client.get(reverse("shadowing:calendar")))
    for user in (ready.user, guardian):
        client.force_login(user)
        assert client.get(reverse("shadowing:calendar")).status_code == 403


@pytest.mark.parametrize("view", ["week", "month"])
def test_calendar_query_count_is_bounded_at_large_size(
    client: Any, mentor: Any, site: Any, program: Any, view: str, django_assert_max_num_queries: Any
) -> None:
    start = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    slots = Slot.objects.bulk_create(
        [
            Slot(
                mentor=mentor,
                site=site,
                program=program,
                starts_at=start + timedelta(days=d, hours=h),
                ends_at=start + timedelta(days=d, hours=h + 2),
                capacity=2,
            )
            for d in range(35)
            for h in (0, 4)
        ]
    )
    learners = [LearnerProfileFactory() for _ in range(4)]
    Booking.objects.bulk_create([Booking(slot=s, learner=learners[i % 4]) for i, s in enumerate(slots)])
    client.force_login(mentor.user)
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse("shadowing:calendar"), {"view": view, "date": timezone.localdate(start).isoformat()}
        )
    assert response.status_code == 200
    first, last = selectors.calendar_range(view=view, anchor=timezone.localdate(start))
    shown = [s for s in slots if first <= timezone.localdate(s.starts_at) <= last]
    assert response.content.decode().count('class="slot open"') == len(shown) > 0


def test_a_mentor_publishes_a_weekly_series(
    client: Any, mentor: Any, site: Any, program: Any, joined: Any
) -> None:
    site.mentors.add(mentor)
    client.force_login(mentor.user)
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(
        reverse("shadowing:slot_new"),
        {
            "site": site.pk,
            "program": program.pk,
            "day": day.isoformat(),
            "start": "08:00",
            "end": "12:00",
            "capacity": "1",
            "notes": "Clinic starts 8:00, wear closed-toe shoes.",
            "repeat_weekly_until": (day + timedelta(weeks=2)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert Slot.objects.filter(mentor=mentor).count() == 3


def test_the_slot_form_explains_a_capacity_over_the_site_maximum(
    client: Any, mentor: Any, site: Any, program: Any
) -> None:
    client.force_login(mentor.user)
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(
        reverse("shadowing:slot_new"),
        {
            "site": site.pk,
            "program": program.pk,
            "day": day.isoformat(),
            "start": "08:00",
            "end": "12:00",
            "capacity": "5",
        },
    )
    assert response.status_code == 200 and "allows at most 2" in response.content.decode()
    assert not Slot.objects.exists()


def test_slot_form_is_for_mentors_only(client: Any, ready: Any) -> None:
    assert login_redirect(client.get(reverse("shadowing:slot_new")))
    client.force_login(ready.user)
    assert client.get(reverse("shadowing:slot_new")).status_code == 403


def test_bulk_cancel_from_the_calendar(client: Any, mentor: Any, make_slot: Any, other_mentor: Any) -> None:
    mine, theirs = make_slot(), make_slot(mentor=other_mentor)
    client.force_login(mentor.user)
    client.post(reverse("shadowing:slots_cancel"), {"slot": [mine.pk], "reason": "Vacation"})
    # another mentor's slot in the list is refused as a whole: test_slots_cancel_form.py
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Slot.Status.CANCELLED and theirs.status == Slot.Status.OPEN


# --- Hours, certificate, verification --------------------------------------------------------------------


def test_hours_page_shows_only_verified_hours_and_descriptions(
    client: Any, certificate: HoursCertificate, ready: Any, make_slot: Any, django_assert_max_num_queries: Any
) -> None:
    BookingFactory(slot=make_slot(days=-5, hours=8), learner=ready)
    client.force_login(ready.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("shadowing:hours"))
    assert response.context["total_hours"] == "3"
    assert len(response.context["descriptions"][0]["text"]) <= 700


def test_hours_page_is_for_learners(client: Any, mentor: Any) -> None:
    assert login_redirect(client.get(reverse("shadowing:hours")))
    client.force_login(mentor.user)
    assert client.get(reverse("shadowing:hours")).status_code == 403


def test_the_learner_issues_and_downloads_a_pdf_only_they_can_see(
    client: Any, past_booking: Booking, mentor: Any, ready: Any, other_learner: Any
) -> None:
    services.hours_verify(booking=past_booking, actor=mentor.user)
    client.force_login(ready.user)
    client.post(reverse("shadowing:certificate_issue"))
    certificate = HoursCertificate.objects.get()
    url = reverse("shadowing:certificate_download", args=[certificate.code])
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    client.force_login(other_learner.user)
    assert client.get(url).status_code == 404


def test_the_public_verify_page_shows_totals_and_revocation(
    client: Any,
    certificate: HoursCertificate,
    coordinator: Any,
    mentor: Any,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("shadowing:verify", args=[certificate.code])
    with django_assert_max_num_queries(3):
        response = client.get(url)
    page = response.content.decode()
    assert response.context["total_hours"] == "3" and "Valid" in page
    assert mentor.user.email not in page
    client.force_login(coordinator)
    client.post(
        reverse("shadowing:certificate_revoke", args=[certificate.code]), {"reason": "Issued in error"}
    )
    client.logout()
    page = client.get(url).content.decode()
    assert "Revoked" in page and "no longer valid" in page


def test_an_unknown_code_is_not_found(client: Any) -> None:
    assert client.get(reverse("shadowing:verify", args=["NOPE"])).status_code == 404


def test_only_coordinators_revoke_certificates(
    client: Any, certificate: HoursCertificate, ready: Any
) -> None:
    client.force_login(ready.user)
    client.post(reverse("shadowing:certificate_revoke", args=[certificate.code]), {"reason": "I want"})
    certificate.refresh_from_db()
    assert not certificate.is_revoked


# --- Calendar feeds --------------------------------------------------------------------------------------


def test_the_ical_feed_parses_back_and_a_revoked_token_is_gone(
    client: Any, booking: Booking, ready: Any
) -> None:
    client.force_login(ready.user)
    client.post(reverse("shadowing:feed_settings"), {"action": "create"})
    token = CalendarFeedToken.objects.get(user=ready.user)
    client.logout()
    response = client.get(reverse("shadowing:feed", args=[token.token]))
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == booking.slot.starts_at
    assert "Harbor Family Clinic" in str(event.get("location"))
    client.force_login(ready.user)
    client.post(reverse("shadowing:feed_settings"), {"action": "revoke"})
    client.logout()
    assert client.get(reverse("shadowing:feed", args=[token.token])).status_code == 404


def test_a_new_feed_address_retires_the_old_one(client: Any, mentor: Any, booking: Booking) -> None:
    client.force_login(mentor.user)
    client.post(reverse("shadowing:feed_settings"), {"action": "create"})
    old = CalendarFeedToken.objects.get(user=mentor.user)
    client.post(reverse("shadowing:feed_settings"), {"action": "create"})
    new = CalendarFeedToken.objects.get(user=mentor.user, revoked_at__isnull=True)
    assert client.get(reverse("shadowing:feed", args=[old.token])).status_code == 404
    assert (
        len(
            Calendar.from_ical(client.get(reverse("shadowing:feed", args=[new.token])).content).walk("VEVENT")
        )
        == 1
    )


def test_feed_settings_needs_login(client: Any) -> None:
    assert login_redirect(client.get(reverse("shadowing:feed_settings")))


def test_a_booking_ics_download_for_the_people_involved_only(
    client: Any, booking: Booking, ready: Any, other_learner: Any
) -> None:
    client.force_login(ready.user)
    response = client.get(reverse("shadowing:booking_ics", args=[booking.pk]))
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 1
    client.force_login(other_learner.user)
    assert client.get(reverse("shadowing:booking_ics", args=[booking.pk])).status_code == 404


# --- Patient feedback ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def test_anonymous_patient_feedback_is_stored_without_identifiers(
    client: Any, site: Any, mentor: Any
) -> None:
    url = reverse("shadowing:feedback", args=[site.pk]) + f"?mentor={mentor.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"learner_ok": "yes", "enough_time": "more", "comment": "Kind student."})
    assert "Thank you" in response.content.decode()
    feedback = PatientFeedback.objects.get()
    assert feedback.mentor == mentor and feedback.comment == "Kind student."


@pytest.mark.parametrize("comment", ["my MRN is 12345678", "call me at 206-555-0134"])
def test_patient_feedback_with_an_identifier_is_refused_and_nothing_is_stored(
    client: Any, site: Any, comment: str
) -> None:
    response = client.post(
        reverse("shadowing:feedback", args=[site.pk]),
        {"learner_ok": "yes", "enough_time": "yes", "comment": comment},
    )
    assert response.status_code == 200
    assert "For your privacy we do not keep that" in response.content.decode()
    assert PatientFeedback.objects.count() == 0


def test_the_public_feedback_form_is_rate_limited(client: Any, site: Any) -> None:
    url = reverse("shadowing:feedback", args=[site.pk])
    for _ in range(10):
        client.post(url, {"learner_ok": "yes", "enough_time": "yes"})
    response = client.post(url, {"learner_ok": "yes", "enough_time": "yes"})
    assert response.status_code == 429
    assert PatientFeedback.objects.count() == 10


def test_the_feedback_poster_and_qr_code_are_for_mentors_and_coordinators(
    client: Any, site: Any, mentor: Any, ready: Any
) -> None:
    poster = reverse("shadowing:feedback_poster", args=[site.pk])
    qr = reverse("shadowing:feedback_qr", args=[site.pk])
    assert login_redirect(client.get(poster))
    client.force_login(ready.user)
    assert client.get(poster).status_code == 403 and client.get(qr).status_code == 403
    client.force_login(mentor.user)
    assert client.get(poster).status_code == 200
    response = client.get(qr + f"?mentor={mentor.pk}")
    assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content


def test_notices_are_marked_read(
    client: Any, ready: Any, make_slot: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(learner=ready, slot=make_slot(days=2))
    client.force_login(ready.user)
    assert ready.user.notices.filter(read_at__isnull=True).exists()
    assert "New for you" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("notices_read"))
    assert not ready.user.notices.filter(read_at__isnull=True).exists()


def test_dashboard_panels_for_mentor_and_learner(
    client: Any, booking: Booking, mentor: Any, ready: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(mentor.user)
    assert "hours taught this year" in client.get(reverse("dashboard")).content.decode()
    client.force_login(ready.user)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("dashboard")).content.decode()
    assert "verified hours" in page


def test_slot_factory_defaults_are_bookable(ready: Any, mentor: Any, site: Any, program: Any) -> None:
    slot = SlotFactory(mentor=mentor, site=site, program=program)
    assert services.booking_create(learner=ready, slot=slot).status == Booking.Status.BOOKED


def test_a_guardian_sees_the_childs_upcoming_visit_and_gets_it_in_the_feed(
    client: Any,
    term: Any,
    mentor: Any,
    minor_learner: Any,
    guardian: Any,
    make_slot: Any,
    other_learner: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    enroll_and_match(learner=minor_learner, mentor=mentor, term=term)
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(learner=minor_learner, slot=make_slot())
    client.force_login(guardian)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Your child&#x27;s clinic visits" in page or "Your child's clinic visits" in page
    assert reverse("shadowing:booking_detail", args=[booking.pk]) in page
    assert "New for you" in page
    token = services.feed_token_create(user=guardian)
    events = Calendar.from_ical(client.get(reverse("shadowing:feed", args=[token.token])).content).walk(
        "VEVENT"
    )
    assert len(events) == 1
    outsider = services.feed_token_create(user=other_learner.user)
    assert (
        Calendar.from_ical(client.get(reverse("shadowing:feed", args=[outsider.token])).content).walk(
            "VEVENT"
        )
        == []
    )
