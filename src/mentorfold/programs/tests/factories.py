from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile
from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory, UserFactory
from mentorfold.programs.models import (
    Enrollment,
    MentorTermOptIn,
    Program,
    Requirement,
    RequirementRecord,
    Site,
    Term,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Clinic {n}")
    city = "Seattle"
    min_age = 16
    dress_code = "Business casual, closed-toe shoes."
    arrival_notes = "Park in lot B; check in at the front desk."


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    description = "Learners shadow family physicians in community clinics."
    eligible_stages = factory.LazyFunction(lambda: list(LearnerProfile.Stage.values))
    min_age = 16


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    program = factory.SubFactory(ProgramFactory)
    name = "Summer 2027"
    application_opens = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    application_closes = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=120))
    status = Term.Status.OPEN


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    term = factory.SubFactory(TermFactory)
    learner = factory.SubFactory(LearnerProfileFactory)
    statement = "I want to see what a family doctor's day looks like."


class MentorTermOptInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorTermOptIn

    term = factory.SubFactory(TermFactory)
    mentor = factory.SubFactory(MentorProfileFactory)
    capacity = 2


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    name = "Immunization record"
    kind = Requirement.Kind.IMMUNIZATION
    applies_to = Requirement.AppliesTo.LEARNER
    requires_document = True


class RequirementRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequirementRecord

    requirement = factory.SubFactory(RequirementFactory)
    person = factory.SubFactory(UserFactory)
    status = RequirementRecord.Status.APPROVED
