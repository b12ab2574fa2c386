"""The demo's conversations: Minh's thread includes her guardian; a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.messaging.models import Meeting, Message, Side, Thread

pytestmark = pytest.mark.django_db


def test_demo_conversations_include_minhs_guardian_and_seeding_twice_adds_nothing() -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    minh_thread = Thread.objects.get(mentorship__learner__user__email=f"minh.tran@{DEMO_DOMAIN}")
    sides = dict(minh_thread.participants.values_list("user__email", "side"))
    assert sides[f"lan.tran@{DEMO_DOMAIN}"] == Side.GUARDIAN
    assert minh_thread.messages.filter(author__email=f"lan.tran@{DEMO_DOMAIN}").exists()
    assert Meeting.objects.filter(mentorship=minh_thread.mentorship, status=Meeting.Status.ACCEPTED).exists()
    counts = (Thread.objects.count(), Message.objects.count(), Meeting.objects.count())
    assert counts[0] > 5
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    assert (Thread.objects.count(), Message.objects.count(), Meeting.objects.count()) == counts
