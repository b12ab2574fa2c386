"""Denial paths: every people page refuses anyone who should not see it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

COORDINATOR_ONLY = ["people", "invite"]


@pytest.mark.parametrize(
    "url",
    [
        reverse("dashboard"),
        reverse("profile_edit"),
        reverse("people"),
        reverse("invite"),
        reverse("guardian_invite"),
        reverse("learner_detail", args=[1]),
    ],
)
def test_anonymous_visitors_are_sent_to_login(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", COORDINATOR_ONLY)
@pytest.mark.parametrize("role", ["learner", "mentor", "guardian", "reviewer"])
def test_only_coordinators_open_people_pages(client: Any, request: Any, name: str, role: str) -> None:
    fixture = request.getfixturevalue(role)
    user = getattr(fixture, "user", fixture)
    client.force_login(user)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", COORDINATOR_ONLY)
def test_coordinator_opens_people_pages(client: Any, coordinator: Any, learner: Any, name: str) -> None:
    client.force_login(coordinator)
    assert client.get(reverse(name)).status_code == 200


def test_learner_cannot_open_another_learners_profile(client: Any, learner: Any, other_learner: Any) -> None:
    client.force_login(learner.user)
    assert client.get(reverse("learner_detail", args=[other_learner.pk])).status_code == 403
    assert client.get(reverse("learner_detail", args=[learner.pk])).status_code == 200


def test_mentor_cannot_open_a_learners_private_profile(client: Any, mentor: Any, learner: Any) -> None:
    client.force_login(mentor.user)
    assert client.get(reverse("learner_detail", args=[learner.pk])).status_code == 403


def test_guardian_sees_own_child_only(client: Any, guardian: Any, minor_learner: Any, learner: Any) -> None:
    client.force_login(guardian)
    own = client.get(reverse("learner_detail", args=[minor_learner.pk]))
    assert own.status_code == 200
    assert "First generation" not in own.content.decode()  # private fields stay private
    assert client.get(reverse("learner_detail", args=[learner.pk])).status_code == 403


def test_coordinator_sees_private_self_identification(client: Any, coordinator: Any, learner: Any) -> None:
    client.force_login(coordinator)
    assert "First generation" in client.get(reverse("learner_detail", args=[learner.pk])).content.decode()


def test_reviewer_cannot_open_a_learners_profile(client: Any, reviewer: Any, learner: Any) -> None:
    client.force_login(reviewer.user)
    assert client.get(reverse("learner_detail", args=[learner.pk])).status_code == 403


def test_unknown_learner_is_404(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("learner_detail", args=[999999]))
    assert response.status_code == 404
    assert "couldn" in response.content.decode()


def test_people_page_query_count_is_bounded(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    from .factories import LearnerProfileFactory

    LearnerProfileFactory.create_batch(30)
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("people")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("people") + "?kind=mentors").status_code == 200


def test_dashboard_query_count_is_bounded(
    client: Any, coordinator: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    # One query per dashboard panel (programs, matching, shadowing, grants, learning, messaging, outcomes).
    with django_assert_max_num_queries(18):
        assert client.get(reverse("dashboard")).status_code == 200
