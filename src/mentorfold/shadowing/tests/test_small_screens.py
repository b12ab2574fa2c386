"""Issue #16: no shadowing page scrolls sideways on a 375 px phone; wide tables scroll inside their own box.

Runs Debian's Chromium through Playwright against the live test server, like tests/e2e (marked e2e, so it
runs in that pass).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from mentorfold.shadowing import services
from mentorfold.shadowing.models import PatientFeedback

from .factories import BookingFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
    }
    if (!clipped && box.right > root.clientWidth + 1) culprits.push(el.tagName + "." + el.className);
    if (culprits.length >= 5) break;
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, culprits};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
        )
        yield browser
        browser.close()


def _phone(browser: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def _assert_no_sideways_scroll(context: Any, paths: list[str]) -> None:
    page = context.new_page()
    problems = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.url.endswith(path), (path, page.url)  # not sent to a login or MFA page
        assert page.locator("link[href$='shadowing/shadowing.css']").count() == 1, path
        overflow = page.evaluate(OVERFLOW)
        if os.environ.get("SHADOWING_SCREENSHOTS"):
            page.screenshot(
                path=f"{os.environ['SHADOWING_SCREENSHOTS']}/{path.strip('/').replace('/', '_')}.png",
                full_page=True,
            )
        if overflow:
            problems[path] = overflow
    context.close()
    assert problems == {}, problems


def test_learner_pages_fit_a_375px_phone(
    browser: Any, live_server: Any, ready: Any, make_slot: Any, mentor: Any
) -> None:
    booking = services.booking_create(
        learner=ready, slot=make_slot(days=3, notes="Clinic starts 8:00. " * 10)
    )
    for day in range(4, 9):
        make_slot(days=day, capacity=2)
    past = BookingFactory(slot=make_slot(days=-2), learner=ready)
    services.hours_verify(booking=past, actor=mentor.user, now=past.slot.ends_at)
    certificate = services.certificate_issue(learner=ready)
    paths = [
        reverse("shadowing:home"),
        reverse("shadowing:booking_detail", args=[booking.pk]),
        reverse("shadowing:slot_detail", args=[booking.slot_id]),
        reverse("shadowing:hours"),
        reverse("shadowing:verify", args=[certificate.code]),
        reverse("shadowing:feed_settings"),
    ]
    _assert_no_sideways_scroll(_phone(browser, live_server, ready.user), paths)


def test_mentor_and_coordinator_pages_fit_a_375px_phone(
    browser: Any, live_server: Any, ready: Any, make_slot: Any, mentor: Any, coordinator: Any, site: Any
) -> None:
    booking = services.booking_create(learner=ready, slot=make_slot(days=2))
    past = BookingFactory(slot=make_slot(days=-1, hours=2), learner=ready)
    services.hours_verify(
        booking=past, actor=mentor.user, patients_consented=7, patients_declined=2, now=past.slot.ends_at
    )
    BookingFactory(slot=make_slot(days=-1.5, hours=1), learner=ready)  # still waiting for verification
    PatientFeedback.objects.create(
        site=site, mentor=mentor, q1_learner_ok="yes", q2_enough_time="yes", comment="Wonderful" * 30
    )
    mentor_paths = [
        reverse("shadowing:calendar"),
        reverse("shadowing:calendar") + "?view=month",
        reverse("shadowing:slot_new"),
        reverse("shadowing:pending"),
        reverse("shadowing:booking_detail", args=[booking.pk]),
        reverse("shadowing:patients_mine"),
        reverse("shadowing:feedback_poster", args=[site.pk]),
    ]
    _assert_no_sideways_scroll(_phone(browser, live_server, mentor.user), mentor_paths)
    services.booking_cancel(
        booking=booking, actor=ready.user, reason="Sick" * 40, now=booking.slot.starts_at - timedelta(hours=2)
    )
    coordinator_paths = [
        reverse("shadowing:home"),
        reverse("shadowing:patients_sites"),
        reverse("shadowing:feedback_moderation"),
        reverse("shadowing:feedback", args=[site.pk]),
    ]
    _assert_no_sideways_scroll(_phone(browser, live_server, coordinator), coordinator_paths)
