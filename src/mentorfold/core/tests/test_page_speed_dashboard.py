"""Issue 14 §6: the coordinator's dashboard runs the same queries at any size and its numbers stay right."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.accounts.models import GuardianLink
from mentorfold.accounts.tests.factories import GuardianLinkFactory, LearnerProfileFactory

pytestmark = pytest.mark.django_db


def _add(n: int) -> None:
    """Per five: a minor with a verified guardian, one whose guardian only accepted, one with none, two adults."""
    for _ in range(n // 5):
        GuardianLinkFactory()
        GuardianLinkFactory(status=GuardianLink.Status.ACCEPTED)
        LearnerProfileFactory(age=15)
        LearnerProfileFactory(age=19)
        LearnerProfileFactory(age=30)


def _summary(client: Any, django_assert_max_num_queries: Any) -> tuple[dict[str, int], int]:
    with django_assert_max_num_queries(40) as ctx:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.context["summary"], len(ctx.captured_queries)


def test_minors_waiting_for_a_guardian_are_counted_right_with_the_same_queries_for_5_and_50(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _add(5)
    summary, few = _summary(client, django_assert_max_num_queries)
    assert summary["minors_without_guardian"] == 2
    _add(45)
    summary, many = _summary(client, django_assert_max_num_queries)
    assert summary["minors_without_guardian"] == 20
    assert many == few
