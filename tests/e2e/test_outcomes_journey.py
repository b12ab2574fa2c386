"""Journey: a mentor answers the Mini-Z on a phone; the coordinator's burnout figure moves; the annual report
downloads and its first page renders."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from mentorfold.accounts.tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_SECRET,
    MentorProfileFactory,
    UserFactory,
)
from mentorfold.outcomes.models import SurveyInvitation, SurveyResponse, SurveySchedule
from mentorfold.outcomes.tests.factories import SurveyInvitationFactory, SurveyScheduleFactory
from tests.e2e.totp import fresh_totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def _answered(schedule: SurveySchedule, burned_out: int, fine: int) -> None:
    """Mentors who already sent the survey (scores stored as the service stores them)."""
    now = timezone.now()
    for n in range(burned_out + fine):
        scores = {"burnout": n < burned_out}
        invitation = SurveyInvitation.objects.create(
            schedule=schedule, user=UserFactory(), due_on=schedule.due_on, completed_at=now
        )
        SurveyResponse.objects.create(
            invitation=invitation,
            answers={"mini_z_3": 4 if n < burned_out else 1},
            scores=scores,
            **SurveyResponse.score_columns(scores),
        )


def _baseline_row(page: Any) -> list[str]:
    """The 'start of term' row of the burnout table: label, people, burned out, not, share, low, high."""
    page.goto("/outcomes/")
    label = str(SurveySchedule.Kind(SurveySchedule.Kind.MENTOR_BASELINE).label)
    chart = page.locator("#chart-burnout")
    row = chart.locator("tr", has=page.locator("th, td", has_text=label)).first
    return [cell.strip() for cell in row.locator("th, td").all_inner_texts()]


def test_a_mentor_answers_on_a_phone_and_the_coordinator_sees_the_figure_move(
    browser: Any, page: Any, live_server: Any, coordinator: Any, output_dir: Path
) -> None:
    cache.clear()  # charts cached by an earlier test in this process belong to another database
    schedule = SurveyScheduleFactory(kind=SurveySchedule.Kind.MENTOR_BASELINE, instruments=["mini_z"])
    _answered(schedule, burned_out=10, fine=12)  # every cell ≥ 10, so none is hidden
    mentor = MentorProfileFactory(user__full_name="Maria Rivera", user__email="rivera@example.org")
    invitation = SurveyInvitationFactory(schedule=schedule, user=mentor.user)

    # The coordinator sees 22 answers, 10 of them burned out.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(fresh_totp_code(TEST_TOTP_SECRET))
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Hello", exact=False).first.wait_for()
    before = _baseline_row(page)
    assert before[1:4] == ["22", "10", "12"], before

    # The mentor opens her personal link on a phone and answers (she reports burnout: answer 3).
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    tab = phone.new_page()
    tab.set_default_timeout(15000)
    tab.goto(f"/outcomes/s/{invitation.token}/")
    tab.get_by_role("heading", name="How work is going").wait_for()
    assert tab.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    tab.get_by_label("I am definitely burning out", exact=False).check()
    tab.get_by_role("button", name="Save for later").click()
    tab.get_by_text("Saved. You can close this page").wait_for()
    # A partial save is kept: the page comes back with her answer chosen.
    assert tab.get_by_label("I am definitely burning out", exact=False).is_checked()
    tab.screenshot(path=str(output_dir / "1-mentor-survey-phone.png"), full_page=True)
    tab.get_by_role("button", name="Send my answers").click()
    tab.get_by_text("Thank you! Your answers were sent.").wait_for()
    tab.screenshot(path=str(output_dir / "2-mentor-sent.png"), full_page=True)
    phone.close()
    response = SurveyResponse.objects.get(invitation=invitation)
    assert response.answers.get("mini_z_3") == 3 and response.burnout is True

    # The coordinator's figure moves to 23 answers, 11 burned out; the report downloads and renders.
    after = _baseline_row(page)
    assert after[1:4] == ["23", "11", "12"], after
    page.screenshot(path=str(output_dir / "3-coordinator-dashboard.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Annual report (PDF)").click()
    pdf = output_dir / "annual-report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(output_dir / "4-report-page")],
        check=True,
    )
    assert any(output_dir.glob("4-report-page*.png"))
