"""Journey: a learner asks, the mentor answers and adds a glossary term, the learner reviews it as a flashcard by
keyboard, and the mentor records something they learned from the learner."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mentorfold.accounts.tests.factories import TEST_PASSWORD, LearnerProfileFactory, MentorProfileFactory
from mentorfold.learning.models import Flashcard, Question, TeachingMoment
from mentorfold.matching.tests.factories import MentorshipFactory, TermFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/", timeout=60000)  # the first request warms the server up on a busy machine
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # "attached": on a phone the menu (with "Log out") is folded away behind the Menu button.
    page.get_by_role("button", name="Log out", include_hidden=True).wait_for(state="attached")


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_learner_asks_mentor_answers_and_learner_reviews_a_flashcard(page: Any, output_dir: Path) -> None:
    mentor = MentorProfileFactory(user__email="rivera@example.org", user__full_name="Maria Rivera")
    learner = LearnerProfileFactory(user__email="amina@example.org", user__full_name="Amina Hassan", age=20)
    MentorshipFactory(term=TermFactory(), mentor=mentor, learner=learner)

    # The learner asks her mentor.
    log_in(page, "amina@example.org")
    page.get_by_role("link", name="Learning", exact=True).click()
    page.get_by_role("link", name="Ask a question").first.click()
    page.get_by_label("Who should answer?").select_option(label="My mentor, Dr. Maria Rivera")
    page.get_by_label("Your question in one line").fill("What does NPO mean?")
    page.get_by_role("button", name="Send question").click()
    page.get_by_text("Your question was sent.").wait_for()
    page.screenshot(path=str(output_dir / "1-asked.png"), full_page=True)
    log_out(page)

    # The mentor answers in Markdown, then adds a glossary term and a teaching moment.
    log_in(page, "rivera@example.org")
    page.get_by_role("link", name="Learning", exact=True).click()
    page.get_by_role("link", name="What does NPO mean?").click()
    page.get_by_role("textbox", name="Your answer").fill("**Nothing by mouth** before a procedure.")
    page.get_by_role("button", name="Save answer").click()
    page.get_by_text("Your answer was saved.").wait_for()
    assert page.locator("#answer strong").inner_text() == "Nothing by mouth"
    page.get_by_role("link", name="Learning", exact=True).click()
    page.get_by_role("link", name=re.compile("Amina Hassan")).click()
    page.get_by_text("Add a term").click()
    page.get_by_role("textbox", name=re.compile("^Term:?$")).fill("NPO")
    page.get_by_role("textbox", name="Plain meaning").fill("Nothing to eat or drink.")
    page.get_by_role("combobox", name="Direction").select_option(label="Medical jargon → everyday words")
    page.get_by_role("button", name="Add term").click()
    page.get_by_text("Added to your glossary.").wait_for()
    page.get_by_text("Record something learned").click()
    page.get_by_role("combobox", name="Who learned").select_option(
        label="The mentor learned from the learner"
    )
    page.get_by_role("combobox", name="Kind of learning").select_option(label="Technology")
    page.get_by_role("textbox", name="What was learned").fill("Teens share clinic reminders in group chats.")
    page.get_by_role("button", name="Save moment").click()
    page.get_by_text("Teaching moment saved.").wait_for()
    page.goto("/learning/learned/")
    page.get_by_text("Teens share clinic reminders in group chats.").wait_for()
    page.screenshot(path=str(output_dir / "2-learned.png"), full_page=True)
    log_out(page)

    # The learner turns the term into a flashcard and reviews it with the keyboard.
    log_in(page, "amina@example.org")
    page.goto("/learning/glossary/")
    page.get_by_role("button", name="Make a flashcard").first.click()
    page.get_by_text("Flashcard added. It is ready to review now.").wait_for()
    page.goto("/learning/review/")
    page.get_by_role("heading", name="NPO").wait_for()
    assert not page.get_by_text("Nothing to eat or drink.").is_visible()
    page.locator("h1").click()  # focus the page, not a button
    page.keyboard.press("Space")
    page.get_by_text("Nothing to eat or drink.").wait_for(state="visible")
    page.screenshot(path=str(output_dir / "3-review.png"), full_page=True)
    page.keyboard.press("3")
    page.get_by_text("Nothing to review right now.").wait_for()
    card = Flashcard.objects.get(owner=learner.user)
    assert card.last_review is not None and card.reviews.get().rating == 3
    assert Question.objects.get().answered_at is not None
    assert TeachingMoment.objects.get().direction == "learner_to_mentor"


def test_learning_pages_fit_a_phone(phone_page: Any) -> None:
    from mentorfold.learning.tests.factories import FlashcardFactory, GlossaryEntryFactory, QuestionFactory

    mentor = MentorProfileFactory(user__email="rivera@example.org", user__full_name="Maria Rivera")
    learner = LearnerProfileFactory(user__email="amina@example.org", user__full_name="Amina Hassan", age=20)
    mentorship = MentorshipFactory(term=TermFactory(), mentor=mentor, learner=learner)
    entry = GlossaryEntryFactory(
        mentorship=mentorship, term="Esophagogastroduodenoscopy", meaning="A camera look at the stomach."
    )
    FlashcardFactory(glossary_entry=entry, owner=learner.user)
    QuestionFactory(mentorship=mentorship, title="Why-do-some-words-never-ever-end-" * 3)

    log_in(phone_page, "amina@example.org")
    for url in (
        "/learning/",
        "/learning/review/",
        f"/learning/mentorships/{mentorship.pk}/",
        "/learning/glossary/",
    ):
        phone_page.goto(url)
        overflow = phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
    phone_page.goto("/learning/review/")
    phone_page.get_by_text("Show the answer").click()
    phone_page.get_by_text("A camera look at the stomach.").wait_for(state="visible")
    phone_page.get_by_role("button", name="Good").click()
    phone_page.get_by_text("Nothing to review right now.").wait_for()
