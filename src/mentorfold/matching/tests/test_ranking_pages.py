"""The ranking page shows a screenful of mentors at a time, so a large society's page stays fast."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorfold.accounts.tests.factories import MentorProfileFactory
from mentorfold.matching.views import MENTORS_PER_PAGE

from .factories import join_term


def add_buttons(body: str) -> int:
    return len(re.findall(r'value="add"', body))


def test_the_mentor_list_is_paged_and_keeps_the_filters(client: Any, term: Any, learner: Any) -> None:
    mentors = [MentorProfileFactory(specialty="Family medicine") for _ in range(MENTORS_PER_PAGE + 6)]
    join_term(term, learners=[learner], mentors=mentors)
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[term.pk])

    first = client.get(url, {"specialty": "family"}).content.decode()
    assert add_buttons(first) == MENTORS_PER_PAGE
    assert f"of {MENTORS_PER_PAGE + 6}" in first
    next_link = re.search(r'href="(\?[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "specialty=family" in next_link and "page=2" in next_link

    second = client.get(url + next_link).content.decode()
    assert add_buttons(second) == 6
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_page_costs_the_same_queries_with_many_more_mentors(client: Any, term: Any, learner: Any) -> None:
    site = join_term(term, learners=[learner], mentors=[MentorProfileFactory() for _ in range(3)])
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[term.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    join_term(term, mentors=[MentorProfileFactory() for _ in range(MENTORS_PER_PAGE * 2)], site=site)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert add_buttons(body) == MENTORS_PER_PAGE
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_hostile_page_number_is_a_named_error_not_a_crash(client: Any, term: Any, learner: Any) -> None:
    join_term(term, learners=[learner], mentors=[MentorProfileFactory()])
    client.force_login(learner.user)
    url = reverse("matching:preferences", args=[term.pk])
    for value in ["abc", "0", "-3", "99999999999999999999", "1\x00"]:
        response = client.get(url, {"page": value})
        assert response.status_code == 200
        assert "Page:" in response.content.decode()
