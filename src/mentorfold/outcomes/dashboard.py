"""Dashboard panels: your open surveys (everyone) and the learner's yearly "where are you now" reminder."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from mentorfold.accounts.models import Role
from mentorfold.core.registry import Panel

from .models import SurveyInvitation


def panels(request: HttpRequest) -> list[Panel]:
    user = request.user
    if not user.is_authenticated:
        return []
    open_surveys = list(
        SurveyInvitation.objects.filter(
            user=user, completed_at__isnull=True, schedule__opens_on__lte=timezone.localdate()
        )
        .select_related("schedule__term__program")
        .order_by("due_on")[:5]
    )
    is_learner = user.has_role(Role.LEARNER) and hasattr(user, "learner_profile")
    is_mentor = user.has_role(Role.MENTOR) and hasattr(user, "mentor_profile")
    if not open_surveys and not is_learner and not is_mentor:
        return []
    context = {"surveys": open_surveys, "is_learner": is_learner, "is_mentor": is_mentor}
    return [Panel("outcomes/panel.html", context, order=60)]
