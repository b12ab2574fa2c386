"""Factories for shadowing tests (and minimal program/term/enrollment/mentorship factories they need)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile
from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Enrollment, Program, Requirement, RequirementRecord, Site, Term
from mentorfold.shadowing.models import Booking, HoursCertificate, Slot


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Harbor Clinic {n}")
    city = "Seattle"
    min_age = 16
    max_learners_at_once = 2


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Clinic shadowing {n}")
    slug = factory.Sequence(lambda n: f"clinic-shadowing-{n}")
    description = "Shadow a physician in clinic."
    eligible_stages = [s.value for s in LearnerProfile.Stage]
    min_age = 16
    max_hours_per_experience = 40
    max_bookings_per_week = 3


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    program = factory.SubFactory(ProgramFactory)
    name = "This year"
    application_opens = factory.LazyFunction(lambda: timezone.now() - timedelta(days=90))
    application_closes = factory.LazyFunction(lambda: timezone.now() - timedelta(days=60))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=120))
    status = Term.Status.ACTIVE


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    term = factory.SubFactory(TermFactory)
    learner = factory.SubFactory(LearnerProfileFactory)
    statement = "I want to see what a doctor's day looks like."
    status = Enrollment.Status.ACCEPTED


class MentorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentorship

    mentor = factory.SubFactory(MentorProfileFactory)
    learner = factory.SubFactory(LearnerProfileFactory)
    term = factory.SubFactory(TermFactory)


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    name = "Confidentiality agreement"
    kind = Requirement.Kind.CONFIDENTIALITY
    applies_to = Requirement.AppliesTo.LEARNER


class RequirementRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequirementRecord

    requirement = factory.SubFactory(RequirementFactory)
    status = RequirementRecord.Status.APPROVED


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    mentor = factory.SubFactory(MentorProfileFactory)
    site = factory.SubFactory(SiteFactory)
    program = factory.SubFactory(ProgramFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    capacity = 1
    notes = "Clinic starts 8:00, wear closed-toe shoes."


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    slot = factory.SubFactory(SlotFactory)
    learner = factory.SubFactory(LearnerProfileFactory)


class HoursCertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HoursCertificate

    learner = factory.SubFactory(LearnerProfileFactory)
    issued_at = factory.LazyFunction(timezone.now)
    totals = factory.LazyFunction(lambda: {"rows": [], "by_specialty": {}, "total_minutes": 0})
