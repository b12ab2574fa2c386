"""Issue #7 (only bookable slots on the learner's list) and #12 (one date, in the society's time zone)."""

from __future__ import annotations

import contextlib
import zlib
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from mentorfold.core.dates import format_date, format_datetime
from mentorfold.shadowing import selectors, services
from mentorfold.shadowing.pdf import certificate_pdf

from .factories import BookingFactory, HoursCertificateFactory, ProgramFactory, TermFactory

pytestmark = pytest.mark.django_db


# --- #7 The learner's list shows only slots she can book --------------------------------------------------


def test_the_list_hides_other_mentors_slots_and_days_outside_the_term(
    client: Any, ready: Any, make_slot: Any, other_mentor: Any, term: Any, django_assert_max_num_queries: Any
) -> None:
    mine = make_slot(days=3)
    not_my_mentor = make_slot(days=3, mentor=other_mentor)
    after_term = make_slot(
        starts_at=timezone.make_aware(datetime.combine(term.ends_on + timedelta(days=2), datetime.min.time()))
        + timedelta(hours=9)
    )
    full = make_slot(days=5, capacity=1)
    BookingFactory(slot=full)
    client.force_login(ready.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("shadowing:home"))
    shown = response.context["open_slots"]
    assert shown == [mine]
    assert not_my_mentor not in shown and after_term not in shown and full not in shown
    page = response.content.decode()
    assert page.count("Other times are hidden.") == 1
    # Every slot shown can really be booked.
    assert all(services.booking_eligibility_errors(learner=ready, slot=slot) == [] for slot in shown)


def test_a_term_that_has_not_started_shows_only_slots_inside_its_dates(
    ready: Any, mentor: Any, make_slot: Any, site: Any
) -> None:
    from .conftest import enroll_and_match

    later = ProgramFactory(name="Summer program")
    summer = TermFactory(
        program=later,
        starts_on=timezone.localdate() + timedelta(days=20),
        ends_on=timezone.localdate() + timedelta(days=60),
    )
    enroll_and_match(learner=ready, mentor=mentor, term=summer)
    before_start = make_slot(days=10, program=later)
    inside = make_slot(days=25, program=later)
    shown = selectors.learner_overview(learner=ready)["open_slots"]
    assert inside in shown and before_start not in shown


def test_open_booking_programs_show_any_mentors_slots(
    ready: Any, make_slot: Any, other_mentor: Any, program: Any
) -> None:
    program.allows_open_booking = True
    program.save(update_fields=["allows_open_booking"])
    other = make_slot(days=3, mentor=other_mentor)
    assert other in selectors.learner_overview(learner=ready)["open_slots"]


def test_the_open_list_stops_at_its_page_instead_of_counting_seats_of_every_slot(
    ready: Any, make_slot: Any
) -> None:
    """Seats are counted per shown slot (a subquery), not by grouping every open slot before the limit.

    With a bookings join and GROUP BY, PostgreSQL grouped 250,000 open slots to show 30 (5 s per page under load).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    half_full = make_slot(days=3, capacity=2)
    BookingFactory(slot=half_full)
    full = make_slot(days=4, capacity=1)
    BookingFactory(slot=full)
    with CaptureQueriesContext(connection) as queries:
        shown = selectors.learner_overview(learner=ready)["open_slots"]
    assert shown == [half_full] and shown[0].seats_left == 1
    slot_query = next(q["sql"] for q in queries.captured_queries if 'FROM "shadowing_slot"' in q["sql"])
    assert "GROUP BY" not in slot_query.split("(SELECT", 1)[0]


# --- #12 One date format, always in the society's time zone ----------------------------------------------

LATE_EVENING = datetime(2026, 3, 4, 3, 30, tzinfo=ZoneInfo("UTC"))  # 3 March, 19:30 in Seattle


def test_format_date_uses_the_society_day_not_the_utc_day(settings: Any) -> None:
    settings.TIME_ZONE = "America/Los_Angeles"
    assert format_date(LATE_EVENING) == "3 March 2026"
    assert format_datetime(LATE_EVENING) == "Tuesday 3 March 2026, 19:30"
    assert format_date(date(2026, 3, 3)) == format_date("2026-03-03") == "3 March 2026"
    assert format_date(None) == "" and format_datetime(None) == ""
    assert format_datetime("") == "" and format_date("") == ""  # a missing template variable renders empty


def _pdf_text(data: bytes) -> str:
    """Text drawn in an uncompressed reportlab PDF (enough to find a date string)."""
    text = data.decode("latin-1")
    for stream in text.split("stream")[1:]:
        chunk = stream.split("endstream")[0].strip("\r\n").encode("latin-1")
        with contextlib.suppress(zlib.error):
            text += zlib.decompress(chunk).decode("latin-1")
    return text


def test_certificate_pdf_verify_page_and_hours_page_show_the_same_date(client: Any, ready: Any) -> None:
    certificate = HoursCertificateFactory(
        learner=ready,
        issued_at=LATE_EVENING,
        totals={
            "rows": [
                {
                    "mentor": "Dr. Rivera",
                    "specialty": "Family medicine",
                    "site": "Harbor",
                    "minutes": 240,
                    "sessions": 1,
                    "first": "2026-03-03",
                    "last": "2026-03-03",
                }
            ],
            "by_specialty": {"Family medicine": 240},
            "total_minutes": 240,
            "learner_name": "Amina Hassan",
        },
    )
    assert "3 March 2026" in _pdf_text(certificate_pdf(certificate))
    assert "4 March 2026" not in _pdf_text(certificate_pdf(certificate))
    verify = client.get(reverse("shadowing:verify", args=[certificate.code])).content.decode()
    assert "3 March 2026" in verify and "4 March 2026" not in verify
    client.force_login(ready.user)
    hours_page = client.get(reverse("shadowing:hours")).content.decode()
    assert "3 March 2026" in hours_page


def test_booking_emails_use_the_same_format_as_pages(
    ready: Any, make_slot: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    slot = make_slot()
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(learner=ready, slot=slot)
    expected = format_datetime(slot.starts_at)
    assert all(expected in message.body and expected in message.subject for message in mailoutbox)
