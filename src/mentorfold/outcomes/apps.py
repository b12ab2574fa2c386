from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "mentorfold.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from mentorfold.core.registry import NavItem, register_nav, register_panels
        from mentorfold.programs import hooks

        from .dashboard import panels
        from .services import survey_invite_on_acceptance

        register_panels(panels)
        if survey_invite_on_acceptance not in hooks.enrollment_accepted_handlers:
            hooks.enrollment_accepted_handlers.append(survey_invite_on_acceptance)
        register_nav(
            NavItem(
                label=_("Outcomes"),
                url_name="outcomes:home",
                order=70,
                visible=lambda user: user.has_role("coordinator"),
            )
        )
