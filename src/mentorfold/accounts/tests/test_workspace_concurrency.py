"""Races on PostgreSQL with real threads: two coordinators re-sending one invite, or deactivating one mentor."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from mentorfold.accounts import onboarding
from mentorfold.accounts.models import GuardianLink, Invitation, MentorProfile, Role
from mentorfold.accounts.tests.factories import (
    GuardianLinkFactory,
    LearnerProfileFactory,
    MentorProfileFactory,
    UserFactory,
)
from mentorfold.core.models import AuditEvent

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)


def _race(*actions: Callable[[], Any]) -> list[str]:
    """Run each action in its own thread and connection, released together; "ok" or the error per action."""
    barrier = threading.Barrier(len(actions))
    results = ["not run"] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            action()
            results[i] = "ok"
        except ValidationError as exc:
            results[i] = " ".join(exc.messages)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@POSTGRES_ONLY
def test_two_coordinators_resending_one_invite_send_one_mail() -> None:
    first, second = UserFactory.create_batch(2, roles=[Role.COORDINATOR])
    learner = LearnerProfileFactory(age=15)
    link = GuardianLinkFactory(
        learner=learner, guardian=None, invited_email="aunt@example.org", status=GuardianLink.Status.INVITED
    )
    Invitation.objects.create(
        email=link.invited_email, role="guardian", invited_by=learner.user, guardian_link=link
    )
    Invitation.objects.filter(guardian_link=link).update(created_at=timezone.now() - timedelta(hours=3))
    outcomes = _race(
        lambda: onboarding.guardian_invite_resend(link=link, actor=first),
        lambda: onboarding.guardian_invite_resend(link=link, actor=second),
    )
    assert outcomes[1] == "ok", outcomes
    assert "less than an hour" in outcomes[0], outcomes
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="guardian.invite_resend").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@POSTGRES_ONLY
def test_two_coordinators_deactivating_one_mentor_record_it_once() -> None:
    first, second = UserFactory.create_batch(2, roles=[Role.COORDINATOR])
    mentor = MentorProfileFactory()
    outcomes = _race(
        lambda: onboarding.mentor_deactivate(mentor=mentor, actor=first, reason="Left the county"),
        lambda: onboarding.mentor_deactivate(mentor=mentor, actor=second, reason="Asked to stop"),
    )
    assert outcomes[1] == "ok", outcomes
    assert "already deactivated" in outcomes[0], outcomes
    mentor.refresh_from_db()
    assert mentor.status == MentorProfile.Status.INACTIVE
    assert AuditEvent.objects.filter(action="mentor.deactivate").count() == 1
