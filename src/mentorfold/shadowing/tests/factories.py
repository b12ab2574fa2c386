"""Factories for shadowing tests (and minimal program/term/enrollment/mentorship factories they need)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching.tests import factories as matching_factories
from mentorfold.programs.models import Enrollment, Requirement, Term
from mentorfold.programs.tests import factories as programs_factories
from mentorfold.shadowing.models import Booking, HoursCertificate, Slot


class SiteFactory(programs_factories.SiteFactory):
    name = factory.Sequence(lambda n: f"Harbor Clinic {n}")
    max_learners_at_once = 2


class ProgramFactory(programs_factories.ProgramFactory):
    name = factory.Sequence(lambda n: f"Clinic shadowing {n}")
    slug = factory.Sequence(lambda n: f"clinic-shadowing-{n}")
    description = "Shadow a physician in clinic."
    max_hours_per_experience = 40
    max_bookings_per_week = 3


class TermFactory(programs_factories.TermFactory):
    """A term that is already running, so slots in the coming weeks fall inside it."""

    program = factory.SubFactory(ProgramFactory)
    name = "This year"
    application_opens = factory.LazyFunction(lambda: timezone.now() - timedelta(days=90))
    application_closes = factory.LazyFunction(lambda: timezone.now() - timedelta(days=60))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=120))
    status = Term.Status.ACTIVE


class EnrollmentFactory(programs_factories.EnrollmentFactory):
    term = factory.SubFactory(TermFactory)
    status = Enrollment.Status.ACCEPTED


class MentorshipFactory(matching_factories.MentorshipFactory):
    term = factory.SubFactory(TermFactory)


class RequirementFactory(programs_factories.RequirementFactory):
    name = "Confidentiality agreement"
    kind = Requirement.Kind.CONFIDENTIALITY
    requires_document = False


class RequirementRecordFactory(programs_factories.RequirementRecordFactory):
    requirement = factory.SubFactory(RequirementFactory)


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
