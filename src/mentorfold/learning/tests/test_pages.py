"""Hub, ask and reflection-writing pages: happy path, denial per role, bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .factories import FlashcardFactory, GlossaryEntryFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def test_learning_home_lists_mentorships_and_questions_with_bounded_queries(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        QuestionFactory(mentorship=mentorship, title=f"Home question {n}")
    FlashcardFactory(glossary_entry=GlossaryEntryFactory(mentorship=mentorship))
    for user in (mentorship.learner.user, mentorship.mentor.user):
        client.force_login(user)
        with django_assert_max_num_queries(12):
            page = client.get(reverse("learning:home")).content.decode()
        assert "Home question 14" in page


def test_learning_home_is_not_for_guardians_or_reviewers(client: Any, guardian: Any, reviewer: Any) -> None:
    for user in (guardian, reviewer.user):
        client.force_login(user)
        assert client.get(reverse("learning:home")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(reverse("learning:review"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_ask_page_offers_only_the_learners_own_mentor_and_program(
    client: Any, mentorship: Any, other_mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(mentorship.learner.user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("learning:ask")).content.decode()
    assert f'value="m{mentorship.pk}"' in page and f'value="m{other_mentorship.pk}"' not in page
    assert f'value="p{mentorship.term.program_id}"' in page


def test_reflection_form_opens_for_the_learner_only(
    client: Any, past_visit: Any, other_learner: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    url = reverse("learning:reflection_write", args=[past_visit.pk])
    client.force_login(past_visit.learner.user)
    with django_assert_max_num_queries(10):
        assert "What surprised you?" in client.get(url).content.decode()
    client.force_login(past_visit.slot.mentor.user)
    assert client.get(url).status_code == 403
    client.force_login(coordinator)
    assert client.get(url).status_code == 403
    client.force_login(other_learner.user)
    assert client.get(url).status_code == 404


def test_mentorship_page_has_no_duplicate_ids(client: Any, mentorship: Any) -> None:
    import re

    client.force_login(mentorship.mentor.user)
    page = client.get(reverse("learning:mentorship", args=[mentorship.pk])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
