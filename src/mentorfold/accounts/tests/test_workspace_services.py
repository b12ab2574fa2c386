"""Onboarding services: checklist steps, activation rules, audit, permissions; guardian invite re-sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mentorfold.accounts import onboarding
from mentorfold.accounts.models import GuardianLink, Invitation, MentorProfile
from mentorfold.accounts.tests.factories import (
    GuardianLinkFactory,
    LearnerProfileFactory,
    MentorProfileFactory,
)
from mentorfold.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _today() -> Any:
    return timezone.localdate()


def test_checklist_steps_then_activation_clear_the_mentor(coordinator: Any) -> None:
    mentor = MentorProfileFactory(onboarding=True)
    assert not mentor.is_cleared
    onboarding.mentor_record_orientation(mentor=mentor, actor=coordinator, completed_on=_today())
    onboarding.mentor_verify_licence(
        mentor=mentor, actor=coordinator, state="wa", number=" MD  12345 ", verified_on=_today()
    )
    activated = onboarding.mentor_activate(mentor=mentor, actor=coordinator)
    mentor.refresh_from_db()
    assert activated.is_cleared and mentor.is_cleared
    assert (mentor.licence_state, mentor.licence_number) == ("WA", "MD 12345")
    assert not mentor.can_host_minors
    actions = list(
        AuditEvent.objects.filter(target_id=str(mentor.pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == ["mentor.orientation", "mentor.licence_verify", "mentor.activate"]


def test_background_check_lets_a_cleared_mentor_host_minors(coordinator: Any) -> None:
    mentor = MentorProfileFactory(without_background_check=True)
    onboarding.mentor_verify_background_check(
        mentor=mentor,
        actor=coordinator,
        verified_on=_today() - timedelta(days=3),
        expires_on=_today() + timedelta(days=700),
    )
    mentor.refresh_from_db()
    assert mentor.can_host_minors
    assert not mentor.can_host_minors_on(_today() + timedelta(days=701))


@pytest.mark.parametrize(
    ("missing", "words"),
    [
        ({"orientation_completed_on": None}, "record the orientation"),
        ({"licence_verified_on": None}, "verify the licence"),
    ],
)
def test_it_refuses_to_activate_before_orientation_and_licence(
    coordinator: Any, missing: dict[str, Any], words: str
) -> None:
    mentor = MentorProfileFactory(status=MentorProfile.Status.ONBOARDING, **missing)
    with pytest.raises(ValidationError, match=words):
        onboarding.mentor_activate(mentor=mentor, actor=coordinator)
    mentor.refresh_from_db()
    assert mentor.status == MentorProfile.Status.ONBOARDING


def test_activation_does_not_need_a_background_check(coordinator: Any) -> None:
    mentor = MentorProfileFactory(status=MentorProfile.Status.ONBOARDING, without_background_check=True)
    assert onboarding.mentor_activate(mentor=mentor, actor=coordinator).is_cleared


def test_activation_re_checks_the_row_not_the_stale_object(coordinator: Any) -> None:
    mentor = MentorProfileFactory(status=MentorProfile.Status.ONBOARDING)
    stale = MentorProfile.objects.get(pk=mentor.pk)
    MentorProfile.objects.filter(pk=mentor.pk).update(licence_verified_on=None)
    with pytest.raises(ValidationError):
        onboarding.mentor_activate(mentor=stale, actor=coordinator)


def test_deactivation_needs_a_reason_and_keeps_it(coordinator: Any) -> None:
    mentor = MentorProfileFactory()
    with pytest.raises(ValidationError):
        onboarding.mentor_deactivate(mentor=mentor, actor=coordinator, reason="   ")
    onboarding.mentor_deactivate(mentor=mentor, actor=coordinator, reason="Moved out of state")
    mentor.refresh_from_db()
    assert mentor.status == MentorProfile.Status.INACTIVE and not mentor.is_cleared
    assert mentor.status_reason == "Moved out of state"
    event = AuditEvent.objects.get(action="mentor.deactivate")
    assert event.reason == "Moved out of state" and event.data == {"from": "active"}
    with pytest.raises(ValidationError, match="already"):
        onboarding.mentor_deactivate(mentor=mentor, actor=coordinator, reason="again")


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (onboarding.mentor_record_orientation, {"completed_on": timezone.localdate() + timedelta(days=1)}),
        (
            onboarding.mentor_verify_licence,
            {"state": "ZZ", "number": "1", "verified_on": timezone.localdate()},
        ),
        (
            onboarding.mentor_verify_licence,
            {"state": "WA", "number": "  ", "verified_on": timezone.localdate()},
        ),
        (
            onboarding.mentor_verify_licence,
            {"state": "WA", "number": "1", "verified_on": timezone.localdate() + timedelta(days=2)},
        ),
        (
            onboarding.mentor_verify_background_check,
            {"verified_on": timezone.localdate(), "expires_on": timezone.localdate()},
        ),
        (
            onboarding.mentor_verify_background_check,
            {
                "verified_on": timezone.localdate() - timedelta(days=900),
                "expires_on": timezone.localdate() - timedelta(days=10),
            },
        ),
    ],
)
def test_it_rejects_bad_checklist_values(coordinator: Any, call: Any, kwargs: dict[str, Any]) -> None:
    mentor = MentorProfileFactory(onboarding=True)
    with pytest.raises(ValidationError):
        call(mentor=mentor, actor=coordinator, **kwargs)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ["mentor", "learner", "reviewer", "guardian"])
def test_only_coordinators_run_onboarding(request: Any, role: str) -> None:
    fixture = request.getfixturevalue(role)
    actor = getattr(fixture, "user", fixture)
    mentor = MentorProfileFactory(onboarding=True)
    with pytest.raises(PermissionDenied):
        onboarding.mentor_record_orientation(mentor=mentor, actor=actor, completed_on=_today())
    with pytest.raises(PermissionDenied):
        onboarding.mentor_activate(mentor=mentor, actor=actor)
    with pytest.raises(PermissionDenied):
        onboarding.mentor_deactivate(mentor=mentor, actor=actor, reason="x")


def _invited_link() -> GuardianLink:
    learner = LearnerProfileFactory(age=15)
    link = GuardianLinkFactory(
        learner=learner, guardian=None, invited_email="mum@example.org", status=GuardianLink.Status.INVITED
    )
    Invitation.objects.create(
        email=link.invited_email,
        role="guardian",
        invited_by=learner.user,
        guardian_link=link,
        expires_at=timezone.now() - timedelta(days=1),
    )
    Invitation.objects.filter(guardian_link=link).update(created_at=timezone.now() - timedelta(hours=5))
    return link


def test_guardian_invite_resend_mails_after_commit_and_renews_the_link(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    link = _invited_link()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = onboarding.guardian_invite_resend(link=link, actor=coordinator)
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["mum@example.org"]]
    assert invitation.token in mail.outbox[0].body
    assert invitation.is_open
    assert AuditEvent.objects.filter(action="guardian.invite_resend").count() == 1


def test_guardian_invite_resend_is_limited_to_once_an_hour(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    link = _invited_link()
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.guardian_invite_resend(link=link, actor=coordinator)
    with pytest.raises(ValidationError, match="less than an hour"):
        onboarding.guardian_invite_resend(link=link, actor=coordinator)
    later = timezone.now() + timedelta(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.guardian_invite_resend(link=link, actor=coordinator, now=later)
    assert len(mail.outbox) == 2


def test_a_fresh_invitation_counts_as_a_send(coordinator: Any) -> None:
    link = _invited_link()
    Invitation.objects.filter(guardian_link=link).update(created_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ValidationError, match="less than an hour"):
        onboarding.guardian_invite_resend(link=link, actor=coordinator)


def test_verified_links_and_non_coordinators_cannot_resend(
    coordinator: Any, guardian_link: Any, learner: Any
) -> None:
    with pytest.raises(ValidationError):
        onboarding.guardian_invite_resend(link=guardian_link, actor=coordinator)
    with pytest.raises(PermissionDenied):
        onboarding.guardian_invite_resend(link=_invited_link(), actor=learner.user)
