"""Factories for learning tests."""

from __future__ import annotations

import factory
from django.utils import timezone

from mentorfold.learning.models import Flashcard, GlossaryEntry, Question, Reflection, TeachingMoment
from mentorfold.matching.tests.factories import MentorshipFactory


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    mentorship = factory.SubFactory(MentorshipFactory)
    asked_by = factory.LazyAttribute(lambda o: o.mentorship.learner)
    title = factory.Sequence(lambda n: f"Why do nurses check the wristband twice? ({n})")
    body = "I saw it at every room."


class GlossaryEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GlossaryEntry

    mentorship = factory.SubFactory(MentorshipFactory)
    term = factory.Sequence(lambda n: f"Hypertension {n}")
    meaning = "High blood pressure."
    example = "Your blood pressure is high; we call that hypertension."
    direction = GlossaryEntry.Direction.JARGON
    added_by = factory.LazyAttribute(lambda o: o.mentorship.mentor.user)


class TeachingMomentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeachingMoment

    mentorship = factory.SubFactory(MentorshipFactory)
    mentor = factory.LazyAttribute(lambda o: o.mentorship.mentor)
    direction = TeachingMoment.Direction.LEARNER_TO_MENTOR
    category = TeachingMoment.Category.TECHNOLOGY
    text = "How teens use group chats to remind each other about appointments."
    recorded_by = factory.LazyAttribute(lambda o: o.mentorship.mentor.user)
    created_at = factory.LazyFunction(timezone.now)


class FlashcardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flashcard

    glossary_entry = factory.SubFactory(GlossaryEntryFactory)
    owner = factory.LazyAttribute(lambda o: o.glossary_entry.mentorship.learner.user)
    due = factory.LazyFunction(timezone.now)


class ReflectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reflection

    learner = factory.LazyAttribute(lambda o: o.booking.learner)
    surprised = "How calm the clinic was before 9."
    still_wondering = "How do doctors decide who to see first?"
