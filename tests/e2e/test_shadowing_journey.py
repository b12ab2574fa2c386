"""Journey: a learner books a clinic slot, checks in and out, the mentor verifies, the learner gets a certificate."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from mentorfold.accounts.tests.factories import TEST_PASSWORD, LearnerProfileFactory, MentorProfileFactory
from mentorfold.shadowing.models import Booking, Slot
from mentorfold.shadowing.tests.factories import (
    EnrollmentFactory,
    MentorshipFactory,
    ProgramFactory,
    SiteFactory,
    SlotFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out")).first.wait_for()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_learner_books_checks_in_and_gets_a_verified_certificate(page: Any, output_dir: Path) -> None:
    mentor = MentorProfileFactory(user__email="rivera@example.org", user__full_name="Maria Rivera")
    learner = LearnerProfileFactory(user__email="amina@example.org", user__full_name="Amina Hassan", age=20)
    site = SiteFactory(name="Rainier Valley Community Clinic")
    site.mentors.add(mentor)
    program = ProgramFactory(name="Pre-med clinical exposure")
    term = TermFactory(program=program)
    EnrollmentFactory(term=term, learner=learner)
    MentorshipFactory(term=term, learner=learner, mentor=mentor)
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=30)
    slot = SlotFactory(
        mentor=mentor, site=site, program=program, starts_at=start, ends_at=start + timedelta(hours=3)
    )

    # The learner finds the open time and books it.
    log_in(page, "amina@example.org")
    page.goto("/shadowing/")
    page.get_by_role("heading", name="Times you can book").wait_for()
    page.screenshot(path=str(output_dir / "1-learner-shadowing.png"), full_page=True)
    page.get_by_role("link", name=re.compile("See and book")).first.click()
    page.get_by_text("Clinic starts 8:00, wear closed-toe shoes.").wait_for()
    page.get_by_role("button", name="Book this time").click()
    page.get_by_text("Booked! We sent the details to your e-mail.").wait_for()
    page.screenshot(path=str(output_dir / "2-booked.png"), full_page=True)

    # On the day: check in, then check out.
    page.get_by_role("button", name="Check in").click()
    page.get_by_text("Checked in. Have a great session!").wait_for()
    page.get_by_role("button", name="Check out").click()
    page.get_by_text("Your mentor will now verify your hours").wait_for()
    booking = Booking.objects.get(slot=slot, learner=learner)
    assert booking.checked_in_at and booking.checked_out_at
    # Three hours pass in clinic: the session is now in the past, the times are what the buttons would record.
    earlier = timedelta(hours=4)
    Slot.objects.filter(pk=slot.pk).update(starts_at=slot.starts_at - earlier, ends_at=slot.ends_at - earlier)
    Booking.objects.filter(pk=booking.pk).update(
        checked_in_at=slot.starts_at - earlier, checked_out_at=slot.ends_at - earlier
    )
    log_out(page)

    # The mentor verifies with one click from the pending list.
    log_in(page, "rivera@example.org")
    page.goto("/shadowing/pending/")
    page.get_by_role("cell", name="Amina Hassan", exact=True).wait_for()
    page.screenshot(path=str(output_dir / "3-mentor-pending.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Verify 180 minutes")).click()
    page.get_by_text("Hours verified for Amina Hassan.").wait_for()
    page.goto(
        "/shadowing/calendar/?view=week&date=" + timezone.localdate(slot.starts_at - earlier).isoformat()
    )
    page.screenshot(path=str(output_dir / "4-mentor-calendar.png"), full_page=True)
    log_out(page)

    # The learner creates the certificate and downloads the PDF.
    log_in(page, "amina@example.org")
    page.goto("/shadowing/hours/")
    assert page.locator("#total-hours").inner_text() == "3"
    page.get_by_role("button", name="Create a certificate (PDF)").click()
    page.get_by_text("Your certificate is ready").wait_for()
    page.screenshot(path=str(output_dir / "5-hours.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = output_dir / "certificate.pdf"
    download_info.value.save_as(str(pdf))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(output_dir / "6-certificate")],
        check=True,
    )
    assert list(output_dir.glob("6-certificate*.png"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Total verified hours: 3" in text
    assert "Dr. Maria Rivera" in text and "Rainier Valley" in text
    code = re.search(r"Verification code: (\w+)", text).group(1)

    # Anyone can check the certificate: the public page shows the same hours.
    log_out(page)
    page.goto(f"/shadowing/verify/{code}/")
    assert page.locator("#verify-total").inner_text() == "3"
    page.get_by_text("Valid").first.wait_for()
    page.screenshot(path=str(output_dir / "7-verify.png"), full_page=True)


def test_a_patient_leaves_anonymous_feedback_on_a_phone(page: Any, phone_page: Any, output_dir: Path) -> None:
    from mentorfold.shadowing.models import PatientFeedback

    mentor = MentorProfileFactory(user__email="rivera@example.org", user__full_name="Maria Rivera")
    site = SiteFactory(name="Rainier Valley Community Clinic")
    site.mentors.add(mentor)

    # The mentor prints the poster with the QR code.
    log_in(page, "rivera@example.org")
    page.goto(f"/shadowing/feedback/{site.pk}/poster/?mentor={mentor.pk}")
    page.get_by_role("img", name="QR code that opens the feedback form").wait_for()
    page.screenshot(path=str(output_dir / "1-poster.png"), full_page=True)

    # A patient scans it: a comment with a phone number is refused and nothing is kept.
    phone_page.goto(f"/shadowing/feedback/{site.pk}/?mentor={mentor.pk}")
    phone_page.get_by_label("Yes, it was fine").check()
    phone_page.get_by_label("I got more time than usual").check()
    phone_page.get_by_label(re.compile("Anything else")).fill("Great visit, call me at 206-555-0134")
    phone_page.get_by_role("button", name="Send").click()
    phone_page.get_by_text("For your privacy we do not keep that").wait_for()
    phone_page.screenshot(path=str(output_dir / "2-refused.png"), full_page=True)
    assert PatientFeedback.objects.count() == 0
    phone_page.get_by_label(re.compile("Anything else")).fill("Great visit, the student was kind.")
    phone_page.get_by_role("button", name="Send").click()
    phone_page.get_by_role("heading", name="Thank you").wait_for()
    phone_page.screenshot(path=str(output_dir / "3-thanks.png"), full_page=True)
    feedback = PatientFeedback.objects.get()
    assert (feedback.q1_learner_ok, feedback.q2_enough_time, feedback.mentor) == ("yes", "more", mentor)
