"""Sign-up, e-mail verification, login, logout, password reset, lockout and MFA — through real HTTP requests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Role, User
from mentorfold.accounts.totp import current_totp_code

from .factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s]+")


def _links(message: Any) -> list[str]:
    return LINK.findall(message.body)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _signup_mentor(client: Any, email: str = "new.mentor@example.org") -> Any:
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "full_name": "Ana Lopez",
            "join_as": "mentor",
            "specialty": "Pediatrics",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
        },
    )


def test_signup_as_mentor_requires_email_verification_then_logs_in(
    client: Any, mailoutbox: list[Any]
) -> None:
    response = _signup_mentor(client)
    assert response.status_code == 302
    user = User.objects.get(email="new.mentor@example.org")
    assert user.has_role(Role.MENTOR)
    assert MentorProfile.objects.get(user=user).specialty == "Pediatrics"
    assert not EmailAddress.objects.get(user=user).verified
    # Not verified yet: the dashboard is not reachable.
    assert client.get(reverse("dashboard")).status_code == 302

    confirm_url = _path(next(u for u in _links(mailoutbox[-1]) if "confirm-email" in u))
    assert client.get(confirm_url).status_code == 200
    client.post(confirm_url)
    assert EmailAddress.objects.get(user=user).verified

    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "new.mentor@example.org", "password": "a-long-enough-Passw0rd"}
    )
    assert response.status_code == 302
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert "Mentor dashboard" in dashboard.content.decode()


def test_signup_as_learner_stores_stage_and_birthday(client: Any, mailoutbox: list[Any]) -> None:
    client.post(
        reverse("account_signup"),
        {
            "email": "teen@example.org",
            "full_name": "Sahra Ali",
            "join_as": "learner",
            "stage": "high_school",
            "date_of_birth": "2010-03-01",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
        },
    )
    learner = LearnerProfile.objects.get(user__email="teen@example.org")
    assert learner.is_minor
    assert learner.user.has_role(Role.LEARNER)


def test_signup_rejects_learner_without_birthday_and_saves_nothing(client: Any) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@example.org",
            "full_name": "X",
            "join_as": "learner",
            "stage": "high_school",
            "date_of_birth": "17/04/2009",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
        },
    )
    assert response.status_code == 200
    assert "Date of birth: use the format 2009-04-17." in response.content.decode()
    assert not User.objects.filter(email="x@example.org").exists()


def test_signup_page_preselects_mentor_from_the_recruitment_button(client: Any) -> None:
    html = client.get(reverse("account_signup") + "?as=mentor").content.decode()
    assert re.search(r'value="mentor"[^>]*checked', html)


def test_logout(client: Any) -> None:
    user = UserFactory(roles=[Role.LEARNER])
    client.force_login(user)
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_by_email_link(client: Any, mailoutbox: list[Any]) -> None:
    UserFactory(email="forgot@example.org", roles=[Role.LEARNER])
    client.post(reverse("account_reset_password"), {"email": "forgot@example.org"})
    assert len(mailoutbox) == 1
    reset_url = _path(next(u for u in _links(mailoutbox[0]) if "/password/reset/key/" in u))
    form_page = client.get(reset_url, follow=True)
    post_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_url
    response = client.post(post_url, {"password1": "brand-new-Passw0rd!", "password2": "brand-new-Passw0rd!"})
    assert response.status_code == 302
    assert User.objects.get(email="forgot@example.org").check_password("brand-new-Passw0rd!")


def test_repeated_bad_passwords_lock_the_account(client: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(email="target@example.org", roles=[Role.LEARNER])
    for _ in range(3):
        client.post(reverse("account_login"), {"login": "target@example.org", "password": "wrong-password"})
    response = client.post(
        reverse("account_login"), {"login": "target@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_works_before_the_lockout_limit(client: Any) -> None:
    UserFactory(email="ok@example.org", roles=[Role.LEARNER])
    client.post(reverse("account_login"), {"login": "ok@example.org", "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": "ok@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_coordinator_without_mfa_is_sent_to_set_it_up(client: Any, coordinator_without_mfa: Any) -> None:
    client.force_login(coordinator_without_mfa)
    response = client.get(reverse("people"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_reviewer_without_mfa_is_sent_to_set_it_up(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.REVIEWER]))
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")


def test_coordinator_login_asks_for_the_authenticator_code(client: Any, coordinator: Any) -> None:
    response = client.post(reverse("account_login"), {"login": coordinator.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).status_code == 302  # not logged in yet
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code(TEST_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get(reverse("people")).status_code == 200


def test_learner_is_not_asked_for_mfa(client: Any, learner: Any) -> None:
    client.force_login(learner.user)
    assert client.get(reverse("dashboard")).status_code == 200
