from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from mentorfold.accounts.tests.factories import LearnerProfileFactory, UserFactory
from mentorfold.programs.tests.factories import TermFactory

from ..models import PipelineStage, SurveyInvitation, SurveyResponse, SurveySchedule


class SurveyScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveySchedule
        django_get_or_create = ("term", "kind")

    term = factory.SubFactory(TermFactory)
    kind = SurveySchedule.Kind.MENTOR_BASELINE
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=11))
    instruments = factory.LazyAttribute(
        lambda o: ["mini_z"] if o.kind in SurveySchedule.MENTOR_KINDS else ["belonging", "intent"]
    )


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    schedule = factory.SubFactory(SurveyScheduleFactory)
    user = factory.SubFactory(UserFactory)
    due_on = factory.LazyAttribute(lambda o: o.schedule.due_on)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    invitation = factory.SubFactory(SurveyInvitationFactory)
    answers = factory.LazyFunction(dict)


class PipelineStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PipelineStage

    learner = factory.SubFactory(LearnerProfileFactory)
    stage = PipelineStage.Stage.COLLEGE
    reached_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
