"""Issue 14 §6: the learner's ranking page costs the same at 5 and at 50 eligible mentors.

At the large demo (5,000 mentors) the page used to load a full profile, with its languages, for every eligible
mentor, then showed 24. Now it filters, sorts and counts light rows and loads profiles for the shown page only.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_init
from django.urls import reverse

from mentorfold.accounts.models import MentorProfile
from mentorfold.accounts.tests.factories import LanguageFactory, MentorProfileFactory
from mentorfold.matching.views import MENTORS_PER_PAGE

from .factories import join_term


def _add_mentors(term: Any, n: int, start: int) -> None:
    spanish = LanguageFactory(code="es", name="Spanish")
    mentors = [
        MentorProfileFactory(user__full_name=f"Mentor {start + i:03d}", specialty="Pediatrics")
        for i in range(n)
    ]
    for m in mentors[::2]:
        m.languages.add(spanish)
    join_term(term, mentors=mentors, site=term.site)


def _get(client: Any, url: str, django_assert_max_num_queries: Any, limit: int) -> tuple[str, int, int]:
    """The page body, its query count and how many mentor profiles it built."""
    built = []

    def count(sender: Any, instance: Any, **kwargs: Any) -> None:
        built.append(instance)

    post_init.connect(count, sender=MentorProfile)
    try:
        with django_assert_max_num_queries(limit) as ctx:
            response = client.get(url)
    finally:
        post_init.disconnect(count, sender=MentorProfile)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries), len(built)


def test_ranking_page_queries_and_profiles_stay_constant_from_5_to_50_mentors(
    client: Any, ranked_term: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    _add_mentors(ranked_term, 5, 0)
    body, few_queries, few_built = _get(client, url, django_assert_max_num_queries, 30)
    assert body.count("Add to my list") == 6  # third_mentor and the five new ones
    _add_mentors(ranked_term, 45, 5)
    body, many_queries, many_built = _get(client, url, django_assert_max_num_queries, 30)
    assert many_queries == few_queries
    # Profiles are built for the shown page and the learner's own list, never for every eligible mentor.
    assert body.count("Add to my list") == MENTORS_PER_PAGE
    assert many_built <= MENTORS_PER_PAGE + 2 + 1
    assert "Mentors 1–24 of 51" in body


def test_ranking_page_keeps_sorting_filtering_and_paging_with_many_mentors(
    client: Any, ranked_term: Any, learner: Any
) -> None:
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    _add_mentors(ranked_term, 50, 0)
    # Sorted by specialty, then name: Cardiology (Grace Kim) first, then the pediatricians by name.
    first = client.get(url).content.decode()
    assert first.index("Grace Kim") < first.index("Mentor 000") < first.index("Mentor 022")
    assert "Mentor 023" not in first
    second = client.get(url + "?page=2").content.decode()
    assert "Mentor 023" in second and "Mentor 022" not in second
    spanish = client.get(url + "?language=spanish").content.decode()
    assert "Mentors 1–24 of 25" in spanish
    assert "Mentor 001" not in spanish and "Mentor 002" in spanish and "Spanish" in spanish
    by_code = client.get(url + "?language=es").content.decode()
    assert "Mentors 1–24 of 25" in by_code
