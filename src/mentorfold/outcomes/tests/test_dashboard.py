"""Coordinator dashboards: aggregates only, every small group hidden on the page and in every export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mentorfold.accounts.tests.factories import UserFactory
from mentorfold.engine.stats import is_safe
from mentorfold.programs.tests.factories import TermFactory
from mentorfold.shadowing.tests.factories import BookingFactory, SlotFactory

from .. import selectors
from ..models import SurveyInvitation, SurveyResponse, SurveySchedule
from .factories import SurveyScheduleFactory

pytestmark = pytest.mark.django_db

SECRET_ANSWER = {"mini_z_1": 2, "mini_z_3": 4}


def _responses(
    schedule: SurveySchedule, scores: list[dict[str, Any]], users: list[Any] | None = None
) -> list[Any]:
    users = users or [UserFactory() for _ in scores]
    now = timezone.now()
    invitations = SurveyInvitation.objects.bulk_create(
        SurveyInvitation(schedule=schedule, user=u, due_on=schedule.due_on, completed_at=now) for u in users
    )
    SurveyResponse.objects.bulk_create(
        SurveyResponse(invitation=i, answers=SECRET_ANSWER, scores=s, **SurveyResponse.score_columns(s))
        for i, s in zip(invitations, scores, strict=True)
    )
    return users


def _burnout(
    n_yes: int, n_no: int, kind: str = SurveySchedule.Kind.MENTOR_BASELINE, term: Any = None
) -> None:
    schedule = SurveyScheduleFactory(kind=kind, **({"term": term} if term else {}))
    _responses(schedule, [{"burnout": True}] * n_yes + [{"burnout": False}] * n_no)


def _csv(client: Any, chart: str) -> list[list[str]]:
    cache.clear()
    response = client.get(reverse("outcomes:export", kwargs={"chart": chart, "fmt": "csv"}))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_burnout_is_shown_with_a_wilson_interval_and_the_national_figure(
    client: Any, coordinator: Any
) -> None:
    _burnout(12, 18)
    chart = selectors.burnout_chart()
    baseline = chart.rows[0]
    assert baseline[1:5] == [30, 12, 18, 40.0]
    assert baseline[5] < 40 < baseline[6]
    assert chart.reference is not None and "Shanafelt" in chart.reference.citation
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:home")).content.decode()
    assert "<svg" in page and "<table" in page and "Shanafelt" in page


def test_a_small_yes_group_hides_the_whole_share(client: Any, coordinator: Any) -> None:
    _burnout(4, 26)  # 4 burned-out mentors could be recognised; 26 alone would reveal them from the total
    chart = selectors.burnout_chart()
    assert chart.rows[0][2:5] == [selectors.HIDDEN, selectors.HIDDEN, selectors.HIDDEN]
    client.force_login(coordinator)
    rows = _csv(client, "burnout")
    assert rows[1][2] == "<10" and rows[1][3] == "<10"


def test_a_group_under_ten_people_is_hidden_entirely(client: Any, coordinator: Any) -> None:
    _burnout(3, 5)
    row = selectors.burnout_chart().rows[0]
    assert row[1:] == ["<10"] * 6


def test_every_chart_and_export_is_safe_against_subtraction(client: Any, coordinator: Any) -> None:
    """Property over all charts: published yes/no cells never show 1-9 and never leave one cell recoverable."""
    _burnout(15, 3)
    _burnout(11, 14, kind=SurveySchedule.Kind.MENTOR_END)
    slot = SlotFactory(starts_at=timezone.now() - timezone.timedelta(days=3))
    BookingFactory(slot=slot, status="completed", patients_consented=25, patients_declined=2)
    client.force_login(coordinator)
    for key, build in selectors.CHARTS.items():
        chart = build()
        if chart is None:
            continue
        for rows in (chart.rows, _csv(client, key)[1:]):
            for row in rows:
                numbers = [c for c in row[1:] if isinstance(c, int) or (isinstance(c, str) and c.isdigit())]
                assert not any(0 < int(n) < 10 for n in numbers if key != "grants" or n != row[-1]), (
                    key,
                    row,
                )
        if key in {"burnout", "acceptance", "response_rates"}:
            for row in chart.rows:
                total = row[-6] if key != "acceptance" else row[2]
                yes, no = row[-5], row[-4]
                if isinstance(total, int):
                    cells = {"yes": None if yes == "<10" else yes, "no": None if no == "<10" else no}
                    assert is_safe(cells, total=total, threshold=10), (key, row)


def test_acceptance_hides_a_site_month_with_few_declines(coordinator: Any) -> None:
    slot = SlotFactory(starts_at=timezone.now() - timezone.timedelta(days=2))
    BookingFactory(slot=slot, status="completed", patients_consented=40, patients_declined=3)
    row = selectors.acceptance_chart().rows[0]
    assert row[2] == 43 and row[3:] == ["<10"] * 5


def test_individual_answers_never_reach_coordinators_pages_or_exports(client: Any, coordinator: Any) -> None:
    users = [UserFactory(full_name=f"Secret Person {i}") for i in range(12)]
    schedule = SurveyScheduleFactory()
    _responses(schedule, [{"burnout": True}] * 12, users=users)
    client.force_login(coordinator)
    bodies = [client.get(reverse("outcomes:home")).content.decode()]
    for key in selectors.CHARTS:
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse("outcomes:export", kwargs={"chart": key, "fmt": fmt}))
            if fmt == "csv":
                bodies.append(response.content.decode())
            else:
                sheet = load_workbook(io.BytesIO(response.content)).active
                bodies.append(" ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row))
    invitation = SurveyInvitation.objects.filter(schedule=schedule).first()
    for body in bodies:
        assert "Secret Person" not in body and "mini_z_1" not in body and invitation.token not in body


def test_mine_shows_only_your_own_surveys(client: Any, mentor: Any, other_mentor: Any) -> None:
    schedule = SurveyScheduleFactory()
    _responses(schedule, [{"burnout": True}], users=[other_mentor.user])
    theirs = SurveyInvitation.objects.get(user=other_mentor.user)
    client.force_login(mentor.user)
    page = client.get(reverse("outcomes:mine")).content.decode()
    assert theirs.token not in page


@pytest.mark.parametrize("role", ["mentor", "other_mentor", "learner", "guardian", "reviewer"])
def test_only_coordinators_open_dashboards_and_exports(client: Any, request: Any, role: str) -> None:
    person = request.getfixturevalue(role)
    client.force_login(getattr(person, "user", person))
    assert client.get(reverse("outcomes:home")).status_code == 403
    assert (
        client.get(reverse("outcomes:export", kwargs={"chart": "burnout", "fmt": "csv"})).status_code == 403
    )
    assert client.get(reverse("outcomes:instruments")).status_code == 403
    term = TermFactory()
    assert client.post(reverse("outcomes:term_surveys", kwargs={"term_pk": term.pk})).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    for name in ("outcomes:home", "outcomes:mine", "outcomes:pipeline", "outcomes:instruments"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_export_is_not_found(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("outcomes:export", kwargs={"chart": "nope", "fmt": "csv"})).status_code == 404
    assert (
        client.get(reverse("outcomes:export", kwargs={"chart": "burnout", "fmt": "exe"})).status_code == 404
    )


def test_coordinator_creates_term_surveys(client: Any, coordinator: Any) -> None:
    term = TermFactory(
        starts_on=timezone.localdate(), ends_on=timezone.localdate() + timezone.timedelta(days=60)
    )
    client.force_login(coordinator)
    assert client.post(reverse("outcomes:term_surveys", kwargs={"term_pk": term.pk})).status_code == 302
    assert SurveySchedule.objects.filter(term=term).count() == 6


def test_dashboard_query_count_stays_constant_as_data_grows(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    _burnout(12, 12)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("outcomes:home")).status_code == 200
    for _ in range(3):
        _burnout(15, 15)
        term = TermFactory()
        _burnout(10, 20, kind=SurveySchedule.Kind.MENTOR_END, term=term)
        slot = SlotFactory(starts_at=timezone.now() - timezone.timedelta(days=5))
        BookingFactory(slot=slot, status="completed", patients_consented=30, patients_declined=12)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("outcomes:home"))
    assert len(large) == len(small) <= 20
    with CaptureQueriesContext(connection) as cached:
        client.get(reverse("outcomes:home"))
    assert len(cached) < len(large)


def test_annual_report_pdf_for_coordinators_only(client: Any, coordinator: Any, mentor: Any) -> None:
    users = [UserFactory(full_name=f"Secret Person {i}") for i in range(12)]
    _responses(SurveyScheduleFactory(), [{"burnout": True}] * 12, users=users)
    client.force_login(mentor.user)
    assert client.get(reverse("outcomes:report_pdf")).status_code == 403
    client.force_login(coordinator)
    response = client.get(reverse("outcomes:report_pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"Secret Person" not in response.content and b"Shanafelt" in response.content


def test_a_cold_export_computes_only_its_chart_and_the_page_shows_the_same_numbers(
    client: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    _burnout(12, 12)
    with CaptureQueriesContext(connection) as export:
        exported = _csv(client, "burnout")
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("outcomes:home"))
    assert len(export) < len(page)  # the page computed the charts the export did not
    _burnout(30, 0)  # new answers within the 10 minutes: page and export keep showing one snapshot
    assert client.get(reverse("outcomes:home")).status_code == 200
    again = client.get(reverse("outcomes:export", kwargs={"chart": "burnout", "fmt": "csv"}))
    assert list(csv.reader(io.StringIO(again.content.decode()))) == exported
    assert selectors.cached_charts(["burnout"])["burnout"].rows[0][1] == 24  # 12 + 12, not the later 30
    cache.clear()
    assert selectors.cached_charts(["burnout"])["burnout"].rows[0][1] == 24 + 30
