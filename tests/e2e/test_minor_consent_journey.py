"""Journey: a minor applies, their guardian gets the e-mail and signs consent, a coordinator approves, and the
learner's dashboard says "Ready to be matched"."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mentorfold.accounts.models import Role
from mentorfold.accounts.tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_SECRET,
    GuardianLinkFactory,
    UserFactory,
    add_totp,
)
from mentorfold.programs import services
from mentorfold.programs.models import Enrollment, RequirementRecord
from mentorfold.programs.tests.factories import SiteFactory, TermFactory
from tests.e2e.totp import fresh_totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page: Any, email: str, totp_secret: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        page.get_by_label("Code").fill(fresh_totp_code(totp_secret))
        page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Hello", exact=False).first.wait_for()


def test_minor_guardian_consent_to_ready_to_be_matched(
    browser: Any, page: Any, live_server: Any, mailoutbox: list[Any], output_dir: Path
) -> None:
    program = services.program_create(
        actor=None,
        name="High-school summer shadowing",
        slug="summer-shadowing",
        description="Six summer weeks shadowing a family physician in a community clinic.",
        eligible_stages=["high_school"],
        min_age=16,
    )
    program.sites.add(SiteFactory(name="Rainier Valley Community Clinic"))
    TermFactory(program=program, name="Summer 2027")
    link = GuardianLinkFactory(
        guardian__email="lan.tran@example.org",
        guardian__full_name="Lan Tran",
        learner__user__email="minh.tran@example.org",
        learner__user__full_name="Minh Tran",
    )
    coordinator = UserFactory(
        email="coordinator@example.org", full_name="Jordan Ellis", roles=[Role.COORDINATOR]
    )
    add_totp(coordinator)

    # 1. Minh finds the program and applies.
    _log_in(page, "minh.tran@example.org")
    page.goto("/programs/")
    page.get_by_role("link", name="High-school summer shadowing").click()
    page.get_by_role("link", name="Apply for Summer 2027").click()
    page.get_by_label("Why do you want to take part?").fill("I want to see how a family doctor helps people.")
    page.get_by_label("Monday morning").check()
    page.get_by_role("button", name="Send my application").click()
    page.get_by_text("Your application was sent").wait_for()
    page.screenshot(path=str(output_dir / "1-minor-applied-dashboard.png"), full_page=True)

    # Minh signs the confidentiality agreement and confirms orientation.
    page.get_by_role("link", name="Requirements").first.click()
    for name in ("Confidentiality (HIPAA) agreement", "Orientation"):
        page.get_by_role("row", name=name).get_by_role("link", name="Read and sign").click()
        page.get_by_label("Type your full name to sign").fill("Minh Tran")
        page.get_by_label("I have read the text above and I agree.").check()
        page.get_by_role("button", name="Sign").click()
        page.get_by_text("Signed. A coordinator will review it.").wait_for()
    page.screenshot(path=str(output_dir / "2-minor-requirements.png"), full_page=True)

    # 2. Lan receives the e-mail and signs consent.
    consent_mail = next(m for m in mailoutbox if m.to == ["lan.tran@example.org"])
    assert "Minh Tran" in consent_mail.subject
    # The e-mail carries SITE_URL's host; the test server runs elsewhere, so follow the link's path.
    consent_link = urlsplit(next(w for w in consent_mail.body.split() if "/programs/consent/" in w)).path
    guardian_context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    guardian_page = guardian_context.new_page()
    _log_in(guardian_page, "lan.tran@example.org")
    guardian_page.goto(consent_link)
    guardian_page.get_by_role("heading", name="Consent for Minh Tran").wait_for()
    assert "At most 40 hours" in guardian_page.content()
    guardian_page.screenshot(path=str(output_dir / "3-guardian-consent-page-phone.png"), full_page=True)
    guardian_page.get_by_label("Type your full name to sign").fill("Lan Tran")
    guardian_page.get_by_label("I have read the text above and I agree.").check()
    guardian_page.get_by_role("button", name="Sign consent").click()
    guardian_page.get_by_text("Your consent for Minh Tran is recorded").wait_for()
    guardian_context.close()
    record = RequirementRecord.objects.get(requirement__kind="guardian_consent")
    assert record.signed_by == link.guardian and record.signed_ip == "127.0.0.1"

    # 3. The coordinator approves the three submissions and accepts the application.
    coordinator_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1200, "height": 900}
    )
    coordinator_page = coordinator_context.new_page()
    _log_in(coordinator_page, "coordinator@example.org", TEST_TOTP_SECRET)
    coordinator_page.goto("/programs/manage/queue/")
    coordinator_page.get_by_text("3 submissions are waiting for review").wait_for()
    coordinator_page.screenshot(path=str(output_dir / "4-coordinator-queue.png"), full_page=True)
    for name in ("Confidentiality (HIPAA) agreement", "Orientation", "Parent or guardian consent"):
        coordinator_page.get_by_role("button", name=f"Approve {name} for Minh Tran").click()
        coordinator_page.get_by_text(f"Saved: {name}.").wait_for()
    coordinator_page.get_by_text("Nothing is waiting").wait_for()
    coordinator_page.goto("/programs/manage/enrollments/?status=applied")
    coordinator_page.get_by_role("button", name="Accept Minh Tran").click()
    coordinator_page.get_by_text("Decision saved.").wait_for()
    coordinator_context.close()
    assert Enrollment.objects.get().status == Enrollment.Status.ACCEPTED

    # 4. Minh's dashboard says he is ready to be matched.
    page.goto("/dashboard/")
    page.get_by_text("Ready to be matched").wait_for()
    page.screenshot(path=str(output_dir / "5-minor-ready-to-be-matched.png"), full_page=True)
