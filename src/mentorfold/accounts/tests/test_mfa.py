"""MFA for privileged roles: every login path ends in the same state, and nothing private opens before it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from mentorfold.accounts.mfa import session_passed_mfa
from mentorfold.accounts.models import Role, User
from mentorfold.accounts.totp import current_totp_code

from .auth import login_with_mfa, login_without_mfa
from .factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory, add_totp

pytestmark = pytest.mark.django_db

PRIVILEGED_URLS = [
    "/admin/",
    "/people/",
    "/programs/manage/",  # the export buttons (exports are POST-started jobs since issue 14 §5)
    "/grants/manage/",
]
LINK = re.compile(r"https?://[^\s]+")


@pytest.fixture(autouse=True)
def _codes_not_used_yet() -> None:
    """allauth refuses a TOTP code used before (kept in the cache); each test logs in afresh."""
    cache.clear()


@pytest.fixture
def staff_coordinator(coordinator: Any) -> Any:
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save(update_fields=["is_staff", "is_superuser"])
    return coordinator


def _opens(client: Client, url: str) -> bool:
    return client.get(url).status_code == 200


def assert_nothing_privileged_opens(client: Client) -> None:
    opened = [url for url in PRIVILEGED_URLS if _opens(client, url)]
    assert opened == [], f"opened without the authenticator step: {opened}"


def assert_mfa_verified(client: Client, user: Any) -> None:
    """The one state every login path must end in: logged in as ``user`` with allauth's "mfa" record."""
    assert client.session.get("_auth_user_id") == str(user.pk)
    request = type("R", (), {"session": client.session})()
    assert session_passed_mfa(request, user)
    assert [url for url in PRIVILEGED_URLS if not _opens(client, url)] == []


def _totp(client: Client) -> Any:
    return client.post(reverse("mfa_authenticate"), {"code": current_totp_code(TEST_TOTP_SECRET)})


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# --- The bypass -------------------------------------------------------------------------------------------


def test_admin_login_with_password_alone_opens_nothing(client: Client, staff_coordinator: Any) -> None:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_coordinator.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert_nothing_privileged_opens(client)


def test_admin_login_page_sends_people_to_the_real_login(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


def test_allauth_login_without_the_code_step_opens_nothing(client: Client, staff_coordinator: Any) -> None:
    response = client.post(
        reverse("account_login"), {"login": staff_coordinator.email, "password": TEST_PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert_nothing_privileged_opens(client)


def test_allauth_login_with_the_code_step_opens_everything(client: Client, staff_coordinator: Any) -> None:
    client.post(reverse("account_login"), {"login": staff_coordinator.email, "password": TEST_PASSWORD})
    assert _totp(client).status_code == 302
    assert_mfa_verified(client, staff_coordinator)


@pytest.mark.parametrize("url", PRIVILEGED_URLS)
def test_session_with_a_device_but_without_the_code_step_is_logged_out(
    client: Client, staff_coordinator: Any, url: str
) -> None:
    login_without_mfa(client, staff_coordinator)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert "_auth_user_id" not in client.session


def test_session_without_the_code_step_cannot_remove_the_authenticator(
    client: Client, coordinator: Any
) -> None:
    login_without_mfa(client, coordinator)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert coordinator.authenticator_set.exists()


def test_reviewer_session_without_the_code_step_is_logged_out(client: Client, reviewer: Any) -> None:
    login_without_mfa(client, reviewer.user)
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))


def test_staff_without_a_role_also_needs_mfa(client: Client) -> None:
    staff = UserFactory(is_staff=True)
    login_without_mfa(client, staff)
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")
    add_totp(staff)
    assert client.get("/admin/")["Location"].startswith(reverse("account_login"))


def test_another_users_mfa_record_does_not_count(client: Client, coordinator: Any, reviewer: Any) -> None:
    login_with_mfa(client, reviewer.user)
    session = client.session
    records = session["account_authentication_methods"]
    login_without_mfa(client, coordinator)
    session = client.session
    session["account_authentication_methods"] = records  # still tied to the reviewer's id
    session.save()
    assert client.get(reverse("people"))["Location"].startswith(reverse("account_login"))


def test_learner_is_never_asked_for_mfa(client: Client, learner: Any) -> None:
    login_without_mfa(client, learner.user)
    assert client.get(reverse("dashboard")).status_code == 200


def test_helper_login_with_mfa_opens_privileged_pages(client: Client, staff_coordinator: Any) -> None:
    login_with_mfa(client, staff_coordinator)
    assert_mfa_verified(client, staff_coordinator)


# --- Every login path ends in the same state (brief item 8) ------------------------------------------------


def _activate_totp(client: Client, password: str) -> None:
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302 and page["Location"].startswith(reverse("account_reauthenticate")):
        client.post(page["Location"], {"password": password})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:500]


