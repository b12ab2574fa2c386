"""The demo society has believable learning content, in several languages, and seeding twice adds nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.learning.models import Flashcard, GlossaryEntry, Question, Reflection, TeachingMoment
from mentorfold.matching.models import Mentorship

pytestmark = pytest.mark.django_db


def _counts(mentorship_ids: list[int] | None = None, program_ids: list[int] | None = None) -> tuple[int, ...]:
    """Rows of the given mentorships (all when None): a rerun may fill a mentorship another app just added."""
    questions, entries, moments = (
        Question.objects.all(),
        GlossaryEntry.objects.all(),
        TeachingMoment.objects.all(),
    )
    if mentorship_ids is not None:
        questions = questions.filter(
            Q(mentorship_id__in=mentorship_ids) | Q(program_id__in=program_ids or [])
        )
        entries = entries.filter(Q(mentorship_id__in=mentorship_ids) | Q(program_id__in=program_ids or []))
        moments = moments.filter(mentorship_id__in=mentorship_ids)
    return (
        questions.count(),
        entries.count(),
        moments.count(),
        Flashcard.objects.count(),
        Reflection.objects.count(),
    )


def test_demo_learning_is_seeded_once_with_every_direction_and_language(client: Any) -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    # Later seeders (messaging) may add a mentorship after this one ran; a rerun fills it, and nothing else.
    seeded = list(
        Mentorship.objects.filter(teaching_moments__isnull=False).distinct().values_list("pk", flat=True)
    )
    programs = list(
        Question.objects.filter(program__isnull=False).values_list("program_id", flat=True).distinct()
    )
    first = _counts(seeded, programs)
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    assert _counts(seeded, programs) == first
    assert all(n > 0 for n in first)
    languages = set(GlossaryEntry.objects.exclude(language=None).values_list("language__code", flat=True))
    assert {"es", "vi", "so"} <= languages
    assert {"jargon", "community", "patient_language"} <= set(
        GlossaryEntry.objects.values_list("direction", flat=True)
    )
    assert set(TeachingMoment.objects.values_list("direction", flat=True)) == {
        "mentor_to_learner",
        "learner_to_mentor",
    }
    assert Question.objects.filter(promoted_at__isnull=False).exists()

    client.force_login(TeachingMoment.objects.first().mentor.user)
    assert client.get(reverse("learning:learned")).status_code == 200
    client.force_login(Flashcard.objects.first().owner)
    assert client.get(reverse("learning:review")).status_code == 200
    client.force_login(
        Question.objects.filter(mentorship__mentor__user__email=f"dr.rivera@{DEMO_DOMAIN}")
        .first()
        .mentorship.mentor.user
    )
    assert "Is it normal to feel faint" in client.get(reverse("dashboard")).content.decode()
