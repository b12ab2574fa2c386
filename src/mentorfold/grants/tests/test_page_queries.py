"""The reviewer's list, the reviewer's dashboard panel and the conflicts page cost the same at any size."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorfold.accounts.tests.factories import ReviewerProfileFactory

from ..models import Conflict, GrantCycle, Review
from ..selectors import CONFLICTS_PER_PAGE, REVIEWS_PER_PAGE
from .factories import ApplicationFactory, AssignmentFactory, GrantCycleFactory

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), response


def _assign(reviewer: Any, cycle: Any, n: int, *, submitted: int = 0) -> None:
    for i in range(n):
        assignment = AssignmentFactory(application=ApplicationFactory(cycle=cycle), reviewer=reviewer.user)
        if i < submitted:
            Review.objects.create(
                cycle=cycle,
                application=assignment.application,
                reviewer=reviewer.user,
                scores={},
                status=Review.Status.SUBMITTED,
            )


def test_the_review_list_runs_the_same_queries_for_5_and_50_assignments(
    client: Any, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    cycle = GrantCycleFactory()
    _assign(reviewer, cycle, 5, submitted=2)
    client.force_login(reviewer.user)
    url = reverse("grants:review_list")
    with django_assert_max_num_queries(10):
        small, _response = _queries(client, url)
    _assign(reviewer, cycle, 45, submitted=1)
    large, response = _queries(client, url)
    assert small == large
    assert len(response.context["page"]) == REVIEWS_PER_PAGE
    assert response.context["open_total"] == 50 and response.context["done"] == 3
    assert "3 of 50 open reviews submitted" in response.content.decode()
    second = client.get(url, {"page": 2})
    assert len(second.context["page"]) == 50 - REVIEWS_PER_PAGE


def test_closed_cycles_do_not_count_as_open_reviews(client: Any, reviewer: Any) -> None:
    _assign(reviewer, GrantCycleFactory(), 2)
    _assign(reviewer, GrantCycleFactory(status=GrantCycle.Status.DECIDED), 3, submitted=3)
    client.force_login(reviewer.user)
    response = client.get(reverse("grants:review_list"))
    assert (response.context["open_total"], response.context["done"]) == (2, 0)
    assert "0 of 2 open reviews submitted" in client.get(reverse("dashboard")).content.decode()


def test_the_reviewer_dashboard_panel_costs_the_same_for_5_and_50_assignments(
    client: Any, reviewer: Any
) -> None:
    cycle = GrantCycleFactory()
    _assign(reviewer, cycle, 5)
    client.force_login(reviewer.user)
    small, _response = _queries(client, reverse("dashboard"))
    _assign(reviewer, cycle, 45)
    large, response = _queries(client, reverse("dashboard"))
    assert small == large
    assert "0 of 50 open reviews submitted" in response.content.decode()


def test_the_conflicts_page_runs_the_same_queries_for_5_and_50_conflicts_and_reviewers(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    cycle = GrantCycleFactory()

    def add(n: int) -> None:
        for _ in range(n):
            Conflict.objects.create(
                cycle=cycle,
                reviewer=ReviewerProfileFactory().user,
                application=ApplicationFactory(cycle=cycle),
                source="declared",
                reason="Neighbour",
            )

    add(5)
    client.force_login(coordinator)
    url = reverse("grants:conflicts", args=[cycle.pk])
    with django_assert_max_num_queries(12):
        small, _response = _queries(client, url)
    add(55)
    large, response = _queries(client, url)
    assert small == large
    assert len(response.context["page"]) == CONFLICTS_PER_PAGE
    filtered, _response = _queries(client, f"{url}?status=flagged&page=2")
    assert filtered <= large  # an empty filter skips the list query


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"page": "1\x00"},
        {"status": "nonsense"},
        {"status": "flagged\x00"},
    ],
)
def test_hostile_list_parameters_are_a_400_not_a_500(
    client: Any, coordinator: Any, reviewer: Any, query: dict[str, str]
) -> None:
    cycle = GrantCycleFactory()
    client.force_login(coordinator)
    assert client.get(reverse("grants:conflicts", args=[cycle.pk]), query).status_code == 400
    if "page" in query:
        client.force_login(reviewer.user)
        assert client.get(reverse("grants:review_list"), query).status_code == 400


def test_a_page_past_the_end_shows_the_last_page(client: Any, reviewer: Any) -> None:
    _assign(reviewer, GrantCycleFactory(), 3)
    client.force_login(reviewer.user)
    response = client.get(reverse("grants:review_list"), {"page": "7"})
    assert response.status_code == 200 and len(response.context["page"]) == 3


def test_the_add_conflict_form_keeps_the_chosen_reviewer_when_the_code_is_wrong(
    client: Any, coordinator: Any, reviewer: Any
) -> None:
    cycle = GrantCycleFactory()
    client.force_login(coordinator)
    response = client.post(
        reverse("grants:conflicts", args=[cycle.pk]),
        {"reviewer": reviewer.user.pk, "application_code": "NOPE", "reason": "Colleague"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "no application with this code" in page
    assert f'<option value="{reviewer.user.pk}" selected>' in page
    assert not Conflict.objects.exists()
