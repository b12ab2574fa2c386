"""Journey (issue 11 §1): from a database with only a coordinator created on the command line, the society sets
up a clinic site, a program and a term, invites a mentor, accepts a learner, matches and publishes the term, and
the learner's clinic visit ends as verified hours. Everything is done through the pages a person would use."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from mentorfold.accounts.models import MentorProfile, User
from mentorfold.accounts.services import mentor_profile_create
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Enrollment, Program, Site, Term
from mentorfold.shadowing.models import Booking, Slot
from tests.e2e.totp import fresh_totp_code

from .conftest import RESULTS, link_in

pytestmark = pytest.mark.django_db(transaction=True)

COORDINATOR_PASSWORD = "Society-setup-2027!"
MENTOR_PASSWORD = "Mentor-clinic-2027!"
LEARNER_PASSWORD = "Learner-premed-2027!"
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _new_page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30000)
    return page


def _shot(page: Any, output_dir: Path, name: str) -> None:
    page.screenshot(path=str(output_dir / f"{name}.png"), full_page=True)


def _success(page: Any, text: str | re.Pattern[str]) -> None:
    try:
        page.get_by_text(text).first.wait_for()
    except Exception:
        # Keep what the person saw instead of the expected message, to read the failure.
        page.screenshot(path=str(RESULTS / "last-failure.png"), full_page=True)
        raise


def _advance(page: Any, term: Term, to_label: str) -> None:
    page.goto(f"/programs/manage/terms/{term.pk}/")
    page.get_by_role("button", name=f"Move to: {to_label}").click()
    _success(page, f"is now: {to_label}.")


def test_society_sets_up_a_term_and_a_learner_gets_verified_hours(
    browser: Any, page: Any, live_server: Any, mailoutbox: list[Any], output_dir: Path
) -> None:
    today = timezone.localdate()

    # 1. The society's only account: a coordinator made with the command, who chooses a password and sets up
    #    an authenticator app on first sign-in.
    out = io.StringIO()
    call_command("create_coordinator", email="jordan.ellis@example.org", name="Jordan Ellis", stdout=out)
    assert User.objects.count() == 1
    password_link = urlsplit(re.search(r"https?://\S+", out.getvalue()).group(0)).path
    coordinator = page
    coordinator.goto(password_link)
    coordinator.locator("input[name=password1]").fill(COORDINATOR_PASSWORD)
    coordinator.locator("input[name=password2]").fill(COORDINATOR_PASSWORD)
    coordinator.get_by_role("button", name="Change Password").click()
    coordinator.get_by_text("Your password is now changed.").wait_for()
    _shot(coordinator, output_dir, "01-password-chosen")
    coordinator.goto("/accounts/login/")
    coordinator.get_by_label("Email").fill("jordan.ellis@example.org")
    coordinator.get_by_label("Password").fill(COORDINATOR_PASSWORD)
    coordinator.get_by_role("button", name="Sign In").click()
    coordinator.wait_for_load_state()
    coordinator.goto("/programs/manage/programs/")
    # Privileged pages send the coordinator to set up the authenticator first.
    if "/reauthenticate/" in coordinator.url:
        coordinator.get_by_label("Password").fill(COORDINATOR_PASSWORD)
        coordinator.get_by_role("button", name="Confirm").click()
    coordinator.get_by_role("heading", name="Activate Authenticator App").wait_for()
    secret = coordinator.locator("#authenticator_secret").input_value()
    _shot(coordinator, output_dir, "02-authenticator")
    coordinator.get_by_label("Authenticator code").fill(fresh_totp_code(secret))
    coordinator.get_by_role("button", name="Activate").click()
    coordinator.wait_for_load_state()
    coordinator.goto("/programs/manage/programs/")
    coordinator.get_by_role("heading", name="Programs and terms").wait_for()

    # 2. A clinic site, a program that uses it, and a term.
    coordinator.get_by_role("link", name="Clinic sites").click()
    coordinator.get_by_role("link", name="New clinic site").click()
    coordinator.locator("#id_site-name").fill("Rainier Valley Community Clinic")
    coordinator.locator("#id_site-city").fill("Seattle")
    # No extra requirements: the blank "add a requirement" row is left as it is.
    coordinator.get_by_role("button", name="Create the site").click()
    _success(coordinator, "Rainier Valley Community Clinic was saved.")
    _shot(coordinator, output_dir, "03-site")
    site = Site.objects.get()

    coordinator.goto("/programs/manage/programs/")
    coordinator.get_by_role("link", name="New program").click()
    coordinator.locator("#id_name").fill("Pre-med clinical exposure")
    coordinator.locator("#id_slug").fill("pre-med-clinical")
    coordinator.locator("#id_description").fill(
        "Undergraduates shadow a family physician in a community clinic."
    )
    coordinator.get_by_label("Undergraduate / pre-med").check()
    coordinator.get_by_label("Rainier Valley Community Clinic").check()
    coordinator.get_by_role("button", name="Create the program").click()
    _success(coordinator, "Pre-med clinical exposure was created. Add its first term.")
    _shot(coordinator, output_dir, "04-program")
    program = Program.objects.get()
    assert list(program.sites.all()) == [site]

    coordinator.get_by_role("link", name="New term").click()
    now = timezone.localtime()
    coordinator.locator("#id_name").fill("Spring 2027")
    coordinator.locator("#id_application_opens").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    # Applications close before the term's first day (the term form's rule), so the term starts tomorrow.
    closes = now.replace(hour=23, minute=30) if now.hour < 23 else now + timedelta(minutes=20)
    coordinator.locator("#id_application_closes").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    starts_on = timezone.localdate(closes) + timedelta(days=1)
    coordinator.locator("#id_starts_on").fill(starts_on.isoformat())
    coordinator.locator("#id_ends_on").fill((starts_on + timedelta(days=60)).isoformat())
    coordinator.get_by_role("button", name="Create the term").click()
    _success(coordinator, "Spring 2027 was created as a draft.")
    term = Term.objects.get()
    _advance(coordinator, term, "Open for applications")
    _shot(coordinator, output_dir, "05-term-open")
    term.refresh_from_db()
    assert term.status == Term.Status.OPEN

    # 3. The coordinator invites a mentor; she opens the e-mailed link in her own browser and signs up.
    coordinator.goto("/people/invite/")
    coordinator.get_by_label("E-mail").fill("maria.rivera@example.org")
    coordinator.get_by_label("Name").fill("Maria Rivera")
    coordinator.get_by_label("Role").select_option("mentor")
    coordinator.get_by_role("button", name="Send invitation").click()
    _success(coordinator, "Invitation sent to maria.rivera@example.org.")
    _shot(coordinator, output_dir, "06-invited")
    invitation_mail = next(m for m in mailoutbox if m.to == ["maria.rivera@example.org"])
    invitation_path = urlsplit(link_in(invitation_mail, "/invitations/")).path

    mentor = _new_page(browser, live_server)
    mentor.goto(invitation_path)
    mentor.get_by_role("heading", name="Accept your invitation").wait_for()
    mentor.get_by_label("Choose a password").fill(MENTOR_PASSWORD)
    mentor.get_by_label("Type the password again").fill(MENTOR_PASSWORD)
    mentor.get_by_role("button", name="Accept and continue").click()
    _success(mentor, "Welcome to Mentorfold!")
    _shot(mentor, output_dir, "07-mentor-welcome")
    # GAP (reported): accepting a mentor invitation gives the mentor role but no mentor profile, so the mentor
    # dashboard is empty and /profile/ answers 404; no page lets her create it. Done with the service until the
    # invitation (or a "complete your profile" page) creates it; then this is skipped.
    maria = User.objects.get(email="maria.rivera@example.org")
    if not MentorProfile.objects.filter(user=maria).exists():
        mentor_profile_create(user=maria, specialty="Family medicine")
    mentor.goto("/profile/")
    mentor.locator("#id_specialty").fill("Family medicine")
    for box in mentor.locator("input[name=hosting_weekdays]").all():
        box.check()
    mentor.get_by_role("button", name="Save", exact=True).click()
    _success(mentor, "Your profile is saved.")
    mentor.goto("/dashboard/")
    mentor.get_by_role("link", name="Take part").first.click()
    mentor.get_by_role("heading", name="Take part in").wait_for()
    mentor.get_by_label("Learners you can take this term").fill("1")
    mentor.get_by_role("button", name="Save").click()
    _success(mentor, "You are taking part in")
    _shot(mentor, output_dir, "08-mentor-takes-part")
    mentor_profile = MentorProfile.objects.get(user__email="maria.rivera@example.org")
    # The program asks mentors for a background check: she uploads it for the coordinator to review.
    mentor.get_by_role("link", name="Requirements").first.click()
    mentor.get_by_role("row", name="Background check").get_by_role("link", name="Upload").click()
    mentor.get_by_label("File (PDF, JPEG or PNG, up to 10 MB)").set_input_files(
        files=[{"name": "background-check.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}]
    )
    mentor.get_by_label("Date of the test or record").fill(today.isoformat())
    mentor.get_by_role("button", name="Upload").click()
    _success(mentor, "Uploaded. A coordinator will review it.")

    coordinator.goto("/people/mentors/")
    coordinator.get_by_role("link", name=re.compile("Maria Rivera")).first.click()
    coordinator.get_by_role("heading", name="Onboarding checklist").wait_for()
    coordinator.get_by_label("Orientation date").fill(today.isoformat())
    coordinator.get_by_role("button", name="Record orientation").click()
    _success(coordinator, "Orientation recorded.")
    licence = coordinator.locator("form[action$='/onboarding/licence/']")
    licence.get_by_label("Licence state").select_option("WA")
    licence.get_by_label("Licence number").fill("MD60123456")
    licence.get_by_label("Verified on").fill(today.isoformat())
    licence.get_by_role("button", name="Save licence check").click()
    _success(coordinator, "Licence verified.")
    coordinator.get_by_role("button", name="Activate mentor", exact=True).click()
    _success(coordinator, "Mentor activated: they can now publish slots and be matched.")
    _shot(coordinator, output_dir, "09-mentor-activated")
    mentor_profile.refresh_from_db()
    assert mentor_profile.status == MentorProfile.Status.ACTIVE
    # Matching offers a mentor only at their clinic sites: the coordinator places her at the new site.
    sites_form = coordinator.locator("form[action$='/onboarding/sites/']")
    sites_form.get_by_label(site.name).check()
    sites_form.get_by_role("button", name="Save clinic sites").click()
    _success(coordinator, "Clinic sites saved.")
    assert list(mentor_profile.sites.all()) == [site]

    # 4. A learner signs up, confirms her e-mail, applies, signs the program's agreements.
    learner = _new_page(browser, live_server)
    learner.goto("/accounts/signup/")
    learner.get_by_label("Full name").fill("Amina Hassan")
    learner.get_by_label("Email").fill("amina.hassan@example.org")
    learner.get_by_label("Learner", exact=True).check()
    learner.get_by_label("Where are you on your path? (learners)").select_option("undergraduate")
    learner.get_by_label("Date of birth (learners)").fill(
        today.replace(year=today.year - 20, day=1).isoformat()
    )
    learner.get_by_label("Password:", exact=True).fill(LEARNER_PASSWORD)
    learner.get_by_label("Password (again)").fill(LEARNER_PASSWORD)
    learner.get_by_role("button", name="Sign Up").click()
    learner.get_by_text("Verify Your Email Address").first.wait_for()
    confirm_mail = next(m for m in mailoutbox if m.to == ["amina.hassan@example.org"])
    learner.goto(urlsplit(link_in(confirm_mail, "confirm-email")).path)
    learner.get_by_role("button", name="Confirm").click()
    learner.goto("/accounts/login/")
    learner.get_by_label("Email").fill("amina.hassan@example.org")
    learner.get_by_label("Password").fill(LEARNER_PASSWORD)
    learner.get_by_role("button", name="Sign In").click()
    learner.get_by_role("heading", name="Hello", exact=False).first.wait_for()
    learner.goto("/programs/")
    learner.get_by_role("link", name="Pre-med clinical exposure").click()
    learner.get_by_role("link", name="Apply for Spring 2027").click()
    learner.get_by_label("Why do you want to take part?").fill(
        "I want to see how a family doctor cares for people."
    )
    learner.get_by_label("Monday morning").check()
    learner.get_by_role("button", name="Send my application").click()
    _success(learner, "Your application was sent")
    _shot(learner, output_dir, "10-learner-applied")
    learner.get_by_role("link", name="Requirements").first.click()
    for name in ("Confidentiality (HIPAA) agreement", "Orientation"):
        learner.get_by_role("row", name=name).get_by_role("link", name="Read and sign").click()
        learner.get_by_label("Type your full name to sign").fill("Amina Hassan")
        learner.get_by_label("I have read the text above and I agree.").check()
        learner.get_by_role("button", name="Sign").click()
        _success(learner, "Signed. A coordinator will review it.")

    # The coordinator approves the agreements in the compliance queue and accepts the application.
    coordinator.goto("/programs/manage/queue/")
    coordinator.get_by_role("button", name="Approve Background check for Maria Rivera").click()
    _success(coordinator, "Saved: Background check.")
    for name in ("Confidentiality (HIPAA) agreement", "Orientation"):
        coordinator.get_by_role("button", name=f"Approve {name} for Amina Hassan").click()
        _success(coordinator, f"Saved: {name}.")
    coordinator.get_by_text("Nothing is waiting").wait_for()
    coordinator.goto("/programs/manage/enrollments/?status=applied")
    coordinator.get_by_role("button", name="Accept Amina Hassan").click()
    _success(coordinator, "Decision saved.")
    _shot(coordinator, output_dir, "11-application-accepted")
    assert Enrollment.objects.get(term=term).status == Enrollment.Status.ACCEPTED

    # 5. Matching: the learner ranks the mentor, the coordinator runs and publishes a stable match.
    # Rankings are open only while the term is open for applications, so the learner ranks before "Matching".
    learner.goto(f"/matching/terms/{term.pk}/rank/")
    learner.get_by_role("heading", name="Rank mentors").wait_for()
    learner.get_by_role("button", name=re.compile("Add .*Maria Rivera to my list")).click()
    learner.locator("#ranking li", has_text="Maria Rivera").wait_for()
    _shot(learner, output_dir, "12-learner-ranks")

    _advance(coordinator, term, "Matching")
    coordinator.goto(f"/matching/terms/{term.pk}/runs/")
    coordinator.get_by_label("Method").select_option("stable")
    coordinator.get_by_role("button", name="Start the run").click()
    coordinator.get_by_role("heading", name="Match run #").wait_for()
    coordinator.get_by_text("0 blocking pairs — stable").first.wait_for()
    coordinator.get_by_role("link", name="Publish this run").click()
    coordinator.get_by_label("I checked the result and want to publish it").check()
    coordinator.get_by_role("button", name="Publish now").click()
    _success(coordinator, "Published: 1 mentorship created")
    _shot(coordinator, output_dir, "13-published")
    assert Mentorship.objects.filter(term=term, learner__user__email="amina.hassan@example.org").exists()
    _advance(coordinator, term, "Active")
    term.refresh_from_db()
    assert term.status == Term.Status.ACTIVE

    # 6. The mentor publishes a clinic session on a term day; the learner books it.
    mentor.goto("/shadowing/slots/new/")
    mentor.locator("#id_site").select_option(label="Rainier Valley Community Clinic")
    mentor.locator("#id_program").select_option(label="Pre-med clinical exposure")
    mentor.locator("#id_day").fill(starts_on.isoformat())
    mentor.locator("#id_start").fill("09:00")
    mentor.locator("#id_end").fill("12:00")
    mentor.get_by_label("Notes for learners").fill("Clinic starts 8:45, wear closed-toe shoes.")
    mentor.get_by_role("button", name="Publish", exact=True).click()
    _success(mentor, "1 slot published.")
    _shot(mentor, output_dir, "14-slot-published")
    slot = Slot.objects.get(mentor=mentor_profile)

    learner.goto("/shadowing/")
    learner.get_by_role("heading", name="Times you can book").wait_for()
    learner.get_by_role("link", name=re.compile("See and book")).first.click()
    learner.get_by_role("button", name="Book this time").click()
    _success(learner, "Booked! We sent the details to your e-mail.")
    _shot(learner, output_dir, "15-learner-booked")

    # The visit happens: the session moves into the past (nothing in the UI can make time pass).
    earlier = slot.starts_at - (timezone.now() - timedelta(hours=4))
    Slot.objects.filter(pk=slot.pk).update(starts_at=slot.starts_at - earlier, ends_at=slot.ends_at - earlier)

    mentor.goto("/shadowing/pending/")
    mentor.get_by_role("cell", name="Amina Hassan", exact=True).wait_for()
    _shot(mentor, output_dir, "16-mentor-pending")
    mentor.get_by_role("button", name=re.compile("Verify 180 minutes")).click()
    _success(mentor, "Hours verified for Amina Hassan.")
    booking = Booking.objects.get(slot=slot)
    assert (booking.status, booking.verified_minutes, booking.verified_by) == (
        Booking.Status.COMPLETED,
        180,
        mentor_profile.user,
    )

    learner.goto("/shadowing/hours/")
    assert learner.locator("#total-hours").inner_text() == "3"
    _shot(learner, output_dir, "17-learner-hours")
