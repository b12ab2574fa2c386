"""Issue 14 §6: the coordinator's people lists read their first page through the name index, in the same
queries at any number of people (sorting 20,000 learners before the LIMIT made the page 2.4x slower)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse

from mentorfold.accounts import selectors
from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.accounts.workspace import mentor_queryset

pytestmark = pytest.mark.django_db


def _plan(qs: QuerySet[Any]) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(row[-1] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_people_lists_walk_the_name_index_instead_of_sorting_everyone() -> None:
    LearnerProfileFactory.create_batch(3)
    MentorProfileFactory.create_batch(3)
    for qs in (
        selectors.learner_list()[:50],
        selectors.mentor_list()[:50],
        mentor_queryset({})[:25],
    ):
        plan = _plan(qs)
        assert "accounts_user_full_name" in plan, plan
        # The mentors workspace breaks ties between equal names by id: only those few rows are sorted.
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_learners_are_still_listed_by_name(client: Any, coordinator: Any) -> None:
    for name in ("Zoe Young", "Abel Adams", "Mina Moore"):
        LearnerProfileFactory(user__full_name=name)
    client.force_login(coordinator)
    names = [learner.user.full_name for learner in client.get(reverse("people")).context["page"]]
    assert names == ["Abel Adams", "Mina Moore", "Zoe Young"]


@pytest.mark.parametrize("query", [{}, {"kind": "mentors"}])
def test_the_people_page_costs_the_same_queries_for_5_and_50_people(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any, query: dict[str, str]
) -> None:
    client.force_login(coordinator)
    factory = MentorProfileFactory if query else LearnerProfileFactory
    factory.create_batch(5)
    with django_assert_max_num_queries(10) as few:
        assert client.get(reverse("people"), query).status_code == 200
    factory.create_batch(45)
    with django_assert_max_num_queries(10) as many:
        response = client.get(reverse("people"), query)
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.context["page"].object_list) == 50
