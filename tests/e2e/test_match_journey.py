"""Journey: a learner ranks three mentors, the coordinator runs a stable match and publishes it, the learner
sees their mentor and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching.models import MentorDecision, Preference
from mentorfold.matching.tests.factories import TermFactory, join_term

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, base_url: str, user: Any) -> None:
    """Reuse a server-side session (the coordinator's MFA step is covered by the accounts journeys)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url + "/"}])


def test_learner_ranks_coordinator_matches_and_publishes(
    page: Any, live_server: Any, learner: Any, coordinator: Any, mailoutbox: list[Any], output_dir: Path
) -> None:
    term = TermFactory(name="Summer 2027", program__name="Summer shadowing")
    rivera = MentorProfileFactory(user__full_name="Maria Rivera", specialty="Family medicine")
    ali = MentorProfileFactory(user__full_name="Omar Ali", specialty="Pediatrics")
    kim = MentorProfileFactory(user__full_name="Grace Kim", specialty="Cardiology")
    rival = LearnerProfileFactory(user__full_name="Diego Flores")
    join_term(term, learners=[learner, rival], mentors=[rivera, ali, kim])
    Preference.objects.create(term=term, learner=rival, mentor=rivera, rank=1)
    MentorDecision.objects.create(term=term, mentor=rivera, learner=rival, rank=1)

    log_in(page, live_server.url, learner.user)
    page.goto(f"/matching/terms/{term.pk}/rank/")
    page.get_by_role("heading", name="Rank mentors").wait_for()
    for name in ["Dr. Grace Kim", "Dr. Maria Rivera", "Dr. Omar Ali"]:
        page.get_by_role("button", name=f"Add {name} to my list").click()
        page.locator("#ranking li", has_text=name).wait_for()
    # Keyboard: focus "Move Dr. Maria Rivera up" and press Enter -> Rivera becomes first choice.
    page.get_by_role("button", name="Move Dr. Maria Rivera up").focus()
    page.keyboard.press("Enter")
    page.locator("#ranking li").first.filter(has_text="Maria Rivera").wait_for()
    # The focus stays with Rivera (now first, so on "Move down"), and the chosen mentors left the add-list.
    page.wait_for_function("document.activeElement && document.activeElement.getAttribute('aria-label')")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move Dr. Maria Rivera down"
    assert page.get_by_role("button", name="Add Dr. Grace Kim to my list").count() == 0
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(output_dir / "1a-learner-ranks-375px.png"), full_page=True)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(output_dir / "1-learner-ranks.png"), full_page=True)
    assert list(
        Preference.objects.filter(learner=learner)
        .order_by("rank")
        .values_list("mentor__user__full_name", flat=True)
    ) == ["Maria Rivera", "Grace Kim", "Omar Ali"]

    # The mentor sees who chose them and answers (keyboard-usable form); never other mentors' answers.
    log_in(page, live_server.url, rivera.user)
    page.goto(f"/matching/terms/{term.pk}/requests/")
    page.get_by_role("heading", name="Learners who chose you").wait_for()
    assert "Amina Hassan" in page.content() and "Diego Flores" in page.content()
    page.screenshot(path=str(output_dir / "1b-mentor-requests.png"), full_page=True)

    log_in(page, live_server.url, coordinator)
    page.goto(f"/matching/terms/{term.pk}/runs/")
    page.get_by_label("Method").select_option("stable")
    page.get_by_role("button", name="Start the run").click()
    page.get_by_role("heading", name="Match run #").wait_for()
    page.get_by_role("progressbar").wait_for()
    page.get_by_text("0 blocking pairs — stable").first.wait_for()
    page.screenshot(path=str(output_dir / "2-run-result.png"), full_page=True)
    page.get_by_role("link", name="Publish this run").click()
    page.get_by_label("I checked the result and want to publish it").check()
    page.get_by_role("button", name="Publish now").click()
    page.get_by_text("Published: 2 mentorships created").first.wait_for()
    assert any(learner.user.email in m.to for m in mailoutbox)
    page.get_by_role("link", name="All runs of this term").click()
    page.get_by_role("heading", name="Side by side").wait_for()
    page.screenshot(path=str(output_dir / "2b-runs.png"), full_page=True)

    log_in(page, live_server.url, learner.user)
    page.goto(f"/matching/terms/{term.pk}/my-match/")
    page.get_by_text("You are matched with Dr. Grace Kim").wait_for()
    body = page.content()
    assert "Dr. Grace Kim was your 2nd choice." in body
    assert "Dr. Maria Rivera, was full with learners they ranked higher" in body
    assert "Diego" not in body
    page.screenshot(path=str(output_dir / "3-learner-match.png"), full_page=True)
