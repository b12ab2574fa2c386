"""Issue 14 §6: the messages page shows one page of threads, so a coordinator's page costs the same at any size."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from mentorfold.matching.tests.factories import MentorshipFactory
from mentorfold.messaging.views import THREADS_PER_PAGE

from .factories import start_thread


def _add_threads(term: Any, n: int) -> None:
    for i in range(n):
        start_thread(MentorshipFactory(term=term), subject=f"Thread {i:03d}")


def _page(client: Any, django_assert_max_num_queries: Any, **params: Any) -> tuple[str, int]:
    with django_assert_max_num_queries(10) as ctx:
        response = client.get(reverse("messaging:home"), params)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_coordinator_messages_page_costs_the_same_with_5_and_50_threads(
    client: Any, coordinator: Any, term: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _add_threads(term, 5)
    body, few = _page(client, django_assert_max_num_queries)
    assert body.count("/messages/threads/") == 5 and 'rel="next"' not in body
    _add_threads(term, 45)
    body, many = _page(client, django_assert_max_num_queries)
    assert many == few
    assert body.count("/messages/threads/") == THREADS_PER_PAGE
    assert "Page 1 of 3" in body and 'href="?page=2" rel="next"' in body
    last, _count = _page(client, django_assert_max_num_queries, page=3)
    assert last.count("/messages/threads/") == 50 - 2 * THREADS_PER_PAGE and 'rel="prev"' in last


def test_a_hostile_page_number_is_refused_not_a_crash(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    for value in ["abc", "0", "-3", "99999999999999999999", "1\x00"]:
        assert client.get(reverse("messaging:home"), {"page": value}).status_code == 400


def test_a_mentor_still_sees_only_their_own_threads(
    client: Any, mentorship: Any, other_mentorship: Any
) -> None:
    start_thread(mentorship, subject="Ours")
    start_thread(other_mentorship, subject="Theirs")
    client.force_login(mentorship.mentor.user)
    body = client.get(reverse("messaging:home")).content.decode()
    assert "Ours" in body and "Theirs" not in body
