"""The coordinator's application list, queue and programs page: indexes, constant queries, cheap rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorfold.programs import selectors
from mentorfold.programs.models import Enrollment, RequirementRecord

from .factories import EnrollmentFactory, RequirementRecordFactory

pytestmark = pytest.mark.django_db


def _query_plan(sql: str, params: Any = ()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def _applications(n: int, term: Any) -> None:
    for i in range(n):
        status = [Enrollment.Status.APPLIED, Enrollment.Status.ACCEPTED, Enrollment.Status.DECLINED][i % 3]
        EnrollmentFactory(term=term, status=status)


def test_application_list_and_programs_page_cost_the_same_queries_for_few_and_many(
    client: Any, coordinator: Any, term: Any
) -> None:
    client.force_login(coordinator)
    counts = []
    for n in (5, 50):
        Enrollment.objects.all().delete()
        _applications(n, term)
        for url in (
            reverse("programs:enrollments") + "?status=applied",
            reverse("programs:enrollments") + "?status=",
            reverse("programs:manage"),
        ):
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append((url, len(queries)))
    assert counts[:3] == counts[3:]


def test_programs_page_counts_applications_per_status(term: Any) -> None:
    _applications(7, term)
    EnrollmentFactory(term=term, status=Enrollment.Status.WAITLISTED)
    counts = selectors.coordinator_counts()
    assert (counts["applied"], counts["accepted"], counts["waitlisted"]) == (3, 2, 1)


def test_programs_page_counts_zero_for_a_status_nobody_has(term: Any) -> None:
    EnrollmentFactory(term=term, status=Enrollment.Status.APPLIED)
    counts = selectors.coordinator_counts()
    assert (counts["applied"], counts["accepted"], counts["waitlisted"]) == (1, 0, 0)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_application_list_reads_the_status_index_in_order(term: Any) -> None:
    _applications(30, term)
    first_page = selectors.enrollments_for_review(status=Enrollment.Status.APPLIED)[:50]
    sql, params = first_page.query.sql_with_params()
    plan = _query_plan(sql, params)
    assert "enrollment_status_idx" in plan and "TEMP B-TREE" not in plan, plan
    count_plan = _query_plan(
        "SELECT COUNT(*) FROM programs_enrollment WHERE status = %s", [Enrollment.Status.APPLIED]
    )
    assert "COVERING INDEX enrollment_status_idx" in count_plan, count_plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_status_counts_read_only_the_status_index(term: Any) -> None:
    _applications(30, term)
    with CaptureQueriesContext(connection) as queries:
        selectors.coordinator_counts()
    enrollment_sql = [q["sql"] for q in queries if "programs_enrollment" in q["sql"]]
    assert len(enrollment_sql) == 1
    assert "COVERING INDEX enrollment_status_idx" in _query_plan(enrollment_sql[0])


def test_each_row_names_its_person_in_labels_and_the_signature(
    client: Any, coordinator: Any, program: Any, term: Any, minor_learner: Any, learner: Any
) -> None:
    requirement = program.requirements.get(kind="orientation")
    RequirementRecordFactory(
        requirement=requirement,
        person=learner.user,
        status=RequirementRecord.Status.SUBMITTED,
        signed_name="Typed Name",
        signed_by=learner.user,
        signed_at=timezone.now(),
    )
    EnrollmentFactory(term=term, learner=minor_learner)
    client.force_login(coordinator)
    queue = client.get(reverse("programs:queue")).content.decode()
    name, req = learner.user.full_name, requirement.name
    for text in (
        f"Note for {name}",
        f"Approve {req} for {name}",
        f"Reject {req} for {name}",
        "Signed “Typed Name” by",
    ):
        assert text in queue, text
    applications = client.get(reverse("programs:enrollments")).content.decode()
    minor = minor_learner.user.full_name
    for text in (f"Reason for {minor}", f"Accept {minor}", "under 18", ">Waitlist</button>"):
        assert text in applications, text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_application_list_of_every_status_reads_applications_in_date_order(term: Any) -> None:
    _applications(30, term)
    first_page = selectors.enrollments_for_review(status="")[:50]
    sql, params = first_page.query.sql_with_params()
    plan = _query_plan(sql, params)
    assert "enrollment_created_idx" in plan and "TEMP B-TREE" not in plan, plan
