"""Issue 14 §6: the survey writes its radio buttons in the page's own template (one widget template render per
answer option made a long survey slow); the HTML is exactly what Django's radio widget writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ..models import SurveyInvitation
from .factories import SurveyInvitationFactory

pytestmark = pytest.mark.django_db


def _radios_as_django_writes_them(response: Any) -> list[str]:
    form = response.context["form"]
    return [str(radio.tag()) for _instrument, fields in form.grouped() for field in fields for radio in field]


def _check(response: Any) -> list[str]:
    body = response.content.decode()
    tags = _radios_as_django_writes_them(response)
    assert tags and all(tag in body for tag in tags)
    assert body.count('type="radio"') == len(tags)
    return tags


@pytest.fixture
def invitation(mentor: Any) -> SurveyInvitation:
    return SurveyInvitationFactory(user=mentor.user)


def _url(invitation: SurveyInvitation) -> str:
    return reverse("outcomes:survey", kwargs={"token": invitation.token})


def test_open_saved_refused_and_sent_surveys_write_the_same_radio_html_as_the_widget(
    client: Any, invitation: SurveyInvitation
) -> None:
    _check(client.get(_url(invitation)))
    client.post(_url(invitation), {"action": "save", "mini_z_1": "4"})
    tags = _check(client.get(_url(invitation)))
    assert sum("checked" in tag for tag in tags) == 1
    refused = client.post(_url(invitation), {"action": "save", "mini_z_2": "99"})
    assert refused.status_code == 400
    _check(refused)
    client.post(_url(invitation), {"action": "send", "mini_z_3": "2"})
    tags = _check(client.get(_url(invitation)))
    assert all("disabled" in tag for tag in tags)
