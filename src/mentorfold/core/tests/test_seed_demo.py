from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile, Role, User


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "mentors": MentorProfile.objects.count(),
        "learners": LearnerProfile.objects.count(),
        "guardian_links": GuardianLink.objects.count(),
        "memberships": User.groups.through.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_twice_gives_the_same_counts() -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    assert _counts() == first
    assert first["mentors"] >= 20 and first["learners"] >= 80


@pytest.mark.django_db
def test_demo_society_has_every_role_and_minors_with_guardians() -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    minors = [lp for lp in LearnerProfile.objects.all() if lp.is_minor]
    assert minors
    assert GuardianLink.objects.filter(status=GuardianLink.Status.VERIFIED, learner__in=minors).exists()
    stages = set(LearnerProfile.objects.values_list("stage", flat=True))
    assert stages == set(LearnerProfile.Stage.values)


@pytest.mark.django_db
def test_demo_logins_command_prints_every_role() -> None:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for role in ("coordinator", "mentor", "adult learner", "minor learner", "guardian", "reviewer"):
        assert role in text
