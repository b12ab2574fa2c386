"""``{% learner_safety_actions learner %}``: the coordinator's guardian and date-of-birth forms for a learner."""

from __future__ import annotations

from typing import Any

from django import template

from mentorfold.accounts.forms import BirthDateCorrectionForm, GuardianConfirmForm
from mentorfold.accounts.models import GuardianLink, Role

register = template.Library()


@register.inclusion_tag("accounts/_learner_safety_actions.html", takes_context=True)
def learner_safety_actions(context: Any, learner: Any) -> dict[str, Any]:
    user = context["request"].user
    if not user.has_role(Role.COORDINATOR):
        return {"show": False}
    links = context.get("guardian_links")
    if links is None:
        links = learner.guardian_links.all()
    # One form per waiting link; ids differ so labels stay tied to their own inputs.
    waiting = [
        (link, GuardianConfirmForm(auto_id=f"link{link.pk}_%s"))
        for link in links
        if link.status == GuardianLink.Status.ACCEPTED
    ]
    return {
        "show": True,
        "learner": learner,
        "waiting": waiting,
        "birth_date_form": BirthDateCorrectionForm(initial={"date_of_birth": learner.date_of_birth}),
        "csrf_token": context.get("csrf_token"),
    }
