"""Invitations: coordinators invite staff and mentors; learners under 18 invite a guardian."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts import services
from mentorfold.accounts.models import GuardianLink, Invitation, Role, User
from mentorfold.core.models import AuditEvent

from .factories import LearnerProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def _accept_path(message: Any) -> str:
    return re.search(r"(/invitations/[^\s]+/)", message.body).group(1)


def test_coordinator_invites_a_mentor_who_joins_with_the_role(
    client: Any, coordinator: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invite"), {"email": "Dr.New@Example.org", "role": "mentor", "full_name": ""}
        )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="invitation.create", actor=coordinator).exists()
    path = _accept_path(mailoutbox[-1])
    client.logout()
    response = client.post(
        path, {"full_name": "New Doctor", "password1": "long-Passw0rd-ok", "password2": "long-Passw0rd-ok"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="dr.new@example.org")
    assert user.has_role(Role.MENTOR)
    # The link cannot be used twice.
    assert client.get(path).status_code == 410


def test_non_coordinator_cannot_invite(learner: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.invitation_create(invited_by=learner.user, email="a@example.org", role=Role.COORDINATOR)


def test_minor_invites_guardian_who_accepts_and_a_coordinator_confirms(
    client: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    minor = LearnerProfileFactory(age=16, stage="high_school")
    client.force_login(minor.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("guardian_invite"), {"email": "mom@example.org", "relationship": "parent"})
    assert "under 18" in mailoutbox[-1].body
    link = GuardianLink.objects.get(learner=minor)
    assert link.status == GuardianLink.Status.INVITED
    client.logout()
    client.post(
        _accept_path(mailoutbox[-1]),
        {"full_name": "Mom", "password1": "long-Passw0rd-ok", "password2": "long-Passw0rd-ok"},
    )
    link.refresh_from_db()
    # Accepting shows only that someone reads that mailbox: the link counts once a coordinator confirms it.
    assert link.status == GuardianLink.Status.ACCEPTED
    assert link.guardian.has_role(Role.GUARDIAN)
    assert client.get(reverse("learner_detail", args=[minor.pk])).status_code in {403, 404}
    services.guardian_link_confirm(link=link, actor=UserFactory(roles=[Role.COORDINATOR]), method="in_person")
    assert client.get(reverse("learner_detail", args=[minor.pk])).status_code == 200


def test_learner_cannot_invite_themselves_as_guardian(minor_learner: Any) -> None:
    with pytest.raises(ValidationError, match="not your own"):
        services.guardian_invite(learner=minor_learner, email=minor_learner.user.email)


def test_learner_cannot_accept_their_own_guardian_invitation(client: Any) -> None:
    minor = LearnerProfileFactory(age=16, stage="high_school")
    link = services.guardian_invite(learner=minor, email="second-address@example.org")
    with pytest.raises(ValidationError, match="own guardian"):
        services.invitation_accept_existing_user(invitation=link.invitation, user=minor.user)
    link.refresh_from_db()
    assert link.status == GuardianLink.Status.INVITED


def test_expired_invitation_is_refused(client: Any, coordinator: Any) -> None:
    invitation = services.invitation_create(
        invited_by=coordinator, email="late@example.org", role=Role.MENTOR
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(reverse("invitation_accept", args=[invitation.token])).status_code == 410
    assert (
        client.post(
            reverse("invitation_accept", args=[invitation.token]),
            {"full_name": "L", "password1": "long-Passw0rd-ok", "password2": "long-Passw0rd-ok"},
        ).status_code
        == 410
    )
    assert not User.objects.filter(email="late@example.org").exists()


def test_accepting_with_weak_password_saves_nothing(client: Any, coordinator: Any) -> None:
    invitation = services.invitation_create(
        invited_by=coordinator, email="weak@example.org", role=Role.MENTOR
    )
    response = client.post(
        reverse("invitation_accept", args=[invitation.token]),
        {"full_name": "W", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_guardian_can_revoke_and_stranger_cannot(client: Any, guardian_link: Any, learner: Any) -> None:
    client.force_login(learner.user)
    assert client.post(reverse("guardian_link_revoke", args=[guardian_link.pk])).status_code == 404
    client.force_login(guardian_link.guardian)
    client.post(reverse("guardian_link_revoke", args=[guardian_link.pk]), {"reason": "moving away"})
    guardian_link.refresh_from_db()
    assert guardian_link.status == GuardianLink.Status.REVOKED
    assert AuditEvent.objects.filter(action="guardian.revoke").exists()


def test_minor_dashboard_asks_for_guardian(client: Any) -> None:
    minor = LearnerProfileFactory(age=16, stage="high_school")
    client.force_login(minor.user)
    assert "Invite your parent or guardian" in client.get(reverse("dashboard")).content.decode()


def test_a_revoke_reason_over_500_characters_is_named_not_cut(client: Any, guardian_link: Any) -> None:
    client.force_login(guardian_link.guardian)
    response = client.post(reverse("guardian_link_revoke", args=[guardian_link.pk]), {"reason": "x" * 501})
    assert response.status_code == 302
    guardian_link.refresh_from_db()
    assert guardian_link.status != GuardianLink.Status.REVOKED
    assert not AuditEvent.objects.filter(action="guardian.revoke").exists()


def test_a_second_revoke_changes_nothing_and_is_audited_once(client: Any, guardian_link: Any) -> None:
    """A conditional update: a double click (or two tabs) revokes once, with one audit entry."""
    client.force_login(guardian_link.guardian)
    for _ in range(2):
        client.post(reverse("guardian_link_revoke", args=[guardian_link.pk]), {"reason": "moving away"})
    guardian_link.refresh_from_db()
    assert guardian_link.status == GuardianLink.Status.REVOKED
    assert AuditEvent.objects.filter(action="guardian.revoke").count() == 1
