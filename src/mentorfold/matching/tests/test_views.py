from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.accounts.tests.factories import LearnerProfileFactory
from mentorfold.matching import services
from mentorfold.matching.models import MatchRun, MentorDecision, Mentorship, Preference

from .conftest import many_learners
from .factories import MentorshipFactory, rank


def login(client: Any, who: Any) -> None:
    client.force_login(getattr(who, "user", who))


def published(term: Any, coordinator: Any) -> MatchRun:
    run = MatchRun.objects.create(term=term, method="stable", seed=1, created_by=coordinator)
    run = services.match_run_execute(match_run=run)
    services.match_run_publish(match_run=run, user=coordinator)
    return run


# ------------------------------------------------------------------------------------------ home


def test_home_shows_each_role_its_part(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, coordinator: Any
) -> None:
    login(client, learner)
    assert "Rank mentors" in client.get(reverse("matching:home")).content.decode()
    login(client, mentor)
    assert "Learners who chose you" in client.get(reverse("matching:home")).content.decode()
    login(client, coordinator)
    assert "Match runs by term" in client.get(reverse("matching:home")).content.decode()


def test_opening_matching_marks_notices_read(
    client: Any, ranked_term: Any, learner: Any, coordinator: Any
) -> None:
    from mentorfold.core.models import Notice

    published(ranked_term, coordinator)
    login(client, learner)
    assert "You are matched with" in client.get(reverse("dashboard")).content.decode()
    client.get(reverse("matching:home"))
    assert not Notice.objects.filter(user=learner.user, read_at__isnull=True).exists()


def test_home_needs_login(client: Any) -> None:
    assert client.get(reverse("matching:home")).status_code == 302


# ------------------------------------------------------------------------------------------ preferences


def test_learner_sees_eligible_mentors_and_their_list_in_bounded_queries(
    client: Any, ranked_term: Any, learner: Any, django_assert_max_num_queries: Any
) -> None:
    many_learners(ranked_term, 3)
    login(client, learner)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    with django_assert_max_num_queries(30):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Move up" in body and "Grace Kim" in body  # third mentor is offered, the others are on the list


