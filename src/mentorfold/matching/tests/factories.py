"""Factories for matching tests: programs' factories with the defaults a matching test needs."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching.models import MentorDecision, Mentorship, Preference
from mentorfold.programs.models import Enrollment, Site, Term
from mentorfold.programs.tests import factories as programs_factories


class SiteFactory(programs_factories.SiteFactory):
    name = factory.Sequence(lambda n: f"Clinic {n:03d}")


class ProgramFactory(programs_factories.ProgramFactory):
    description = "Shadowing"


class TermFactory(programs_factories.TermFactory):
    """An open term whose rankings close in ten days."""

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Term {n}")
    application_opens = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=40))
    preferences_close = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class EnrollmentFactory(programs_factories.EnrollmentFactory):
    term = factory.SubFactory(TermFactory)
    statement = "I want to learn."
    status = Enrollment.Status.ACCEPTED
    availability = ["mon-am", "tue-pm"]


class OptInFactory(programs_factories.MentorTermOptInFactory):
    term = factory.SubFactory(TermFactory)
    capacity = 1
    availability = ["mon-am"]


class MentorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentorship

    term = factory.SubFactory(TermFactory)
    mentor = factory.SubFactory(MentorProfileFactory)
    learner = factory.SubFactory(LearnerProfileFactory)


def join_term(
    term: Term,
    *,
    learners: list[LearnerProfile] = (),  # type: ignore[assignment]
    mentors: list[MentorProfile] = (),  # type: ignore[assignment]
    site: Site | None = None,
    capacity: int = 1,
) -> Site:
    """Accept the learners, opt the mentors in at ``site`` (created if missing) with ``capacity`` each."""
    site = site or SiteFactory()
    for learner in learners:
        EnrollmentFactory(term=term, learner=learner)
    for mentor in mentors:
        OptInFactory(term=term, mentor=mentor, capacity=capacity)
        site.mentors.add(mentor)
    return site


def rank(term: Term, learner: LearnerProfile, mentors: list[MentorProfile]) -> None:
    for r, mentor in enumerate(mentors, 1):
        Preference.objects.create(term=term, learner=learner, mentor=mentor, rank=r)


def mentor_rank(term: Term, mentor: MentorProfile, learners: list[LearnerProfile]) -> None:
    for r, learner in enumerate(learners, 1):
        MentorDecision.objects.create(term=term, mentor=mentor, learner=learner, acceptable=True, rank=r)
