"""The personal survey link: unguessable, single-person, resumable, read-only once sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ..models import SurveyInvitation, SurveyResponse
from .factories import SurveyInvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(mentor: Any) -> SurveyInvitation:
    return SurveyInvitationFactory(user=mentor.user)


def _url(invitation: SurveyInvitation) -> str:
    return reverse("outcomes:survey", kwargs={"token": invitation.token})


def test_the_link_is_long_and_random() -> None:
    a, b = SurveyInvitationFactory(), SurveyInvitationFactory()
    assert len(a.token) >= 43 and a.token != b.token


def test_a_wrong_token_is_not_found(client: Any, invitation: SurveyInvitation) -> None:
    assert client.get(reverse("outcomes:survey", kwargs={"token": "x" * 43})).status_code == 404
    assert client.get(reverse("outcomes:survey", kwargs={"token": invitation.token[:-1]})).status_code == 404


def test_it_shows_mini_z_as_radio_groups_without_login(client: Any, invitation: SurveyInvitation) -> None:
    with_queries = client.get(_url(invitation))
    body = with_queries.content.decode()
    assert with_queries.status_code == 200
    assert body.count("<fieldset") == 10 and "<legend>" in body
    assert 'type="radio"' in body
    assert with_queries["Referrer-Policy"] == "same-origin"


def test_it_saves_part_of_the_answers_and_resumes(client: Any, invitation: SurveyInvitation) -> None:
    response = client.post(_url(invitation), {"action": "save", "mini_z_1": "4"})
    assert response.status_code == 302
    saved = SurveyResponse.objects.get(invitation=invitation)
    assert saved.answers == {"mini_z_1": 4}
    client.post(_url(invitation), {"action": "save", "mini_z_3": "2"})
    saved.refresh_from_db()
    assert saved.answers == {"mini_z_1": 4, "mini_z_3": 2}
    page = client.get(_url(invitation)).content.decode()
    assert 'value="4" required' not in page  # nothing is forced
    assert 'name="mini_z_1" value="4"' in page and "checked" in page
    invitation.refresh_from_db()
    assert invitation.completed_at is None


def test_sending_locks_the_survey_read_only(client: Any, invitation: SurveyInvitation) -> None:
    client.post(_url(invitation), {"action": "send", "mini_z_3": "3"})
    invitation.refresh_from_db()
    assert invitation.completed_at is not None
    assert SurveyResponse.objects.get(invitation=invitation).scores["burnout"] is True
    page = client.get(_url(invitation))
    assert page.status_code == 200 and "disabled" in page.content.decode()
    again = client.post(_url(invitation), {"action": "save", "mini_z_3": "1"})
    assert again.status_code == 409
    assert SurveyResponse.objects.get(invitation=invitation).answers == {"mini_z_3": 3}


@pytest.mark.parametrize("bad", ["9", "abc", "-1", "3.5", "1e9"])
def test_hostile_answers_are_a_form_error_not_a_crash(
    client: Any, invitation: SurveyInvitation, bad: str
) -> None:
    response = client.post(_url(invitation), {"action": "save", "mini_z_3": bad})
    assert response.status_code == 400
    assert not SurveyResponse.objects.filter(invitation=invitation).exists()


def test_licensed_items_are_asked_only_after_wording_is_pasted(
    client: Any, mentor: Any, coordinator: Any
) -> None:
    from ..models import InstrumentVersion

    invitation = SurveyInvitationFactory(
        user=mentor.user, schedule__instruments=["mini_z", "mbi_single_items"]
    )
    assert 'name="mbi_ee"' not in client.get(_url(invitation)).content.decode()
    version = InstrumentVersion.objects.get(key="mbi_single_items")
    client.force_login(coordinator)
    url = reverse("outcomes:instrument_wording", kwargs={"pk": version.pk})
    assert client.post(url, {"mbi_ee": "Pasted licensed text", "mbi_dp": "Second text"}).status_code == 302
    client.logout()
    assert "Pasted licensed text" in client.get(_url(invitation)).content.decode()


def test_survey_page_query_count_is_bounded(
    client: Any, invitation: SurveyInvitation, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        client.get(_url(invitation))


def test_sending_stores_the_scores_the_dashboards_count() -> None:
    from .. import services
    from .factories import SurveyScheduleFactory

    mentor_survey = SurveyInvitationFactory()
    response = services.survey_complete(invitation=mentor_survey, answers={"mini_z_3": 3})
    response.refresh_from_db()
    assert (response.burnout, response.belonging, response.intent) == (True, None, None)
    learner_survey = SurveyInvitationFactory(schedule=SurveyScheduleFactory(kind="learner_pre"))
    answers = {f"belonging_{i}": 4 for i in range(1, 6)} | {"intent_1": 2}
    response = services.survey_complete(invitation=learner_survey, answers=answers)
    response.refresh_from_db()
    assert response.burnout is None and response.intent is False
    assert response.belonging == response.scores["belonging"]
