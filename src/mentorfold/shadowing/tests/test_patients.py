"""Issue #14: patient counts and anonymous feedback are shown — mentors their own, coordinators per site — and
coordinators can hide a comment with an audited reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from mentorfold.core.models import AuditEvent
from mentorfold.shadowing import selectors, services
from mentorfold.shadowing.models import Booking, PatientFeedback

from .factories import BookingFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _verified(*, slot: Any, learner: Any, mentor: Any, consented: int, declined: int) -> Booking:
    booking = BookingFactory(slot=slot, learner=learner)
    return services.hours_verify(
        booking=booking,
        actor=mentor.user,
        patients_consented=consented,
        patients_declined=declined,
        now=slot.ends_at,
    )


@pytest.fixture
def history(ready: Any, mentor: Any, make_slot: Any, other_mentor: Any, site: Any) -> dict[str, Any]:
    _verified(slot=make_slot(days=-3), learner=ready, mentor=mentor, consented=6, declined=2)
    _verified(slot=make_slot(days=-2), learner=ready, mentor=mentor, consented=3, declined=1)
    elsewhere = SiteFactory(name="Eastside Clinic")
    _verified(
        slot=make_slot(days=-1, mentor=other_mentor, site=elsewhere),
        learner=ready,
        mentor=other_mentor,
        consented=1,
        declined=3,
    )
    kind = PatientFeedback.objects.create(
        site=site, mentor=mentor, q1_learner_ok="yes", q2_enough_time="yes", comment="Lovely student."
    )
    PatientFeedback.objects.create(site=site, mentor=mentor, q1_learner_ok="no", q2_enough_time="less")
    other = PatientFeedback.objects.create(
        site=elsewhere,
        mentor=other_mentor,
        q1_learner_ok="unsure",
        q2_enough_time="more",
        comment="Too crowded.",
    )
    return {"kind": kind, "other": other, "elsewhere": elsewhere}


def test_a_mentor_sees_only_their_own_counts_and_comments(
    client: Any, mentor: Any, history: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(mentor.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("shadowing:patients_mine"))
    assert response.status_code == 200
    assert response.context["consented"] == 9 and response.context["declined"] == 3
    assert response.context["answers"]["total"] == 2 and response.context["answers"]["ok_no"] == 1
    page = response.content.decode()
    assert "Lovely student." in page and "Too crowded." not in page
    assert 'id="tally-rate">75 %' in page


def test_a_hidden_comment_leaves_the_mentors_page_but_its_answers_still_count(
    client: Any, mentor: Any, coordinator: Any, history: dict[str, Any]
) -> None:
    services.patient_feedback_hide(feedback=history["kind"], actor=coordinator, reason="Names a nurse")
    summary = selectors.mentor_patient_summary(mentor=mentor)
    assert summary["comments"] == [] and summary["answers"]["total"] == 2
    event = AuditEvent.objects.get(action="shadowing.patient_feedback_hide")
    assert event.reason == "Names a nurse" and event.actor == coordinator


def test_hiding_needs_a_coordinator_a_reason_and_happens_once(
    mentor: Any, coordinator: Any, history: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        services.patient_feedback_hide(feedback=history["kind"], actor=mentor.user, reason="x")
    with pytest.raises(ValidationError):
        services.patient_feedback_hide(feedback=history["kind"], actor=coordinator, reason="  ")
    services.patient_feedback_hide(feedback=history["kind"], actor=coordinator, reason="Unkind")
    with pytest.raises(ValidationError, match="already hidden"):
        services.patient_feedback_hide(feedback=history["kind"], actor=coordinator, reason="Again")


def test_acceptance_rate_by_site_and_month(history: dict[str, Any]) -> None:
    data = selectors.site_acceptance_by_month(months=3)
    assert len(data["months"]) == 3 and data["months"][-1] == timezone.localdate().replace(day=1)
    by_site = {site["name"]: site for site in data["sites"]}
    months = [cell for cell in by_site["Harbor Family Clinic"]["cells"] if cell["rate"] is not None]
    assert sum(c["consented"] for c in months) == 9 and sum(c["declined"] for c in months) == 3
    eastside = [cell for cell in by_site["Eastside Clinic"]["cells"] if cell["rate"] is not None]
    assert [c["percent"] for c in eastside] == [25]
    assert selectors.acceptance_rate(0, 0) is None


def test_the_coordinator_sees_the_table_and_an_accessible_chart(
    client: Any, coordinator: Any, history: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("shadowing:patients_sites") + "?months=6")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") == 2 and 'role="img"' in page and "<title" in page
    assert "The same numbers are in the table below." in page
    assert page.count("<table") == 2 and "25 %" in page


def test_hostile_month_values_are_ignored_not_a_500(
    client: Any, coordinator: Any, history: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    for value in ["-4", "999", "abc", "1e9"]:
        response = client.get(reverse("shadowing:patients_sites"), {"months": value})
        assert response.status_code == 200
        assert len(response.context["months"]) == 12


def test_the_coordinator_hides_a_comment_from_the_moderation_page(
    client: Any, coordinator: Any, history: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("shadowing:feedback_moderation")).content.decode()
    assert "Lovely student." in page and "Too crowded." in page
    url = reverse("shadowing:feedback_hide", args=[history["kind"].pk])
    client.post(url, {"reason": ""})
    history["kind"].refresh_from_db()
    assert not history["kind"].is_hidden
    client.post(url, {"reason": "Unkind"})
    history["kind"].refresh_from_db()
    assert history["kind"].is_hidden and history["kind"].hidden_reason == "Unkind"


def test_only_the_right_roles_reach_the_patient_pages(
    client: Any, mentor: Any, ready: Any, guardian: Any, history: dict[str, Any]
) -> None:
    mine, sites = reverse("shadowing:patients_mine"), reverse("shadowing:patients_sites")
    moderation = reverse("shadowing:feedback_moderation")
    hide = reverse("shadowing:feedback_hide", args=[history["kind"].pk])
    assert client.get(mine).status_code == 302 and client.get(sites).status_code == 302
    for user in (ready.user, guardian):
        client.force_login(user)
        assert client.get(mine).status_code == 403
        assert client.get(sites).status_code == 403 and client.get(moderation).status_code == 403
        assert client.post(hide, {"reason": "x"}).status_code == 403
    client.force_login(mentor.user)
    assert client.get(sites).status_code == 403 and client.get(moderation).status_code == 403
    assert client.post(hide, {"reason": "x"}).status_code == 403
    assert not PatientFeedback.objects.filter(hidden_at__isnull=False).exists()


def test_old_months_fall_outside_the_window(ready: Any, mentor: Any, make_slot: Any) -> None:
    _verified(slot=make_slot(days=-200), learner=ready, mentor=mentor, consented=5, declined=0)
    data = selectors.site_acceptance_by_month(months=2, now=timezone.now() + timedelta(days=1))
    assert data["sites"] == []
