"""Issue 14 §6: the coordinator's programs panel counts with two plain queries, the same at any size."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ..models import Enrollment, RequirementRecord
from .factories import EnrollmentFactory, RequirementFactory, RequirementRecordFactory

pytestmark = pytest.mark.django_db


def _add(term: Any, n: int) -> None:
    requirement = RequirementFactory(program=term.program)
    for i in range(n):
        status = Enrollment.Status.APPLIED if i % 2 == 0 else Enrollment.Status.DECLINED
        EnrollmentFactory(term=term, status=status)
        record = RequirementRecord.Status.SUBMITTED if i % 5 == 0 else RequirementRecord.Status.APPROVED
        RequirementRecordFactory(requirement=requirement, status=record)


def _dashboard(client: Any, django_assert_max_num_queries: Any) -> tuple[dict[str, int], int]:
    with django_assert_max_num_queries(40) as ctx:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    panel = next(p for p in response.context["panels"] if p.template == "programs/panels/coordinator.html")
    return panel.context["counts"], len(ctx.captured_queries)


def test_the_coordinator_panel_counts_only_open_work_and_costs_the_same_with_5_and_50(
    client: Any, coordinator: Any, term: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _add(term, 5)
    counts, few = _dashboard(client, django_assert_max_num_queries)
    assert counts == {"applied": 3, "queue": 1}
    _add(term, 45)
    counts, many = _dashboard(client, django_assert_max_num_queries)
    assert counts == {"applied": 3 + 23, "queue": 1 + 9}
    assert many == few
