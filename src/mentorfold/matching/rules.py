"""Who may see and change what in matching (django-rules predicates)."""

from __future__ import annotations

from typing import Any

import rules

from mentorfold.accounts.rules import is_coordinator, is_guardian, is_learner, is_mentor

from .models import Mentorship


@rules.predicate
def is_mentorship_mentor(user: Any, mentorship: Mentorship | None) -> bool:
    return mentorship is not None and mentorship.mentor.user_id == user.pk


@rules.predicate
def is_mentorship_learner(user: Any, mentorship: Mentorship | None) -> bool:
    return mentorship is not None and mentorship.learner.user_id == user.pk


@rules.predicate
def is_guardian_of_mentorship_learner(user: Any, mentorship: Mentorship | None) -> bool:
    from mentorfold.accounts.models import GuardianLink

    if mentorship is None or not user.is_authenticated:
        return False
    return GuardianLink.objects.filter(
        guardian=user, learner_id=mentorship.learner_id, status=GuardianLink.Status.VERIFIED
    ).exists()


rules.add_perm("matching.manage", is_coordinator)
rules.add_perm("matching.rank_mentors", is_learner)
rules.add_perm("matching.answer_requests", is_mentor)
rules.add_perm(
    "matching.view_mentorship",
    is_coordinator
    | is_mentorship_mentor
    | is_mentorship_learner
    | (is_guardian & is_guardian_of_mentorship_learner),
)
rules.add_perm("matching.decline_mentorship", is_mentorship_mentor)
rules.add_perm("matching.update_mentorship", is_coordinator | is_mentorship_mentor)
rules.add_perm("matching.set_goals", is_coordinator | is_mentorship_mentor | is_mentorship_learner)
