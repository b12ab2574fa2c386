from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "mentorfold.learning"
    label = "learning"
    verbose_name = _("Learning")

    def ready(self) -> None:
        from mentorfold.core.registry import NavItem, register_nav, register_panels

        from . import dashboard

        register_panels(dashboard.panels)
        register_nav(
            NavItem(
                label=_("Learning"),
                url_name="learning:home",
                order=35,
                visible=lambda user: bool(user.role_names & {"learner", "mentor", "coordinator"}),
            )
        )
