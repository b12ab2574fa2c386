from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mentorfold.accounts.models import LearnerProfile, User


def test_age_and_minor_status_follow_the_birthday() -> None:
    learner = LearnerProfile(date_of_birth=date(2010, 6, 15))
    assert learner.age_on(date(2028, 6, 14)) == 17
    assert learner.age_on(date(2028, 6, 15)) == 18


def test_learner_born_in_the_future_is_rejected() -> None:
    learner = LearnerProfile(date_of_birth=date(2999, 1, 1))
    with pytest.raises(ValidationError, match="future"):
        learner.clean()


@pytest.mark.django_db
def test_email_is_unique_regardless_of_case() -> None:
    User.objects.create_user(email="Same@Example.org", password="x", full_name="A")
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError differs by database
        User.objects.create(email="same@example.ORG", full_name="B")
