"""Tokens and a small world of objects owned by the standing role fixtures, for the API tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from mentorfold.api.models import PersonalAccessToken, secret_hash
from mentorfold.grants.models import Conflict, GrantCycle
from mentorfold.grants.tests.factories import ApplicationFactory, AssignmentFactory, GrantCycleFactory
from mentorfold.matching.models import MatchRun
from mentorfold.programs.tests.factories import ProgramFactory as PublicProgramFactory
from mentorfold.programs.tests.factories import TermFactory as OpenTermFactory
from mentorfold.shadowing.tests.factories import (
    BookingFactory,
    EnrollmentFactory,
    MentorshipFactory,
    ProgramFactory,
    SiteFactory,
    SlotFactory,
    TermFactory,
)


def make_token(
    user: Any, *, scope: str = PersonalAccessToken.Scope.READ_WRITE, days: int = 30, **extra: Any
) -> tuple[PersonalAccessToken, str]:
    """A token as ``token_create`` makes it (without the MFA-session check); returns it and the raw value."""
    secret = secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=user,
        name="test",
        prefix=secrets.token_hex(4),
        secret_sha256=secret_hash(secret),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
        **extra,
    )
    return token, f"mf_{token.prefix}_{secret}"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@dataclass
class World:
    program: Any
    term: Any
    site: Any
    slot: Any
    booking: Any
    minor_booking: Any
    cycle: Any
    application: Any
    run: Any
    mentor: Any


def build_world(
    *,
    mentor: Any,
    other_mentor: Any,
    learner: Any,
    minor_learner: Any,
    reviewer: Any,
    conflicted_reviewer: Any,
) -> World:
    """``learner`` is enrolled and matched with ``mentor`` and booked one of their slots; another slot is open.
    ``minor_learner`` booked a slot of ``other_mentor``. One grant application (of a stranger) is assigned to
    both reviewers; ``conflicted_reviewer`` has an active conflict with it."""
    site = SiteFactory(max_learners_at_once=2, min_age=13)
    site.mentors.add(mentor, other_mentor)
    program = ProgramFactory()
    program.sites.add(site)
    term = TermFactory(program=program)
    EnrollmentFactory(term=term, learner=learner)
    MentorshipFactory(term=term, learner=learner, mentor=mentor)
    slot = SlotFactory(mentor=mentor, site=site, program=program, starts_at=_soon(days=3))
    booking = BookingFactory(
        slot=SlotFactory(mentor=mentor, site=site, program=program, starts_at=_soon(days=6)), learner=learner
    )
    minor_booking = BookingFactory(
        slot=SlotFactory(mentor=other_mentor, site=site, program=program, starts_at=_soon(days=8)),
        learner=minor_learner,
    )
    public = PublicProgramFactory()
    public.sites.add(site)
    open_term = OpenTermFactory(program=public)
    EnrollmentFactory(term=open_term, learner=learner)  # accepted: the learner may rank mentors in it
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW)
    application = ApplicationFactory(cycle=cycle)
    AssignmentFactory(application=application, reviewer=reviewer.user)
    AssignmentFactory(application=application, reviewer=conflicted_reviewer.user)
    Conflict.objects.create(
        cycle=cycle,
        reviewer=conflicted_reviewer.user,
        application=application,
        source=Conflict.Source.DECLARED,
        reason="Knows the family",
    )
    run = MatchRun.objects.create(term=open_term, seed=7)
    return World(
        program=public,
        term=open_term,
        site=site,
        slot=slot,
        booking=booking,
        minor_booking=minor_booking,
        cycle=cycle,
        application=application,
        run=run,
        mentor=mentor,
    )


def _soon(*, days: int) -> Any:
    return timezone.now().replace(microsecond=0) + timedelta(days=days)
