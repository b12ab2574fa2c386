"""The demo society has two years of believable outcome data, and seeding twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ..models import PipelineStage, SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db


def test_demo_outcomes_are_believable_and_idempotent() -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    invited = SurveyInvitation.objects.count()
    sent = SurveyInvitation.objects.filter(completed_at__isnull=False).count()
    counts = (invited, SurveyResponse.objects.count(), PipelineStage.objects.count())
    assert invited > 0 and PipelineStage.objects.exists()
    assert 0.4 <= sent / invited <= 0.8
    assert SurveyResponse.objects.filter(invitation__completed_at__isnull=True).exists()  # saved part-way
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    assert (
        SurveyInvitation.objects.count(),
        SurveyResponse.objects.count(),
        PipelineStage.objects.count(),
    ) == counts
