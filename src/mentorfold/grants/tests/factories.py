from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile, Organization
from mentorfold.accounts.tests.factories import LearnerProfileFactory, OrganizationFactory

from ..models import DEFAULT_ELIGIBILITY, DEFAULT_RUBRIC, Application, Assignment, GrantCycle, Review

# A minimal valid PDF (what `filetype` sniffs is the %PDF- header).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class MedicalSchoolFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"Medical School {n}")
    kind = Organization.Kind.MEDICAL_SCHOOL
    state = "WA"


class MedicalStudentFactory(LearnerProfileFactory):
    stage = LearnerProfile.Stage.MEDICAL_STUDENT
    age = 24
    school = factory.SubFactory(MedicalSchoolFactory)


class GrantCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GrantCycle

    name = factory.Sequence(lambda n: f"Community Foundation grants {2026 + n}")
    status = GrantCycle.Status.OPEN
    total_budget = 10000
    award_min = 500
    award_max = 3000
    award_step = 50
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    rubric = factory.LazyFunction(lambda: [dict(c) for c in DEFAULT_RUBRIC])
    eligibility_questions = factory.LazyFunction(lambda: [dict(q) for q in DEFAULT_ELIGIBILITY])
    required_attachments = factory.LazyFunction(lambda: ["Enrolment letter"])


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    cycle = factory.SubFactory(GrantCycleFactory)
    applicant = factory.SubFactory(MedicalStudentFactory)
    status = Application.Status.SUBMITTED
    personal_statement = "I grew up in a rural village and want to return as a family physician."
    financial_need = "Tuition and travel for clinical rotations."
    community_involvement = "I volunteer at a free clinic every week."
    amount_requested = 2000
    budget_purpose = "Travel to rural rotations"
    topics = "rural medicine"
    submitted_at = factory.LazyFunction(timezone.now)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    application = factory.SubFactory(ApplicationFactory)
    cycle = factory.SelfAttribute("application.cycle")
    reviewer = None


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    application = factory.SubFactory(ApplicationFactory)
    cycle = factory.SelfAttribute("application.cycle")
    status = Review.Status.SUBMITTED
    scores = factory.LazyFunction(lambda: {"story": 4, "community": 4, "need": 4, "plan": 4})
    total = 4.0
    submitted_at = factory.LazyFunction(timezone.now)
