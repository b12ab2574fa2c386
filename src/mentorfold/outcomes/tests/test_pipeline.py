"""The learner's yearly "where are you now" update."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import PipelineStage

pytestmark = pytest.mark.django_db


def test_a_learner_records_where_they_are_now(
    client: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(learner.user)
    day = (timezone.localdate() - timedelta(days=30)).isoformat()
    response = client.post(reverse("outcomes:pipeline"), {"stage": "applied", "reached_on": day})
    assert response.status_code == 302
    assert PipelineStage.objects.get(learner=learner).source == "learner"
    with django_assert_max_num_queries(12):
        page = client.get(reverse("outcomes:pipeline"))
    assert "Applied to medical school" in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"stage": "astronaut", "reached_on": "2020-01-01"},
        {"stage": "college", "reached_on": "2999-01-01"},
        {"stage": "college", "reached_on": "yesterday"},
    ],
)
def test_bad_input_is_a_form_error(client: Any, learner: Any, data: dict[str, str]) -> None:
    client.force_login(learner.user)
    assert client.post(reverse("outcomes:pipeline"), data).status_code == 400
    assert not PipelineStage.objects.exists()


@pytest.mark.parametrize("role", ["mentor", "coordinator", "guardian", "reviewer"])
def test_only_learners_use_the_pipeline_page(client: Any, request: Any, role: str) -> None:
    person = request.getfixturevalue(role)
    client.force_login(getattr(person, "user", person))
    assert client.get(reverse("outcomes:pipeline")).status_code == 403
