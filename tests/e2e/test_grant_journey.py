"""Journey: a medical student applies for a grant with a PDF; the coordinator assigns reviewers; two reviewers
score; the coordinator calibrates, runs the budget, freezes the decision and sends letters; the student sees
the award."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from mentorfold.accounts.tests.factories import TEST_PASSWORD, ReviewerProfileFactory
from mentorfold.grants import applications
from mentorfold.grants.models import Application, Assignment, GrantCycle
from mentorfold.grants.tests.factories import (
    PDF_BYTES,
    ApplicationFactory,
    AssignmentFactory,
    GrantCycleFactory,
    MedicalStudentFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def as_user(browser: Any, live_server: Any, user: Any) -> Any:
    """A browser tab already logged in as ``user`` (privileged roles have TOTP set up in the fixtures)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = context.new_page()
    tab.set_default_timeout(15000)
    return tab


def score_application(tab: Any, code: str, score: str, output: Path) -> None:
    tab.goto("/grants/review/")
    tab.get_by_role("link", name=code).click()
    for key in ("story", "community", "need", "plan"):
        tab.check(f"input[name=score_{key}][value='{score}']")
    tab.get_by_label("Comments on Personal story and resilience").fill("A moving, clear story.")
    tab.screenshot(path=str(output), full_page=True)
    tab.get_by_role("button", name="Submit review").click()
    tab.get_by_text("Your review is submitted.").wait_for()


def test_a_student_applies_and_receives_an_award(
    page: Any, browser: Any, live_server: Any, coordinator: Any, mailoutbox: list[Any], output_dir: Path
) -> None:
    cycle = GrantCycleFactory(
        name="Community Foundation Grants 2026", total_budget=20000, reviewers_per_application=2
    )
    applications.cycle_save(cycle=cycle, actor=coordinator)
    student = MedicalStudentFactory(user__email="nora@example.org", user__full_name="Nora Begay")
    first, second = (
        ReviewerProfileFactory(user__full_name="Dr. Ruth Ahmed", expertise="rural medicine, family medicine"),
        ReviewerProfileFactory(user__full_name="Dr. Tom Lee"),
    )
    for reviewer in (first, second):
        from mentorfold.accounts.tests.factories import add_totp

        add_totp(reviewer.user)
    # A reviewer from Nora's school: detected as a conflict, so never assigned to her.
    ReviewerProfileFactory(user__full_name="Dr. Same School", organization=student.school, max_load=0)
    # Earlier applications, already reviewed by both reviewers, give the calibration an overlap design.
    for k in range(5):
        other = ApplicationFactory(cycle=cycle, amount_requested=2000)
        for reviewer, bias in ((first, 0.0), (second, -0.5)):
            AssignmentFactory(application=other, reviewer=reviewer.user)
            ReviewFactory(application=other, reviewer=reviewer.user, total=3.0 + 0.3 * k + bias)

    # --- the student applies ---------------------------------------------------------------------------
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("nora@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto("/grants/")
    page.get_by_role("heading", name="Grants for medical students").wait_for()
    page.get_by_role("link", name="Check if you can apply").click()
    page.get_by_role("heading", name="Who can apply").wait_for()
    page.check("input[name=q_good_standing][value=yes]")
    page.check("input[name=q_not_funded_before][value=yes]")
    page.screenshot(path=str(output_dir / "1-eligibility.png"), full_page=True)
    page.get_by_role("button", name="Start my application").click()
    page.get_by_label("Personal statement").fill(
        "I grew up in a village in rural Alaska, four hours by plane from a hospital. I want to go back as a family doctor."
    )
    page.get_by_label("Financial need:", exact=True).fill("Tuition and travel to rural rotations.")
    page.get_by_label("Community involvement").fill("I run a weekly free clinic shift.")
    page.get_by_label("Amount requested (dollars)").fill("2500")
    page.get_by_label("What the money is for").fill("Travel to rotations in Bethel")
    page.get_by_label("Topics").fill("rural medicine")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Your draft is saved.").wait_for()
    page.get_by_label("Document type").select_option("Enrolment letter")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "enrolment.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}],
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Your document is uploaded.").wait_for()
    page.screenshot(path=str(output_dir / "2-application.png"), full_page=True)
    page.get_by_role("button", name="Submit application").click()
    page.get_by_text("Your application is submitted.").wait_for()
    application = Application.objects.get(applicant=student)
    assert application.status == Application.Status.SUBMITTED
    assert any(application.code in m.body for m in mailoutbox)

    # --- the coordinator runs the assignment -----------------------------------------------------------
    GrantCycle.objects.filter(pk=cycle.pk).update(status=GrantCycle.Status.REVIEW)
    boss = as_user(browser, live_server, coordinator)
    boss.goto(f"/grants/manage/cycles/{cycle.pk}/")
    boss.get_by_role("button", name="Run assignment").click()
    boss.get_by_role("link", name="See the result").click()
    boss.get_by_text("Proven optimal").wait_for()
    boss.screenshot(path=str(output_dir / "3-assignment.png"), full_page=True)
    assigned = set(Assignment.objects.filter(application=application).values_list("reviewer_id", flat=True))
    assert assigned == {first.user_id, second.user_id}

    # --- two reviewers score ---------------------------------------------------------------------------
    score_application(
        as_user(browser, live_server, first.user),
        f"Nora Begay ({application.code})",
        "5",
        output_dir / "4-review.png",
    )
    score_application(
        as_user(browser, live_server, second.user),
        f"Nora Begay ({application.code})",
        "4",
        output_dir / "4b-review.png",
    )

    # --- calibrate, budget, freeze, letters -------------------------------------------------------------
    boss.goto(f"/grants/manage/cycles/{cycle.pk}/decision/")
    boss.get_by_role("button", name="Calibrate scores").click()
    boss.get_by_text("Calibration done.").wait_for()
    boss.get_by_label("Lottery seed").fill("2026")
    boss.get_by_role("button", name="Run the budget").click()
    boss.get_by_text("Budget solved.").wait_for()
    boss.screenshot(path=str(output_dir / "5-decision.png"), full_page=True)
    boss.get_by_role("button", name="Freeze the decision").click()
    boss.get_by_text("The decision is frozen.").wait_for()
    boss.get_by_role("button", name="Replay").click()
    boss.get_by_text("Replay reproduced the frozen decision bit for bit.").wait_for()
    boss.screenshot(path=str(output_dir / "6-frozen-replayed.png"), full_page=True)
    boss.goto(f"/grants/manage/cycles/{cycle.pk}/letters/")
    boss.get_by_role("button", name="Send letters").click()
    boss.get_by_text("6 letters are being sent in the background.").wait_for()

    # --- the student sees the award -----------------------------------------------------------------------
    application.refresh_from_db()
    assert application.award_amount and application.award_amount > 0
    page.goto("/grants/")
    page.get_by_role("link", name=cycle.name).click()
    page.get_by_text(f"You are awarded ${int(application.award_amount):,}.").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your letter (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(output_dir / "7-award.png"), full_page=True)
    assert any("Congratulations" in m.body and m.to == ["nora@example.org"] for m in mailoutbox)
