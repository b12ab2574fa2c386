"""Mentorship learning page, glossary (search, promotion, XSS) and teaching moments ("what I learned")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts.models import Language
from mentorfold.learning.models import GlossaryEntry, TeachingMoment

from .factories import GlossaryEntryFactory, QuestionFactory, TeachingMomentFactory

pytestmark = pytest.mark.django_db


def test_mentorship_page_shows_questions_glossary_and_moments(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        QuestionFactory(mentorship=mentorship, title=f"Question {n}")
        GlossaryEntryFactory(mentorship=mentorship, term=f"Term {n}")
        TeachingMomentFactory(mentorship=mentorship, text=f"Moment {n}")
    client.force_login(mentorship.learner.user)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("learning:mentorship", args=[mentorship.pk])).content.decode()
    assert "Question 9" in page and "Term 9" in page and "Moment 9" in page


def test_learner_cannot_open_another_mentorships_page_or_add_to_it(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    client.force_login(mentorship.learner.user)
    assert client.get(reverse("learning:mentorship", args=[other_mentorship.pk])).status_code == 404
    response = client.post(
        reverse("learning:glossary_add", args=[other_mentorship.pk]),
        {"term": "x", "meaning": "y", "direction": "jargon"},
    )
    assert response.status_code == 404
    response = client.post(
        reverse("learning:moment_add", args=[other_mentorship.pk]),
        {"direction": "learner_to_mentor", "category": "other", "text": "z"},
    )
    assert response.status_code == 404
    assert not GlossaryEntry.objects.exists() and not TeachingMoment.objects.exists()


def test_coordinator_reads_the_mentorship_page_but_cannot_add(
    client: Any, mentorship: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("learning:mentorship", args=[mentorship.pk])).status_code == 200
    response = client.post(
        reverse("learning:moment_add", args=[mentorship.pk]),
        {"direction": "learner_to_mentor", "category": "other", "text": "z"},
    )
    assert response.status_code == 403


def test_learner_cannot_search_another_mentorships_glossary(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    GlossaryEntryFactory(mentorship=other_mentorship, term="Secretword")
    GlossaryEntryFactory(mentorship=mentorship, term="Sphygmomanometer")
    client.force_login(mentorship.learner.user)
    page = client.get(reverse("learning:glossary"), {"q": "s"}).content.decode()
    assert "Sphygmomanometer" in page and "Secretword" not in page


def test_glossary_add_in_both_directions_and_with_a_language(client: Any, mentorship: Any) -> None:
    spanish = Language.objects.get_or_create(code="es", defaults={"name": "Spanish"})[0]
    client.force_login(mentorship.learner.user)
    client.post(
        reverse("learning:glossary_add", args=[mentorship.pk]),
        {"term": "no cap", "meaning": "honestly", "direction": "community"},
    )
    client.force_login(mentorship.mentor.user)
    missing = client.post(
        reverse("learning:glossary_add", args=[mentorship.pk]),
        {"term": "me duele", "meaning": "it hurts", "direction": "patient_language"},
    )
    assert missing.status_code == 302
    assert not GlossaryEntry.objects.filter(term="me duele").exists()
    client.post(
        reverse("learning:glossary_add", args=[mentorship.pk]),
        {"term": "me duele", "meaning": "it hurts", "direction": "patient_language", "language": spanish.pk},
    )
    assert set(GlossaryEntry.objects.values_list("term", "added_by")) == {
        ("no cap", mentorship.learner.user_id),
        ("me duele", mentorship.mentor.user_id),
    }


def test_glossary_entries_are_escaped(client: Any, mentorship: Any) -> None:
    GlossaryEntryFactory(
        mentorship=mentorship,
        term="<script>alert(1)</script>",
        meaning='<img src=x onerror="alert(2)">',
        example='<a href="javascript:alert(3)">x</a>',
    )
    client.force_login(mentorship.learner.user)
    for url in (reverse("learning:glossary"), reverse("learning:mentorship", args=[mentorship.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert '<a href="javascript:' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_glossary_search_query_count_is_bounded(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(40):
        GlossaryEntryFactory(mentorship=mentorship, term=f"Word {n}")
    client.force_login(mentorship.learner.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("learning:glossary"), {"q": "word"})
    assert "40 terms found" in response.content.decode()


def test_glossary_search_rejects_a_too_long_query(client: Any, mentorship: Any) -> None:
    client.force_login(mentorship.learner.user)
    assert client.get(reverse("learning:glossary"), {"q": "x" * 300}).status_code == 400


def test_coordinator_promotes_an_entry_to_the_program_glossary_once(
    client: Any, mentorship: Any, coordinator: Any, other_learner: Any
) -> None:
    entry = GlossaryEntryFactory(mentorship=mentorship, term="Tachycardia")
    client.force_login(mentorship.mentor.user)
    assert client.post(reverse("learning:glossary_promote", args=[entry.pk])).status_code == 403
    client.force_login(other_learner.user)
    assert client.post(reverse("learning:glossary_promote", args=[entry.pk])).status_code == 404
    client.force_login(coordinator)
    client.post(reverse("learning:glossary_promote", args=[entry.pk]))
    client.post(reverse("learning:glossary_promote", args=[entry.pk]))
    copy = GlossaryEntry.objects.get(program__isnull=False)
    assert copy.term == "Tachycardia" and copy.program == mentorship.term.program
    assert copy.promoted_from == entry


def test_coordinator_adds_a_program_term_and_others_cannot(
    client: Any, mentorship: Any, coordinator: Any
) -> None:
    data = {
        "program": mentorship.term.program.pk,
        "term": "NPO",
        "meaning": "Nothing by mouth",
        "direction": "jargon",
    }
    client.force_login(mentorship.mentor.user)
    assert client.post(reverse("learning:glossary_program_add"), data).status_code == 403
    client.force_login(coordinator)
    client.post(reverse("learning:glossary_program_add"), data)
    assert GlossaryEntry.objects.get().program == mentorship.term.program
    client.force_login(mentorship.learner.user)
    assert (
        "NPO" in client.get(reverse("learning:program", args=[mentorship.term.program.slug])).content.decode()
    )


def test_either_side_records_a_teaching_moment(client: Any, mentorship: Any) -> None:
    client.force_login(mentorship.mentor.user)
    client.post(
        reverse("learning:moment_add", args=[mentorship.pk]),
        {
            "direction": "learner_to_mentor",
            "category": "technology",
            "text": "How to use the patient portal app.",
        },
    )
    client.force_login(mentorship.learner.user)
    client.post(
        reverse("learning:moment_add", args=[mentorship.pk]),
        {
            "direction": "mentor_to_learner",
            "category": "clinical",
            "text": "Why we wash hands before and after.",
        },
    )
    bad = client.post(
        reverse("learning:moment_add", args=[mentorship.pk]),
        {"direction": "sideways", "category": "clinical", "text": "x"},
    )
    assert bad.status_code == 302
    assert TeachingMoment.objects.count() == 2
    assert set(TeachingMoment.objects.values_list("mentor", flat=True)) == {mentorship.mentor_id}


def test_what_i_learned_is_paginated_with_constant_queries(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    TeachingMoment.objects.bulk_create(
        TeachingMomentFactory.build(
            mentorship=mentorship, text=f"Moment {n}", created_at=now - timedelta(hours=n)
        )
        for n in range(60)
    )
    TeachingMomentFactory(mentorship=mentorship, direction="mentor_to_learner", text="Not mine to show")
    client.force_login(mentorship.mentor.user)
    with django_assert_max_num_queries(10):
        first = client.get(reverse("learning:learned")).content.decode()
    with django_assert_max_num_queries(10):
        third = client.get(reverse("learning:learned"), {"page": 3}).content.decode()
    assert "Moment 0 <span" in first and "Moment 59 <span" not in first
    assert "Page 1 of 3" in first and "Moment 59" in third
    assert "Not mine to show" not in first
    assert client.get(reverse("learning:learned"), {"page": "abc"}).status_code == 400


def test_what_i_learned_is_for_mentors_only(client: Any, mentorship: Any, coordinator: Any) -> None:
    client.force_login(mentorship.learner.user)
    assert client.get(reverse("learning:learned")).status_code == 403
    client.force_login(coordinator)
    assert client.get(reverse("learning:learned")).status_code == 403


def test_yearly_digest_counts_by_category(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    zone = timezone.get_current_timezone()
    TeachingMomentFactory(
        mentorship=mentorship, created_at=datetime(2025, 3, 1, tzinfo=zone), text="In 2025 a"
    )
    TeachingMomentFactory(
        mentorship=mentorship, created_at=datetime(2025, 9, 1, tzinfo=zone), text="In 2025 b"
    )
    TeachingMomentFactory(mentorship=mentorship, created_at=datetime(2024, 9, 1, tzinfo=zone), text="In 2024")
    client.force_login(mentorship.mentor.user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("learning:learned_year", args=[2025])).content.decode()
    assert "In 2025 a" in page and "In 2025 b" in page and "In 2024" not in page
    assert "2 things learned from 1 learner(s)." in page
    assert client.get(reverse("learning:learned_year", args=[1900])).status_code == 404
