from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "mentorfold.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from mentorfold.core.registry import NavItem, register_nav, register_panels

        from . import dashboard

        register_panels(dashboard.panels)
        register_nav(
            NavItem(
                label=_("Messages"),
                url_name="messaging:home",
                order=25,
                visible=lambda user: bool(user.role_names & {"learner", "mentor", "guardian", "coordinator"}),
            )
        )