def test_path_allauth_login(client: Client, staff_coordinator: Any) -> None:
    client.post(reverse("account_login"), {"login": staff_coordinator.email, "password": TEST_PASSWORD})
    assert_nothing_privileged_opens(client)
    _totp(client)
    assert_mfa_verified(client, staff_coordinator)


def test_path_admin_login(client: Client, staff_coordinator: Any) -> None:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_coordinator.email, "password": TEST_PASSWORD}
    )
    assert_nothing_privileged_opens(client)
    login_page = response["Location"]
    response = client.post(login_page, {"login": staff_coordinator.email, "password": TEST_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert_nothing_privileged_opens(client)
    assert _totp(client)["Location"] == "/admin/"
    assert_mfa_verified(client, staff_coordinator)


@pytest.mark.parametrize("login_on_reset", [False, True])
def test_path_password_reset_then_login(
    client: Client, staff_coordinator: Any, mailoutbox: list[Any], settings: Any, login_on_reset: bool
) -> None:
    settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET = login_on_reset
    client.post(reverse("account_reset_password"), {"email": staff_coordinator.email})
    reset_url = _path(next(u for u in LINK.findall(mailoutbox[-1].body) if "/password/reset/key/" in u))
    form_page = client.get(reset_url, follow=True)
    post_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_url
    new_password = "brand-new-Passw0rd!"
    client.post(post_url, {"password1": new_password, "password2": new_password})
    assert_nothing_privileged_opens(client)
    if not login_on_reset:
        client.post(reverse("account_login"), {"login": staff_coordinator.email, "password": new_password})
        assert_nothing_privileged_opens(client)
    assert _totp(client).status_code == 302
    assert_mfa_verified(client, staff_coordinator)


@pytest.mark.django_db(
    transaction=True
)  # allauth records the new authenticator in on_commit, inside the request
def test_path_invitation_for_a_new_coordinator(
    client: Client, coordinator: Any, mailoutbox: list[Any]
) -> None:
    from mentorfold.accounts.services import invitation_create

    invitation = invitation_create(
        invited_by=coordinator, email="new.coord@example.org", role=Role.COORDINATOR
    )
    response = client.post(
        reverse("invitation_accept", args=[invitation.token]),
        {
            "full_name": "Nia Coord",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
        },
    )
    assert response.status_code == 302
    new = User.objects.get(email="new.coord@example.org")
    new.is_staff = True
    new.save(update_fields=["is_staff"])
    # Logged in, but with no authenticator yet: only the set-up pages open.
    assert_nothing_privileged_opens(client)
    assert client.get(reverse("people"))["Location"] == reverse("mfa_activate_totp")
    _activate_totp(client, "a-long-enough-Passw0rd")
    assert_mfa_verified(client, new)
    # Next time, the login asks for the code like for everyone else.
    client.logout()
    client.post(reverse("account_login"), {"login": new.email, "password": "a-long-enough-Passw0rd"})
    assert_nothing_privileged_opens(client)
