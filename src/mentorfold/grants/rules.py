"""Object permissions for grants: applicant of, assigned reviewer without conflict, coordinator."""

from __future__ import annotations

from typing import Any

import rules

from mentorfold.accounts.rules import is_coordinator, is_reviewer

from .models import Application, Assignment, Conflict


@rules.predicate
def is_applicant_of(user: Any, application: Application | None) -> bool:
    return application is not None and user.is_authenticated and application.applicant.user_id == user.pk


@rules.predicate
def is_assigned_reviewer(user: Any, application: Application | None) -> bool:
    """Assigned to review it, with no conflict (declared, detected or flagged) in the way."""
    if application is None or not user.is_authenticated:
        return False
    return (
        Assignment.objects.filter(application=application, reviewer=user).exists()
        and not Conflict.objects.filter(
            application=application, reviewer=user, status__in=Conflict.BLOCKING
        ).exists()
    )


@rules.predicate
def is_sighted_review(user: Any, application: Application | None) -> bool:
    return application is not None and not application.cycle.blind_review


rules.add_perm("grants.manage", is_coordinator)
rules.add_perm("grants.view_application", is_coordinator | is_applicant_of | is_assigned_reviewer)
rules.add_perm("grants.change_application", is_applicant_of)
rules.add_perm("grants.review_application", is_reviewer & is_assigned_reviewer)
rules.add_perm(
    "grants.view_attachment", is_coordinator | is_applicant_of | (is_assigned_reviewer & is_sighted_review)
)
