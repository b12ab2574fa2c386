"""Journey: a physician finds the recruitment page, signs up, verifies e-mail, logs in, sees the mentor dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import link_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_becomes_a_mentor(page: Any, mailoutbox: list[Any], output_dir: Path) -> None:
    page.goto("/")
    page.get_by_role("link", name="Become a mentor").first.click()
    page.get_by_role("heading", name="Become a mentor").wait_for()
    page.screenshot(path=str(output_dir / "1-become-a-mentor.png"), full_page=True)
    page.get_by_role("link", name="Sign up as a mentor").click()

    page.get_by_label("Full name").fill("Grace Kim")
    page.get_by_label("Email").fill("grace.kim@example.org")
    assert page.get_by_label("Mentor (physician or resident)").is_checked()
    page.get_by_label("Specialty (mentors)").fill("Internal medicine")
    page.get_by_label("Password:", exact=True).fill("a-long-enough-Passw0rd")
    page.get_by_label("Password (again)").fill("a-long-enough-Passw0rd")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_text("Verify Your Email Address").first.wait_for()

    confirm = link_in(mailoutbox[-1], "confirm-email")
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("grace.kim@example.org")
    page.get_by_label("Password").fill("a-long-enough-Passw0rd")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Mentor dashboard").wait_for()
    assert "Internal medicine" in page.content()
    page.screenshot(path=str(output_dir / "2-mentor-dashboard.png"), full_page=True)


def test_home_page_works_on_a_phone(phone_page: Any, output_dir: Path) -> None:
    phone_page.goto("/")
    phone_page.get_by_role("button", name="Menu").click()
    phone_page.get_by_role("link", name="Log in").click()
    phone_page.get_by_label("Email").wait_for()
    # Keyboard: the skip link is the first thing a keyboard user reaches.
    phone_page.goto("/")
    phone_page.keyboard.press("Tab")
    focused = phone_page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused
    phone_page.screenshot(path=str(output_dir / "home-phone.png"), full_page=True)
