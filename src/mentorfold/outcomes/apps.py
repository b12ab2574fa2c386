from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "mentorfold.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from mentorfold.core.registry import NavItem, register_nav, register_panels

        from .dashboard import panels

        register_panels(panels)
        register_nav(
            NavItem(
                label=_("Outcomes"),
                url_name="outcomes:home",
                order=70,
                visible=lambda user: user.has_role("coordinator"),
            )
        )
