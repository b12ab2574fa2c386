"""Issue 14 §6: the glossary shows one page of terms, so a coordinator's glossary costs the same at any size."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.learning.views import GLOSSARY_PER_PAGE

from .factories import GlossaryEntryFactory

pytestmark = pytest.mark.django_db


def _page(client: Any, django_assert_max_num_queries: Any, **params: Any) -> tuple[str, int]:
    with django_assert_max_num_queries(10) as ctx:
        response = client.get(reverse("learning:glossary"), params)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def _terms(body: str) -> int:
    return body.count("<dt ")


def test_coordinator_glossary_costs_the_same_with_5_and_60_terms(
    client: Any, coordinator: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    for n in range(5):
        GlossaryEntryFactory(mentorship=mentorship, term=f"Term {n:03d}")
    body, few = _page(client, django_assert_max_num_queries)
    assert _terms(body) == 5 and 'rel="next"' not in body
    for n in range(5, 60):
        GlossaryEntryFactory(mentorship=mentorship, term=f"Term {n:03d}")
    body, many = _page(client, django_assert_max_num_queries)
    assert many == few
    assert _terms(body) == GLOSSARY_PER_PAGE and "Term 049" in body and "Term 050" not in body
    assert "Page 1 of 2" in body and 'href="?page=2" rel="next"' in body
    second, _count = _page(client, django_assert_max_num_queries, page=2)
    assert _terms(second) == 10 and "Term 050" in second and 'rel="prev"' in second


def test_search_keeps_its_words_across_pages_and_counts_every_match(
    client: Any, coordinator: Any, mentorship: Any
) -> None:
    client.force_login(coordinator)
    for n in range(GLOSSARY_PER_PAGE + 3):
        GlossaryEntryFactory(mentorship=mentorship, term=f"Stent {n:03d}")
    GlossaryEntryFactory(mentorship=mentorship, term="Biopsy", meaning="A small sample.", example="")
    body = client.get(reverse("learning:glossary"), {"q": "stent & co"}).content.decode()
    assert "Stent" not in body  # "stent & co" matches nothing: a literal search, not a crash
    body = client.get(reverse("learning:glossary"), {"q": "stent"}).content.decode()
    assert f"{GLOSSARY_PER_PAGE + 3} terms found" in body
    assert 'href="?q=stent&amp;page=2" rel="next"' in body


def test_a_hostile_page_number_is_refused_not_a_crash(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    for value in ["abc", "0", "-3", "99999999999999999999", "1\x00"]:
        assert client.get(reverse("learning:glossary"), {"page": value}).status_code == 400
