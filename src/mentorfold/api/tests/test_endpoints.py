"""What the endpoints return, the shared error body, the browser session with CSRF, and query-count bounds."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mentorfold.accounts.tests.factories import MentorProfileFactory
from mentorfold.core.models import AuditEvent
from mentorfold.grants.models import Review
from mentorfold.shadowing.models import Booking

from .factories import World, bearer, make_token

pytestmark = pytest.mark.django_db


def api_for(person: Any, scope: str = "read_write") -> Client:
    _token, raw = make_token(getattr(person, "user", person), scope=scope)
    return Client(**bearer(raw))


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def test_a_service_refusal_is_a_400_with_the_services_message(world: World, learner: Any) -> None:
    api = api_for(learner)
    assert post(api, f"/api/v1/bookings/{world.booking.pk}/cancel", {"reason": "Exam"}).status_code == 200
    response = post(api, f"/api/v1/bookings/{world.booking.pk}/cancel", {"reason": "Exam"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Only a booked session can be cancelled.",
        "errors": [{"field": "", "message": "Only a booked session can be cancelled."}],
    }


def test_missing_scores_on_submit_name_the_field(world: World, reviewer: Any) -> None:
    response = post(
        api_for(reviewer), f"/api/v1/reviews/{world.application.pk}", {"scores": {"story": 4}, "submit": True}
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"community", "need", "plan"}


def test_a_malformed_body_is_a_422_with_the_same_shape(world: World, reviewer: Any) -> None:
    response = post(
        api_for(reviewer), f"/api/v1/reviews/{world.application.pk}", {"scores": {"story": "high"}}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and body["errors"][0]["field"] == "scores.story"


def test_unknown_ids_are_404_with_the_error_body(learner: Any) -> None:
    response = api_for(learner).get("/api/v1/bookings/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


def test_answers_are_never_stored_by_caches(learner: Any) -> None:
    response = api_for(learner).get("/api/v1/me")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_reviewer_submits_scores_through_the_review_service(world: World, reviewer: Any) -> None:
    scores = {"story": 4, "community": 5, "need": 3, "plan": 4}
    response = post(
        api_for(reviewer), f"/api/v1/reviews/{world.application.pk}", {"scores": scores, "submit": True}
    )
    assert response.status_code == 200
    assert response.json()["my_review"]["status"] == "submitted"
    review = Review.objects.get(application=world.application, reviewer=reviewer.user)
    assert review.scores == scores and review.total is not None
    assert AuditEvent.objects.filter(action="api.review_save", actor=reviewer.user).exists()


def test_a_conflicted_reviewer_sees_nothing_of_the_application(
    world: World, reviewer: Any, conflicted_reviewer: Any
) -> None:
    mine = api_for(reviewer).get("/api/v1/reviews").json()
    assert [a["application_id"] for a in mine["items"]] == [world.application.pk]
    theirs = api_for(conflicted_reviewer).get("/api/v1/reviews").json()
    assert theirs == {"items": [], "count": 0}


def test_declaring_a_conflict_removes_the_assignment(world: World, reviewer: Any) -> None:
    api = api_for(reviewer)
    assert (
        post(api, f"/api/v1/reviews/{world.application.pk}/conflict", {"reason": "My cousin"}).status_code
        == 200
    )
    assert api.get(f"/api/v1/reviews/{world.application.pk}").status_code == 404
    assert AuditEvent.objects.filter(action="grants.conflict_discovered").exists()


def test_blind_review_hides_the_applicants_name_and_school(world: World, reviewer: Any) -> None:
    world.cycle.blind_review = True
    world.cycle.save(update_fields=["blind_review"])
    detail = api_for(reviewer).get(f"/api/v1/reviews/{world.application.pk}").json()
    assert detail["applicant_name"] is None and detail["school"] is None
    assert world.application.applicant.user.full_name not in str(detail)


def test_a_learner_books_a_slot_and_the_booking_is_audited(world: World, learner: Any) -> None:
    response = post(api_for(learner), f"/api/v1/slots/{world.slot.pk}/book", {})
    assert response.status_code == 201
    booking = Booking.objects.get(pk=response.json()["id"])
    assert booking.learner == learner and booking.slot == world.slot
    assert AuditEvent.objects.filter(action="api.booking_create", target_id=str(booking.pk)).exists()


def test_the_learner_sees_the_open_slot_but_not_a_full_or_booked_one(world: World, learner: Any) -> None:
    items = api_for(learner).get("/api/v1/slots").json()["items"]
    assert [s["id"] for s in items] == [world.slot.pk]
    assert items[0]["seats_left"] == 1


def test_a_guardian_sees_their_childs_bookings_only(world: World, guardian: Any) -> None:
    items = api_for(guardian).get("/api/v1/bookings").json()["items"]
    assert [b["id"] for b in items] == [world.minor_booking.pk]


def test_a_mentor_sees_a_learners_name_but_no_other_personal_data(
    world: World, other_mentor: Any, minor_learner: Any
) -> None:
    items = api_for(other_mentor).get("/api/v1/bookings").json()["items"]
    assert [b["id"] for b in items] == [world.minor_booking.pk]
    text = str(items)
    assert minor_learner.user.full_name in text
    assert minor_learner.user.email not in text
    assert str(minor_learner.date_of_birth) not in text


def test_only_cleared_mentors_are_listed(world: World, mentor: Any) -> None:
    MentorProfileFactory(onboarding=True, user__full_name="Not Yet Cleared")
    items = api_for(mentor).get("/api/v1/mentors").json()["items"]
    assert "Not Yet Cleared" not in str(items)
    assert {"licence_number", "background_check_verified_on", "status_reason"}.isdisjoint(items[0])


def test_the_browser_session_works_and_writes_need_the_csrf_token(world: World, learner: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner.user)
    assert client.get("/api/v1/me").json()["email"] == learner.user.email
    url = f"/api/v1/bookings/{world.booking.pk}/cancel"
    refused = post(client, url, {"reason": "Exam"})
    assert refused.status_code == 403
    assert set(refused.json()) == {"detail", "errors"}
    client.get("/api/tokens/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    ok = client.post(url, {"reason": "Exam"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200
    assert AuditEvent.objects.get(action="api.booking_cancel").data["via"] == "session"


def test_docs_and_schema_are_served(client: Client) -> None:
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Mentorfold API"
    assert client.get("/api/docs").status_code == 302
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/mentors", "/api/v1/programs", "/api/v1/sites", "/api/v1/terms"])
def test_lists_page_by_50_in_a_constant_number_of_queries(
    url: str, learner: Any, django_assert_max_num_queries: Any
) -> None:
    from mentorfold.programs.tests.factories import ProgramFactory, SiteFactory, TermFactory

    for _ in range(3):
        MentorProfileFactory()
        TermFactory(program=ProgramFactory())
        SiteFactory()
    api = api_for(learner)
    api.get("/api/v1/me")
    with django_assert_max_num_queries(6):
        small = api.get(url).json()
    for _ in range(52):
        MentorProfileFactory()
        TermFactory(program=ProgramFactory())
        SiteFactory()
    with django_assert_max_num_queries(6):
        first = api.get(url).json()
    second = api.get(url + "?page=2").json()
    assert len(small["items"]) >= 3
    assert len(first["items"]) == 50 and first["count"] == 50 + len(second["items"])


def test_rankings_go_through_the_matching_service(world: World, learner: Any, other_mentor: Any) -> None:
    api = api_for(learner)
    url = f"/api/v1/me/terms/{world.term.pk}/preferences"
    assert api.get(url).json() == {
        "term_id": world.term.pk,
        "is_open": True,
        "max_preferences": 10,
        "ranking": [],
    }
    repeated = api.put(
        url, {"mentor_ids": [other_mentor.pk, other_mentor.pk]}, content_type="application/json"
    )
    assert repeated.status_code == 400
    assert "only once" in repeated.json()["detail"]
    not_open = api.put(url, {"mentor_ids": [other_mentor.pk]}, content_type="application/json")
    assert not_open.status_code == 400
    assert "not open to you" in not_open.json()["detail"]
    assert api.put(url, {"mentor_ids": []}, content_type="application/json").status_code == 200
    assert AuditEvent.objects.filter(action="api.preferences_replace").exists()


def test_a_read_token_cannot_replace_a_ranking(world: World, learner: Any) -> None:
    url = f"/api/v1/me/terms/{world.term.pk}/preferences"
    response = api_for(learner, scope="read").put(url, {"mentor_ids": []}, content_type="application/json")
    assert response.status_code == 403


def test_hours_and_certificates_are_the_learners_own(world: World, learner: Any) -> None:
    from mentorfold.shadowing.tests.factories import HoursCertificateFactory

    HoursCertificateFactory(learner=learner)
    HoursCertificateFactory()
    api = api_for(learner)
    assert api.get("/api/v1/me/hours").json()["total_minutes"] == 0
    assert api.get("/api/v1/me/certificates").json()["count"] == 1


def test_a_coordinator_reads_a_runs_results(
    world: World, coordinator: Any, learner: Any, other_learner: Any, mentor: Any
) -> None:
    from mentorfold.matching.models import MatchAssignment

    MatchAssignment.objects.create(run=world.run, learner=learner, mentor=mentor, rank=1, score=0.9)
    MatchAssignment.objects.create(run=world.run, learner=other_learner, reason="all_full")
    api = api_for(coordinator)
    every = api.get(f"/api/v1/match-runs/{world.run.pk}/results").json()
    assert every["count"] == 2
    matched = api.get(f"/api/v1/match-runs/{world.run.pk}/results?matched=true").json()["items"]
    assert [(r["learner_id"], r["mentor_id"], r["rank"]) for r in matched] == [(learner.pk, mentor.pk, 1)]
    assert api.get(f"/api/v1/match-runs/{world.run.pk}").json()["status"] == world.run.status
