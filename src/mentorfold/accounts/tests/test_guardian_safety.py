"""A guardian link counts only after a coordinator confirms it; invitations only for their addressee;
a learner's date of birth is corrected by a coordinator only."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mentorfold.accounts import services
from mentorfold.accounts.models import GuardianLink, Role, User
from mentorfold.core.models import AuditEvent
from mentorfold.programs import services as program_services

from .factories import GuardianLinkFactory, LearnerProfileFactory, UserFactory, birthday_for_age

pytestmark = pytest.mark.django_db
PASSWORD = "long-Passw0rd-ok"


def _accept_path(message: Any) -> str:
    return re.search(r"(/invitations/[^\s]+/)", message.body).group(1)


@pytest.fixture
def program(db: None) -> Any:
    return program_services.program_create(
        actor=None,
        name="Summer shadowing",
        slug="summer",
        description="In clinic.",
        eligible_stages=["high_school"],
        min_age=13,
    )


def _minor_invites(client: Any, minor: Any, email: str, capture: Any) -> Any:
    client.force_login(minor.user)
    with capture(execute=True):
        client.post(reverse("guardian_invite"), {"email": email, "relationship": "parent"})
    client.logout()


# --- 2. Fake guardian -------------------------------------------------------------------------------------


def test_a_minors_second_address_accepting_cannot_sign_consent(
    client: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any, program: Any
) -> None:
    minor = LearnerProfileFactory(age=15, stage="high_school", user__full_name="Kid Self")
    _minor_invites(client, minor, "kid.other.address@example.org", django_capture_on_commit_callbacks)
    client.post(
        _accept_path(mailoutbox[-1]), {"full_name": "Kid Self", "password1": PASSWORD, "password2": PASSWORD}
    )
    fake = User.objects.get(email="kid.other.address@example.org")
    link = GuardianLink.objects.get(learner=minor)
    assert link.status == GuardianLink.Status.ACCEPTED
    assert not link.is_verified
    with pytest.raises(PermissionDenied):
        program_services.guardian_consent_sign(
            learner=minor, program=program, guardian=fake, signed_name="Kid Self", ip=None
        )
    # Nor can the "guardian" see the learner's private page yet.
    client.force_login(fake)
    assert client.get(reverse("learner_detail", args=[minor.pk])).status_code in {403, 404}


def test_both_dashboards_say_the_link_waits_for_the_society(
    client: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    minor = LearnerProfileFactory(age=16, stage="high_school", user__full_name="Minh Tran")
    _minor_invites(client, minor, "mom@example.org", django_capture_on_commit_callbacks)
    client.post(
        _accept_path(mailoutbox[-1]), {"full_name": "Lan Tran", "password1": PASSWORD, "password2": PASSWORD}
    )
    guardian_page = client.get(reverse("dashboard")).content.decode()
    assert "Waiting for the society to confirm" in guardian_page
    client.force_login(minor.user)
    assert "waiting for the society to confirm" in client.get(reverse("dashboard")).content.decode()


def test_coordinator_confirms_with_method_then_consent_counts(
    client: Any,
    coordinator: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
    program: Any,
    django_assert_max_num_queries: Any,
) -> None:
    minor = LearnerProfileFactory(age=16, stage="high_school", user__full_name="Minh Tran")
    _minor_invites(client, minor, "mom@example.org", django_capture_on_commit_callbacks)
    client.post(
        _accept_path(mailoutbox[-1]), {"full_name": "Lan Tran", "password1": PASSWORD, "password2": PASSWORD}
    )
    link = GuardianLink.objects.get(learner=minor)

    client.force_login(coordinator)
    for _ in range(4):  # the panel's queries do not grow with the number of waiting links
        GuardianLinkFactory(status=GuardianLink.Status.ACCEPTED)
    with django_assert_max_num_queries(18):
        dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Guardians to confirm" in dashboard and "Minh Tran" in dashboard
    with django_assert_max_num_queries(13):
        page = client.get(reverse("learner_detail", args=[minor.pk]))
    assert "Confirm guardian" in page.content.decode()

    url = reverse("guardian_link_confirm", args=[minor.pk, link.pk])
    response = client.post(url, {"method": "teleport", "note": ""})
    assert response.status_code == 400
    link.refresh_from_db()
    assert link.status == GuardianLink.Status.ACCEPTED

    response = client.post(url, {"method": "phone", "note": "Called the school's emergency number"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.is_verified
    assert (link.verified_by, link.verification_method) == (coordinator, "phone")
    event = AuditEvent.objects.get(action="guardian.confirm")
    assert event.actor == coordinator and event.data["method"] == "phone"
    assert "emergency number" in event.reason
    record = program_services.guardian_consent_sign(
        learner=minor, program=program, guardian=link.guardian, signed_name="Lan Tran", ip=None
    )
    assert program_services.has_guardian_consent(minor, program)
    assert record.signed_by == link.guardian
    # Confirming twice is refused, not a second audit event.
    assert client.post(url, {"method": "phone"}).status_code == 400
    assert (
        "Minh Tran" not in client.get(reverse("dashboard")).content.decode().split("Guardians to confirm")[-1]
    )


@pytest.mark.parametrize("role", ["mentor", "learner", "guardian"])
def test_only_coordinators_confirm_guardians(client: Any, role: str, mentor: Any, learner: Any) -> None:
    link = GuardianLinkFactory(status=GuardianLink.Status.ACCEPTED, guardian__email="dad@example.org")
    user = {"mentor": mentor.user, "learner": learner.user, "guardian": link.guardian}[role]
    client.force_login(user)
    response = client.post(
        reverse("guardian_link_confirm", args=[link.learner_id, link.pk]), {"method": "phone"}
    )
    assert response.status_code == 403
    link.refresh_from_db()
    assert link.status == GuardianLink.Status.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.guardian_link_confirm(link=link, actor=user, method="phone")


def test_guardian_invite_refuses_the_learners_own_addresses(minor_learner: Any) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=minor_learner.user, email="minh.second@example.org", verified=True)
    user_email = minor_learner.user.email
    local, domain = user_email.split("@")
    for email in [user_email.upper(), f"{local}+mom@{domain}", "minh.second@example.org"]:
        with pytest.raises(ValidationError, match="not your own"):
            services.guardian_invite(learner=minor_learner, email=email)
    assert not GuardianLink.objects.filter(invited_email__icontains="second").exists()


def test_a_verified_link_needs_a_method_in_the_database(minor_learner: Any) -> None:
    from django.db import IntegrityError, transaction

    link = minor_learner.guardian_links.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        GuardianLink.objects.filter(pk=link.pk).update(verification_method="")


# --- 3. Invitation taken by another account ---------------------------------------------------------------


def test_logged_in_mentor_cannot_take_a_reviewer_invitation(
    client: Any, coordinator: Any, mentor: Any
) -> None:
    invitation = services.invitation_create(
        invited_by=coordinator, email="new.reviewer@example.org", role=Role.REVIEWER
    )
    url = reverse("invitation_accept", args=[invitation.token])
    client.force_login(mentor.user)
    page = client.get(url)
    assert page.status_code == 403
    assert "This invitation was sent to n…@example.org" in page.content.decode()
    assert "Sign out and open it again" in page.content.decode()
    client.post(url)
    mentor.user.refresh_from_db()
    assert not User.objects.get(pk=mentor.user.pk).has_role(Role.REVIEWER)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    with pytest.raises(ValidationError, match="was sent to"):
        services.invitation_accept_existing_user(invitation=invitation, user=mentor.user)


def test_the_addressees_existing_account_accepts(client: Any, coordinator: Any) -> None:
    person = UserFactory(email="new.reviewer@example.org", roles=[Role.MENTOR])
    invitation = services.invitation_create(
        invited_by=coordinator, email="New.Reviewer@example.org", role=Role.REVIEWER
    )
    client.force_login(person)
    assert client.post(reverse("invitation_accept", args=[invitation.token])).status_code == 302
    assert User.objects.get(pk=person.pk).has_role(Role.REVIEWER)


def test_an_unverified_address_does_not_count(coordinator: Any) -> None:
    person = UserFactory(email="new.reviewer@example.org", verified=False)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=person, email=person.email, verified=False, primary=True)
    invitation = services.invitation_create(invited_by=coordinator, email=person.email, role=Role.REVIEWER)
    with pytest.raises(ValidationError, match="was sent to"):
        services.invitation_accept_existing_user(invitation=invitation, user=person)


# --- 4. Date of birth --------------------------------------------------------------------------------------


def test_a_minor_cannot_change_their_birth_date_on_the_profile(client: Any, minor_learner: Any) -> None:
    before = minor_learner.date_of_birth
    client.force_login(minor_learner.user)
    page = client.get(reverse("profile_edit")).content.decode()
    assert 'name="date_of_birth"' not in page
    response = client.post(
        reverse("profile_edit"), {"stage": "high_school", "date_of_birth": "1990-01-01", "interests": "x"}
    )
    assert response.status_code == 302
    minor_learner.refresh_from_db()
    assert minor_learner.date_of_birth == before
    assert minor_learner.is_minor


def test_coordinator_corrects_birth_date_with_reason_and_guardian_is_told(
    client: Any,
    coordinator: Any,
    minor_learner: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(coordinator)
    assert (
        "Correct the date of birth"
        in client.get(reverse("learner_detail", args=[minor_learner.pk])).content.decode()
    )
    url = reverse("learner_birth_date_correct", args=[minor_learner.pk])
    new = birthday_for_age(17)
    assert client.post(url, {"date_of_birth": new.isoformat(), "reason": ""}).status_code == 400
    assert client.post(url, {"date_of_birth": "1899-12-31", "reason": "typo"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"date_of_birth": new.isoformat(), "reason": "School record shows it"})
    assert response.status_code == 302
    minor_learner.refresh_from_db()
    assert minor_learner.date_of_birth == new
    event = AuditEvent.objects.get(action="learner.birth_date_correct")
    assert event.actor == coordinator and event.data["to"] == new.isoformat()
    assert event.reason == "School record shows it"
    guardian_mail = [m for m in mailoutbox if "parent@example.org" in m.to]
    assert len(guardian_mail) == 1 and new.isoformat() in guardian_mail[0].body


@pytest.mark.parametrize("role", ["mentor", "learner"])
def test_only_coordinators_correct_birth_dates(
    client: Any, role: str, mentor: Any, minor_learner: Any
) -> None:
    user = mentor.user if role == "mentor" else minor_learner.user
    client.force_login(user)
    response = client.post(
        reverse("learner_birth_date_correct", args=[minor_learner.pk]),
        {"date_of_birth": "1990-01-01", "reason": "I am an adult"},
    )
    assert response.status_code == 403
    minor_learner.refresh_from_db()
    assert minor_learner.is_minor
    with pytest.raises(PermissionDenied):
        services.learner_correct_birth_date(
            learner=minor_learner, actor=user, date_of_birth=date(1990, 1, 1), reason="x"
        )


def test_the_admin_cannot_confirm_a_link_or_change_a_birth_date(client: Any, coordinator: Any) -> None:
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save(update_fields=["is_staff", "is_superuser"])
    link = GuardianLinkFactory(status=GuardianLink.Status.ACCEPTED)
    client.force_login(coordinator)
    page = client.get(reverse("admin:accounts_guardianlink_change", args=[link.pk])).content.decode()
    assert 'name="status"' not in page and 'name="verification_method"' not in page
    learner_page = client.get(reverse("admin:accounts_learnerprofile_change", args=[link.learner_id]))
    assert 'name="date_of_birth"' not in learner_page.content.decode()
