"""Factories for matching tests (own copies of program objects so this app's tests stand alone)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching.models import MentorDecision, Mentorship, Preference
from mentorfold.programs.models import Enrollment, MentorTermOptIn, Program, Site, Term


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Clinic {n:03d}")
    city = "Seattle"
    min_age = 16


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    description = "Shadowing"
    eligible_stages = [s.value for s in LearnerProfile.Stage]
    min_age = 16


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Term {n}")
    application_opens = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    application_closes = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=40))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=120))
    status = Term.Status.OPEN
    preferences_close = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    term = factory.SubFactory(TermFactory)
    learner = factory.SubFactory(LearnerProfileFactory)
    statement = "I want to learn."
    status = Enrollment.Status.ACCEPTED
    availability = ["mon-am", "tue-pm"]


class OptInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorTermOptIn

    term = factory.SubFactory(TermFactory)
    mentor = factory.SubFactory(MentorProfileFactory)
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
