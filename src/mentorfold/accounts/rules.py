"""Object permissions as predicates (django-rules). Views call ``request.user.has_perm(name, obj)``."""

from __future__ import annotations

from typing import Any

import rules

from .models import GuardianLink, LearnerProfile, Role


@rules.predicate
def is_coordinator(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.COORDINATOR))


@rules.predicate
def is_mentor(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.MENTOR))


@rules.predicate
def is_learner(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.LEARNER))


@rules.predicate
def is_reviewer(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.REVIEWER))


@rules.predicate
def is_guardian(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.GUARDIAN))


@rules.predicate
def is_the_learner(user: Any, learner: LearnerProfile | None) -> bool:
    return learner is not None and learner.user_id == user.pk


@rules.predicate
def is_guardian_of(user: Any, learner: LearnerProfile | None) -> bool:
    if learner is None or not user.is_authenticated:
        return False
    return GuardianLink.objects.filter(
        guardian=user, learner=learner, status=GuardianLink.Status.VERIFIED
    ).exists()


rules.add_perm("accounts.view_learner", is_coordinator | is_the_learner | is_guardian_of)
rules.add_perm("accounts.change_learner", is_coordinator | is_the_learner)
rules.add_perm("accounts.manage_people", is_coordinator)
rules.add_perm("accounts.invite_guardian", is_the_learner)
