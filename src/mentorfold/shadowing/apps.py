from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShadowingConfig(AppConfig):
    name = "mentorfold.shadowing"
    label = "shadowing"
    verbose_name = _("Shadowing")

    def ready(self) -> None:
        from mentorfold.accounts.rules import is_coordinator, is_learner, is_mentor
        from mentorfold.core.registry import NavItem, register_nav, register_panels
        from mentorfold.programs import hooks

        from . import dashboard, services

        if services.cancel_future_bookings_on_consent_revoked not in hooks.consent_revoked_handlers:
            hooks.consent_revoked_handlers.append(services.cancel_future_bookings_on_consent_revoked)
        register_panels(dashboard.panels)
        register_nav(
            NavItem(
                label=_("Shadowing"),
                url_name="shadowing:home",
                order=30,
                visible=lambda user: bool(is_learner(user) or is_mentor(user) or is_coordinator(user)),
            )
        )
