"""Standing fixtures for every role (like healthchecks' alice/bob/charlie), shared by all apps' tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test.client import ClientMixin
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from mentorfold.accounts.models import Role
from mentorfold.accounts.tests.auth import force_login_counting_as_mfa
from mentorfold.accounts.tests.factories import (
    GuardianLinkFactory,
    LearnerProfileFactory,
    MentorProfileFactory,
    ReviewerProfileFactory,
    UserFactory,
    add_totp,
)
from mentorfold.core.tests.worker_process import worker_env  # noqa: F401  (a real task worker process)

# Property tests are reproducible (derandomized) and never fail on timing: a busy CI machine with two
# workers must not turn a slow example into a red build. Tests may still tighten their own settings.
hypothesis_settings.register_profile(
    "mentorfold", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("mentorfold")


@pytest.fixture(autouse=True)
def _immediate_tasks_and_fast_hashing(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _force_login_counts_as_mfa(monkeypatch: pytest.MonkeyPatch) -> None:
    """``client.force_login(user)`` skips authentication, so it also passes the authenticator step for users who
    have one (coordinator, reviewer fixtures). To test the MFA rule, log in through real requests or use
    ``mentorfold.accounts.tests.auth.login_without_mfa`` / ``login_with_mfa``."""
    monkeypatch.setattr(ClientMixin, "force_login", force_login_counting_as_mfa)


@pytest.fixture
def coordinator(db: None) -> Any:
    user = UserFactory(
        email="coordinator@example.org", full_name="Casey Coordinator", roles=[Role.COORDINATOR]
    )
    add_totp(user)
    return user


@pytest.fixture
def coordinator_without_mfa(db: None) -> Any:
    return UserFactory(email="nomfa@example.org", roles=[Role.COORDINATOR])


@pytest.fixture
def mentor(db: None) -> Any:
    return MentorProfileFactory(user__email="mentor@example.org", user__full_name="Maria Rivera")


@pytest.fixture
def other_mentor(db: None) -> Any:
    return MentorProfileFactory(
        user__email="mentor2@example.org", user__full_name="Omar Ali", specialty="Pediatrics"
    )


@pytest.fixture
def learner(db: None) -> Any:
    return LearnerProfileFactory(user__email="learner@example.org", user__full_name="Amina Hassan", age=20)


@pytest.fixture
def other_learner(db: None) -> Any:
    return LearnerProfileFactory(user__email="learner2@example.org", user__full_name="Diego Flores", age=22)


@pytest.fixture
def guardian_link(db: None) -> Any:
    return GuardianLinkFactory(
        guardian__email="parent@example.org",
        guardian__full_name="Lan Tran",
        learner__user__email="minor@example.org",
        learner__user__full_name="Minh Tran",
    )


@pytest.fixture
def minor_learner(guardian_link: Any) -> Any:
    return guardian_link.learner


@pytest.fixture
def guardian(guardian_link: Any) -> Any:
    return guardian_link.guardian


@pytest.fixture
def reviewer(db: None) -> Any:
    profile = ReviewerProfileFactory(user__email="reviewer@example.org")
    add_totp(profile.user)
    return profile


@pytest.fixture
def conflicted_reviewer(db: None) -> Any:
    profile = ReviewerProfileFactory(user__email="reviewer2@example.org")
    add_totp(profile.user)
    return profile
