"""Journey: a minor's guardian logs in, opens Messages, reads the conversation between the mentor and her
child (with the plain notice of who can read it), and replies; on a phone the page does not scroll sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mentorfold.accounts.tests.factories import TEST_PASSWORD, GuardianLinkFactory, MentorProfileFactory
from mentorfold.matching.tests.factories import MentorshipFactory
from mentorfold.messaging import services
from mentorfold.messaging.models import Thread

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Hello", exact=False).first.wait_for()


def test_guardian_reads_the_thread_between_the_mentor_and_her_child(
    page: Any, phone_page: Any, output_dir: Path
) -> None:
    link = GuardianLinkFactory(
        guardian__email="lan.tran@example.org",
        guardian__full_name="Lan Tran",
        learner__user__email="minh.tran@example.org",
        learner__user__full_name="Minh Tran",
    )
    mentor = MentorProfileFactory(user__email="dr.rivera@example.org", user__full_name="Maria Rivera")
    mentorship = MentorshipFactory(mentor=mentor, learner=link.learner)
    thread = services.thread_create(
        mentorship=mentorship,
        actor=mentor.user,
        subject="Getting ready for the summer",
        body="Hello Minh! What would you like to see **first**?",
    )
    services.message_post(thread=thread, actor=link.learner.user, body="A well-child visit, please.")

    _log_in(page, "lan.tran@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    page.get_by_role("link", name="Getting ready for the summer").click()
    page.get_by_role("heading", name="Getting ready for the summer").wait_for()
    page.get_by_text(
        "Because Minh is under 18, Minh's guardian Lan Tran can read this conversation, "
        "and so can the society's coordinators."
    ).wait_for()
    page.get_by_text("A well-child visit, please.").wait_for()
    assert page.locator(".message-body strong").first.inner_text() == "first"
    assert "minh.tran@example.org" not in page.content()
    page.screenshot(path=str(output_dir / "1-guardian-reads-thread.png"), full_page=True)

    page.get_by_role("textbox", name="Message:", exact=True).fill(
        "Thank you, Dr. Rivera. I will drive her on Tuesdays."
    )
    page.get_by_role("button", name="Send").click()
    page.get_by_text("I will drive her on Tuesdays.").wait_for()
    assert Thread.objects.get().messages.filter(author=link.guardian).count() == 1

    _log_in(phone_page, "lan.tran@example.org")
    phone_page.goto(f"/messages/threads/{thread.pk}/")
    phone_page.get_by_role("heading", name="Getting ready for the summer").wait_for()
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    phone_page.screenshot(path=str(output_dir / "2-guardian-thread-phone.png"), full_page=True)
