"""Sign-up validates everything before creating anything; learner questions only for learners."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.internal.flows import manage_email
from allauth.account.models import EmailAddress
from django.urls import reverse

from mentorfold.accounts.models import LearnerProfile, MentorProfile, User

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _learner(**overrides: str) -> dict[str, str]:
    data = {
        "email": "teen@example.org",
        "full_name": "Sahra Ali",
        "join_as": "learner",
        "stage": "high_school",
        "date_of_birth": "2010-03-01",
        "password1": "a-long-enough-Passw0rd",
        "password2": "a-long-enough-Passw0rd",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("dob", "message"),
    [
        ("1899-12-31", "Date of birth: check the year. Use the format 2009-04-17."),
        ("1925-06-01", "Date of birth: check the year. Use the format 2009-04-17."),
        ("2999-01-01", "Date of birth: this date is in the future."),
        ("2024-01-01", "Date of birth: Mentorfold programs are for learners aged 13 and older."),
        ("17/04/2009", "Date of birth: use the format 2009-04-17."),
    ],
)
def test_an_implausible_birth_date_is_a_form_error_and_creates_nothing(
    client: Any, dob: str, message: str
) -> None:
    response = client.post(reverse("account_signup"), _learner(date_of_birth=dob))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="teen@example.org").exists()
    assert not EmailAddress.objects.filter(email="teen@example.org").exists()


def test_a_plausible_learner_signs_up_with_profile_role_and_address(client: Any) -> None:
    response = client.post(reverse("account_signup"), _learner())
    assert response.status_code == 302
    user = User.objects.get(email="teen@example.org")
    assert user.learner_profile.is_minor and user.has_role("learner")
    assert EmailAddress.objects.filter(user=user, email="teen@example.org").exists()


def test_the_second_of_two_simultaneous_sign_ups_gets_a_form_error(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests passed the "address is free" check; the other one committed first.
    monkeypatch.setattr(manage_email, "email_already_exists", lambda email, **kw: (email, False))
    UserFactory(email="teen@example.org")
    response = client.post(reverse("account_signup"), _learner())
    assert response.status_code == 200
    assert "E-mail: an account with this address already exists." in response.content.decode()
    assert User.objects.filter(email="teen@example.org").count() == 1
    assert not LearnerProfile.objects.filter(user__email="teen@example.org").exists()


def test_a_mentor_is_not_asked_learner_questions(client: Any) -> None:
    response = client.post(
        reverse("account_signup"),
        _learner(
            email="doc@example.org",
            join_as="mentor",
            specialty="Pediatrics",
            stage="",
            date_of_birth="1899-12-31",
        ),
    )
    assert response.status_code == 302
    user = User.objects.get(email="doc@example.org")
    assert MentorProfile.objects.filter(user=user).exists()
    assert not LearnerProfile.objects.filter(user=user).exists()


def test_learner_questions_sit_in_their_own_group_and_the_hint_matches_the_date_picker(client: Any) -> None:
    html = client.get(reverse("account_signup")).content.decode()
    learner_group = html[html.index('data-join-group="learner"') :]
    learner_group = learner_group[: learner_group.index("</fieldset>")]
    assert 'name="stage"' in learner_group and 'name="date_of_birth"' in learner_group
    assert 'type="date"' in learner_group
    assert "Pick it in the calendar, or type it as year-month-day (2009-04-17)." in learner_group
    assert "Format: 2009-04-17" not in html
    mentor_group = html[html.index('data-join-group="mentor"') :]
    assert 'name="specialty"' in mentor_group[: mentor_group.index("</fieldset>")]
    assert "accounts/signup.js" in html