def test_preference_page_query_count_does_not_grow_with_mentors(
    client: Any, ranked_term: Any, learner: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mentorfold.accounts.tests.factories import MentorProfileFactory

    from .factories import join_term

    login(client, learner)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    join_term(ranked_term, mentors=[MentorProfileFactory() for _ in range(15)], site=ranked_term.site)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count("Add to my list") == 16
    assert len(many.captured_queries) == len(few.captured_queries)


def test_learner_reorders_with_the_buttons_and_htmx_gets_the_list_fragment(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, other_mentor: Any
) -> None:
    login(client, learner)
    url = reverse("matching:preferences", args=[ranked_term.pk])
    response = client.post(url, {"action": "down", "mentor": mentor.pk})
    assert response.status_code == 302
    assert list(
        Preference.objects.filter(learner=learner).order_by("rank").values_list("mentor_id", flat=True)
    ) == [other_mentor.pk, mentor.pk]
    response = client.post(
        url, {"action": "order", "order": f"{mentor.pk},{other_mentor.pk}"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'id="ranking"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_learner_gets_a_clear_error_when_the_list_is_full(
    client: Any, ranked_term: Any, learner: Any, third_mentor: Any
) -> None:
    ranked_term.max_preferences = 2
    ranked_term.save()
    login(client, learner)
    response = client.post(
        reverse("matching:preferences", args=[ranked_term.pk]),
        {"action": "add", "mentor": third_mentor.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "up to 2 mentors" in response.content.decode()


@pytest.mark.parametrize("who", ["mentor", "guardian", "reviewer", "coordinator"])
def test_only_learners_open_the_preference_page(
    client: Any, ranked_term: Any, who: str, request: Any
) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("matching:preferences", args=[ranked_term.pk])).status_code == 403


def test_a_learner_not_accepted_in_the_term_gets_404(client: Any, ranked_term: Any) -> None:
    login(client, LearnerProfileFactory())
    assert client.get(reverse("matching:preferences", args=[ranked_term.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client: Any, ranked_term: Any) -> None:
    response = client.get(reverse("matching:preferences", args=[ranked_term.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_learner_a_cannot_see_learner_b_preferences(
    client: Any, ranked_term: Any, learner: Any, other_learner: Any, third_mentor: Any
) -> None:
    login(client, learner)
    body = client.get(reverse("matching:preferences", args=[ranked_term.pk])).content.decode()
    # other_learner ranked third_mentor; for learner it is only an option to add, never shown as ranked
    assert other_learner.user.full_name not in body
    ranked_section = body.split('id="ranking"')[1].split("</ol>")[0]
    assert "Grace Kim" not in ranked_section


# ------------------------------------------------------------------------------------------ my match + mentorship


def test_learner_sees_their_match_and_explanation(
    client: Any,
    ranked_term: Any,
    learner: Any,
    other_learner: Any,
    mentor: Any,
    coordinator: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from .factories import mentor_rank

    mentor_rank(ranked_term, mentor, [other_learner, learner])
    published(ranked_term, coordinator)
    login(client, learner)
    with django_assert_max_num_queries(20):
        body = client.get(reverse("matching:my_match", args=[ranked_term.pk])).content.decode()
    assert "You are matched with Dr. Omar Ali" in body
    assert "full with learners they ranked higher" in body
    assert other_learner.user.full_name not in body


def test_learner_a_cannot_open_learner_b_mentorship_or_explanation(
    client: Any, ranked_term: Any, learner: Any, other_learner: Any, coordinator: Any
) -> None:
    published(ranked_term, coordinator)
    theirs = Mentorship.objects.get(learner=other_learner)
    login(client, learner)
    assert client.get(reverse("matching:mentorship", args=[theirs.pk])).status_code == 404
    mine = Mentorship.objects.get(learner=learner)
    assert client.get(reverse("matching:mentorship", args=[mine.pk])).status_code == 200


@pytest.mark.parametrize("who", ["other_mentor", "reviewer", "guardian"])
def test_outsiders_cannot_open_a_mentorship(client: Any, db: None, who: str, request: Any) -> None:
    m = MentorshipFactory()
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("matching:mentorship", args=[m.pk])).status_code == 404


def test_mentor_sees_the_mentorship_and_can_decline_it(
    client: Any,
    ranked_term: Any,
    learner: Any,
    mentor: Any,
    coordinator: Any,
    django_assert_max_num_queries: Any,
) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    login(client, mentor)
    url = reverse("matching:mentorship", args=[m.pk])
    with django_assert_max_num_queries(20):
        assert "Decline this match" in client.get(url).content.decode()
    client.post(url, {"action": "decline", "reason": "On leave"})
    assert Mentorship.objects.get(pk=m.pk).status == "declined"


def test_learner_cannot_decline_or_change_status(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, coordinator: Any
) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    login(client, learner)
    url = reverse("matching:mentorship", args=[m.pk])
    assert client.post(url, {"action": "decline", "reason": "x"}).status_code == 403
    assert client.post(url, {"action": "status", "status": "paused"}).status_code == 403
    client.post(url, {"action": "goals", "goals": "Learn to take a history"})
    assert Mentorship.objects.get(pk=m.pk).goals == "Learn to take a history"


def test_guardian_of_the_learner_can_view_the_mentorship(
    client: Any, ranked_term: Any, minor_learner: Any, guardian: Any
) -> None:
    m = MentorshipFactory(learner=minor_learner, term=ranked_term)
    login(client, guardian)
    assert client.get(reverse("matching:mentorship", args=[m.pk])).status_code == 200


# ------------------------------------------------------------------------------------------ mentor requests


def test_mentor_answers_only_about_learners_who_ranked_them(
    client: Any,
    ranked_term: Any,
    learner: Any,
    other_learner: Any,
    other_mentor: Any,
    django_assert_max_num_queries: Any,
) -> None:
    login(client, other_mentor)
    url = reverse("matching:mentor_requests", args=[ranked_term.pk])
    with django_assert_max_num_queries(15):
        body = client.get(url).content.decode()
    assert learner.user.full_name in body and other_learner.user.full_name not in body
    client.post(url, {"learner": learner.pk, "acceptable": "no"})
    assert MentorDecision.objects.get(mentor=other_mentor, learner=learner).acceptable is False
    body = client.post(url, {"learner": other_learner.pk, "acceptable": "no"}, follow=True).content.decode()
    assert "this learner did not rank you" in body
    assert not MentorDecision.objects.filter(learner=other_learner).exists()


def test_a_mentor_cannot_see_other_mentors_rankings(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, other_mentor: Any
) -> None:
    MentorDecision.objects.create(
        term=ranked_term, mentor=mentor, learner=learner, acceptable=False, rank=None
    )
    login(client, other_mentor)
    body = client.get(reverse("matching:mentor_requests", args=[ranked_term.pk])).content.decode()
    assert "Not acceptable</option>" in body
    assert 'value="no" selected' not in body  # mentor's "no" about this learner is not shown to other_mentor


@pytest.mark.parametrize("who", ["learner", "guardian", "reviewer"])
def test_only_mentors_open_the_requests_page(client: Any, ranked_term: Any, who: str, request: Any) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("matching:mentor_requests", args=[ranked_term.pk])).status_code == 403


# ------------------------------------------------------------------------------------------ coordinator


def test_coordinator_starts_a_run_and_sees_the_certificate(
    client: Any,
    ranked_term: Any,
    coordinator: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    login(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("matching:runs", args=[ranked_term.pk]), {"method": "stable", "seed": 5}
        )
    run = MatchRun.objects.get()
    assert response["Location"] == reverse("matching:run_detail", args=[run.pk])
    many_learners(ranked_term, 0)
    with django_assert_max_num_queries(20):
        body = client.get(response["Location"]).content.decode()
    assert "0 blocking pairs — stable" in body
    assert "<svg" in body


def test_run_page_query_count_does_not_grow_with_learners(
    client: Any, ranked_term: Any, coordinator: Any, mentor: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, coordinator)

    def page_queries() -> int:
        run = services.match_run_execute(
            match_run=MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
        )
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("matching:run_detail", args=[run.pk]))
        return len(ctx.captured_queries)

    many_learners(ranked_term, 1)  # ranks nobody: both tables have rows from the start
    page_queries()  # so that every measured page has another run to compare with
    few = page_queries()
    for lp in many_learners(ranked_term, 12):
        rank(ranked_term, lp, [mentor])
    assert page_queries() == few


def test_runs_page_compares_runs_side_by_side(
    client: Any, ranked_term: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    a = services.match_run_execute(
        match_run=MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
    )
    b = services.match_run_execute(
        match_run=MatchRun.objects.create(term=ranked_term, method="optimal", seed=1)
    )
    login(client, coordinator)
    with django_assert_max_num_queries(20):
        body = client.get(
            reverse("matching:runs", args=[ranked_term.pk]), {"compare": [a.pk, b.pk]}
        ).content.decode()
    assert "Side by side" in body and "optimality gap" in body


def test_coordinator_publishes_then_places_a_waiting_learner(
    client: Any, ranked_term: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from mentorfold.accounts.tests.factories import MentorProfileFactory

    from .factories import join_term

    spare = MentorProfileFactory()
    join_term(ranked_term, mentors=[spare], site=ranked_term.site)
    run = services.match_run_execute(
        match_run=MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
    )
    login(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matching:run_publish", args=[run.pk]), {"confirm": "yes"})
    assert Mentorship.objects.count() == 2  # the spare mentor was opted in, but nobody ranked them
    waiting = LearnerProfileFactory()
    from .factories import EnrollmentFactory

    EnrollmentFactory(term=ranked_term, learner=waiting)
    body = client.get(reverse("matching:run_detail", args=[run.pk])).content.decode()
    assert "Place a waiting learner by hand" in body
    client.post(
        reverse("matching:place", args=[ranked_term.pk]),
        {"learner": waiting.pk, "mentor": spare.pk, "reason": ""},
    )
    assert not Mentorship.objects.filter(learner=waiting).exists()
    client.post(
        reverse("matching:place", args=[ranked_term.pk]),
        {"learner": waiting.pk, "mentor": spare.pk, "reason": "Late joiner"},
    )
    assert Mentorship.objects.get(learner=waiting).placed_manually_reason == "Late joiner"


def test_coordinator_edits_weights(client: Any, ranked_term: Any, coordinator: Any) -> None:
    login(client, coordinator)
    data = {
        "weight_rank": 5,
        "weight_language": 1,
        "weight_specialty": 1,
        "weight_commute": 0,
        "weight_availability": 1,
        "weight_priority": 2,
        "priority_enabled": "on",
        "decline_days": 10,
    }
    client.post(reverse("matching:settings", args=[ranked_term.pk]), data)
    ranked_term.refresh_from_db()
    assert ranked_term.match_settings.weight_rank == 5 and ranked_term.match_settings.priority_enabled


@pytest.mark.parametrize("who", ["learner", "mentor", "guardian", "reviewer"])
def test_only_coordinators_manage_runs(
    client: Any, ranked_term: Any, coordinator: Any, who: str, request: Any
) -> None:
    run = MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("matching:runs", args=[ranked_term.pk])).status_code == 403
    assert client.get(reverse("matching:run_detail", args=[run.pk])).status_code == 403
    assert client.post(reverse("matching:run_publish", args=[run.pk])).status_code == 403
    assert client.post(reverse("matching:place", args=[ranked_term.pk])).status_code == 403
    assert client.post(reverse("matching:settings", args=[ranked_term.pk])).status_code == 403


def test_dashboard_shows_matching_panels(
    client: Any, ranked_term: Any, learner: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    published(ranked_term, coordinator)
    login(client, learner)
    with django_assert_max_num_queries(30):
        body = client.get(reverse("dashboard")).content.decode()
    assert "You are matched with" in body
    login(client, coordinator)
    assert "gone quiet" in client.get(reverse("dashboard")).content.decode()
