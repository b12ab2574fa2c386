"""Questions to a mentor and to a program: asking, answering safely, helpful, knowledge base, who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mentorfold.learning.models import Question
from mentorfold.learning.render import markdown_to_safe_html
from mentorfold.matching.models import Mentorship

from .factories import QuestionFactory

pytestmark = pytest.mark.django_db

HOSTILE = (
    "Good question! <script>alert('x')</script>\n\n"
    "[click me](javascript:alert(1)) and <img src=x onerror=alert(2)> and "
    '<a href="https://example.org" onclick="steal()">a source</a> and [WHO](https://www.who.int)'
)


def test_learner_asks_their_mentor_and_the_mentor_answers(client: Any, mentorship: Any) -> None:
    client.force_login(mentorship.learner.user)
    response = client.post(
        reverse("learning:ask"), {"to": f"m{mentorship.pk}", "title": "What is triage?", "body": ""}
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert question.mentorship == mentorship and question.asked_by == mentorship.learner

    client.force_login(mentorship.mentor.user)
    client.post(
        reverse("learning:question_answer", args=[question.pk]),
        {
            "answer_markdown": "**Sorting** patients by need.",
            "sent_back_to_books": "on",
            "reviewed_what": "ESI v5",
        },
    )
    question.refresh_from_db()
    assert question.answered_at is not None
    assert question.answer_html == "<p><strong>Sorting</strong> patients by need.</p>"
    assert question.sent_back_to_books and question.reviewed_what == "ESI v5"

    client.force_login(mentorship.learner.user)
    client.post(reverse("learning:question_helpful", args=[question.pk]))
    question.refresh_from_db()
    assert question.helpful_at is not None


def test_ask_form_rejects_a_mentorship_that_is_not_yours(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    client.force_login(mentorship.learner.user)
    response = client.post(reverse("learning:ask"), {"to": f"m{other_mentorship.pk}", "title": "Hi"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Question.objects.exists()


def test_ask_form_rejects_hostile_values(client: Any, mentorship: Any) -> None:
    client.force_login(mentorship.learner.user)
    response = client.post(reverse("learning:ask"), {"to": "m'; drop", "title": "x" * 500, "booking": "abc"})
    assert response.status_code == 200
    assert not Question.objects.exists()


def test_mentor_cannot_ask(client: Any, mentorship: Any) -> None:
    client.force_login(mentorship.mentor.user)
    assert client.get(reverse("learning:ask")).status_code == 403


def test_answer_is_sanitised(client: Any, mentorship: Any) -> None:
    question = QuestionFactory(mentorship=mentorship)
    client.force_login(mentorship.mentor.user)
    client.post(reverse("learning:question_answer", args=[question.pk]), {"answer_markdown": HOSTILE})
    client.force_login(mentorship.learner.user)
    page = client.get(reverse("learning:question", args=[question.pk])).content.decode()
    answer = page.split('id="answer">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in answer and "alert('x')" not in answer
    assert "javascript:" not in answer
    assert "onerror" not in answer and "onclick" not in answer
    assert '<a href="https://www.who.int" rel="nofollow noopener">WHO</a>' in answer


def test_markdown_renderer_drops_dangerous_markup() -> None:
    html = markdown_to_safe_html(HOSTILE)
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert 'rel="nofollow noopener"' in html


def test_learner_cannot_read_another_mentorships_question(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    question = QuestionFactory(mentorship=other_mentorship)
    client.force_login(mentorship.learner.user)
    assert client.get(reverse("learning:question", args=[question.pk])).status_code == 404
    assert client.post(reverse("learning:question_helpful", args=[question.pk])).status_code == 404


def test_other_mentor_cannot_answer_or_read(client: Any, mentorship: Any, other_mentor: Any) -> None:
    question = QuestionFactory(mentorship=mentorship)
    client.force_login(other_mentor.user)
    assert client.get(reverse("learning:question", args=[question.pk])).status_code == 404
    response = client.post(reverse("learning:question_answer", args=[question.pk]), {"answer_markdown": "Hi"})
    assert response.status_code == 404
    question.refresh_from_db()
    assert question.answered_at is None


def test_learner_cannot_answer_their_own_question(client: Any, mentorship: Any) -> None:
    question = QuestionFactory(mentorship=mentorship)
    client.force_login(mentorship.learner.user)
    response = client.post(reverse("learning:question_answer", args=[question.pk]), {"answer_markdown": "Me"})
    assert response.status_code == 403


def test_guardian_and_coordinator_read_a_question_but_reviewer_does_not(
    client: Any, mentorship: Any, coordinator: Any, reviewer: Any, guardian: Any
) -> None:
    question = QuestionFactory(mentorship=mentorship)
    url = reverse("learning:question", args=[question.pk])
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    client.force_login(reviewer.user)
    assert client.get(url).status_code == 404
    client.force_login(guardian)  # not this learner's guardian
    assert client.get(url).status_code == 404


def test_question_page_query_count_is_bounded(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    question = QuestionFactory(mentorship=mentorship)
    client.force_login(mentorship.learner.user)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("learning:question", args=[question.pk])).status_code == 200


def test_program_question_answered_by_any_active_mentor_and_promoted(
    client: Any, mentorship: Any, other_mentorship: Any, coordinator: Any
) -> None:
    program = mentorship.term.program
    client.force_login(mentorship.learner.user)
    client.post(reverse("learning:ask"), {"to": f"p{program.pk}", "title": "How long is residency?"})
    question = Question.objects.get(program=program)

    client.force_login(other_mentorship.mentor.user)  # another mentor of the same program
    client.post(
        reverse("learning:question_answer", args=[question.pk]), {"answer_markdown": "Three to seven years."}
    )
    question.refresh_from_db()
    assert question.answered_by == other_mentorship.mentor.user

    client.force_login(mentorship.learner.user)
    assert client.post(reverse("learning:question_promote", args=[question.pk])).status_code == 403
    client.force_login(coordinator)
    client.post(reverse("learning:question_promote", args=[question.pk]))
    question.refresh_from_db()
    assert question.promoted_at is not None

    client.force_login(other_mentorship.learner.user)
    page = client.get(reverse("learning:program", args=[program.slug])).content.decode()
    assert "Three to seven years." in page.split("Knowledge base", 1)[1].split("Questions waiting", 1)[0]


def test_a_mentor_whose_mentorship_ended_cannot_answer_program_questions(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    question = QuestionFactory(mentorship=None, program=mentorship.term.program, asked_by=mentorship.learner)
    Mentorship.objects.filter(pk=other_mentorship.pk).update(status=Mentorship.Status.COMPLETED)
    client.force_login(other_mentorship.mentor.user)
    response = client.post(reverse("learning:question_answer", args=[question.pk]), {"answer_markdown": "x"})
    assert response.status_code == 403


def test_program_page_shows_a_minors_first_name_only_to_other_learners(
    client: Any, mentorship: Any, minor_mentorship: Any, other_mentor: Any, django_assert_max_num_queries: Any
) -> None:
    program = mentorship.term.program
    QuestionFactory(
        mentorship=None, program=program, asked_by=minor_mentorship.learner, title="Do you sleep?"
    )
    client.force_login(mentorship.learner.user)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("learning:program", args=[program.slug])).content.decode()
    assert "Minh" in page and "Minh Tran" not in page
    client.force_login(other_mentor.user)
    assert "Minh Tran" in client.get(reverse("learning:program", args=[program.slug])).content.decode()


def test_program_page_is_hidden_from_outsiders(
    client: Any, mentorship: Any, reviewer: Any, other_learner: Any
) -> None:
    url = reverse("learning:program", args=[mentorship.term.program.slug])
    client.force_login(other_learner.user)  # no mentorship in this program
    assert client.get(url).status_code == 404
    client.force_login(reviewer.user)
    assert client.get(url).status_code == 404


def test_program_page_query_count_does_not_grow_with_questions(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    program = mentorship.term.program
    for n in range(30):
        QuestionFactory(mentorship=None, program=program, asked_by=mentorship.learner, title=f"Q{n}")
    client.force_login(mentorship.learner.user)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("learning:program", args=[program.slug])).status_code == 200


def test_mentor_dashboard_panel_lists_questions_waiting_a_week_with_constant_queries(
    client: Any, mentorship: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(mentorship.mentor.user)
    with CaptureQueriesContext(connection) as empty:
        page = client.get(reverse("dashboard")).content.decode()
    assert "No question has waited a week" in page
    old = timezone.now() - timedelta(days=8)
    for n in range(12):
        question = QuestionFactory(mentorship=mentorship, title=f"Old question {n}")
        Question.objects.filter(pk=question.pk).update(created_at=old)
    QuestionFactory(mentorship=mentorship, title="Fresh question")
    with django_assert_num_queries(len(empty.captured_queries)):
        page = client.get(reverse("dashboard")).content.decode()
    assert "Old question 0" in page and "Fresh question" not in page
