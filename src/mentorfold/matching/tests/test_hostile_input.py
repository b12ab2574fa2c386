"""Issue 14: every request value goes through a form — hostile input is a form error or 400, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.matching.models import MentorDecision, Mentorship, Preference

from .factories import MentorshipFactory

HOSTILE = ["abc", "", "99999999999999999999", "1\x00", "-1", "1.5"]


def login(client: Any, who: Any) -> None:
    client.force_login(getattr(who, "user", who))


@pytest.mark.parametrize("value", HOSTILE)
def test_mentor_requests_reject_a_hostile_learner_id_without_a_500(
    client: Any, ranked_term: Any, mentor: Any, value: str
) -> None:
    login(client, mentor)
    url = reverse("matching:mentor_requests", args=[ranked_term.pk])
    response = client.post(url, {"learner": value, "acceptable": "yes"}, follow=True)
    assert response.status_code in {200, 400}
    assert "Learner:" in response.content.decode()
    assert not MentorDecision.objects.exists()


@pytest.mark.parametrize("value", ["invalid", "", "YES", "1\x00"])
def test_an_invalid_answer_is_a_form_error_not_a_silent_no(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, value: str
) -> None:
    login(client, mentor)
    url = reverse("matching:mentor_requests", args=[ranked_term.pk])
    body = client.post(url, {"learner": learner.pk, "acceptable": value}, follow=True).content.decode()
    assert "Fit:" in body
    assert not MentorDecision.objects.exists()


@pytest.mark.parametrize("rank", ["x", "0", "99999999999999999999", "1\x00"])
def test_a_bad_mentor_rank_is_a_form_error(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, rank: str
) -> None:
    login(client, mentor)
    url = reverse("matching:mentor_requests", args=[ranked_term.pk])
    body = client.post(
        url, {"learner": learner.pk, "acceptable": "yes", "rank": rank}, follow=True
    ).content.decode()
    assert "Your rank:" in body
    assert not MentorDecision.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "add", "mentor": "abc"},
        {"action": "add", "mentor": "99999999999999999999"},
        {"action": "up", "mentor": "1\x00"},
        {"action": "up"},
        {"action": "explode", "mentor": "1"},
        {"action": "order", "order": "1,abc"},
        {"action": "order", "order": "99999999999999999999"},
        {"action": "order", "order": "1\x00"},
        {},
    ],
)
def test_ranking_changes_with_hostile_values_are_rejected(
    client: Any, ranked_term: Any, learner: Any, data: dict[str, str]
) -> None:
    login(client, learner)
    before = list(Preference.objects.filter(learner=learner).values_list("mentor_id", "rank"))
    response = client.post(reverse("matching:preferences", args=[ranked_term.pk]), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert list(Preference.objects.filter(learner=learner).values_list("mentor_id", "rank")) == before


@pytest.mark.parametrize(
    "query",
    ["fits_schedule=invalid", "language=%00", "specialty=" + "x" * 500, "fits_schedule=1&language=es"],
)
def test_ranking_page_filters_never_fail(client: Any, ranked_term: Any, learner: Any, query: str) -> None:
    login(client, learner)
    url = reverse("matching:preferences", args=[ranked_term.pk]) + "?" + query
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("query", ["compare=abc", "compare=99999999999999999999", "compare=%00"])
def test_runs_page_ignores_hostile_compare_values(
    client: Any, ranked_term: Any, coordinator: Any, query: str
) -> None:
    login(client, coordinator)
    assert client.get(reverse("matching:runs", args=[ranked_term.pk]) + "?" + query).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"action": "status", "status": "exploded"},
        {"action": "status"},
        {"action": "nope"},
        {"action": "goals", "goals": "a\x00b"},
    ],
)
def test_mentorship_actions_with_hostile_values_are_form_errors(
    client: Any, ranked_term: Any, learner: Any, mentor: Any, data: dict[str, str]
) -> None:
    m = MentorshipFactory(term=ranked_term, learner=learner, mentor=mentor)
    login(client, mentor)
    response = client.post(reverse("matching:mentorship", args=[m.pk]), data, follow=True)
    assert response.status_code == 200
    assert any(msg.level_tag == "error" for msg in response.context["messages"])
    m.refresh_from_db()
    assert m.status == Mentorship.Status.ACTIVE and m.goals == ""
