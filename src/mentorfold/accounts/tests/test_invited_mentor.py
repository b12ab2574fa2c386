"""An invited physician lands on a profile to fill, not on a dashboard with nothing to do and a 404 profile."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.models import MentorProfile
from mentorfold.accounts.services import invitation_accept_new_user, invitation_create

pytestmark = pytest.mark.django_db


def test_an_invited_mentor_gets_an_onboarding_profile_to_fill(client: Any, coordinator: Any) -> None:
    invitation = invitation_create(invited_by=coordinator, email="new.doctor@example.org", role="mentor")
    user = invitation_accept_new_user(
        invitation=invitation, full_name="Nadia Okafor", password="a long passphrase 42"
    )
    profile = MentorProfile.objects.get(user=user)
    assert profile.status == MentorProfile.Status.ONBOARDING
    assert not profile.is_cleared

    client.force_login(user)
    assert client.get("/profile/").status_code == 200
    response = client.post(
        "/profile/",
        {
            "full_name": "Nadia Okafor",
            "specialty": "",
            "career_stage": "attending",
            "capacity": 2,
            "years_in_practice": 3,
            "hosting_weekdays": ["mon"],
        },
    )
    assert response.status_code == 200  # specialty is required: the form says so instead of saving
    profile.refresh_from_db()
    assert profile.specialty == ""
