from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "mentorfold.accounts"
    label = "accounts"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from mentorfold.core import registry

        from . import dashboard, mfa
        from .models import Role

        authenticator_added.connect(mfa.record_enrollment_as_mfa, dispatch_uid="accounts.mfa.enrollment")
        registry.register_panels(dashboard.panels)
        is_coordinator = lambda user: user.has_role(Role.COORDINATOR)  # noqa: E731
        registry.register_nav(
            registry.NavItem(label=_("People"), url_name="people", order=15, visible=is_coordinator)
        )
        registry.register_nav(
            registry.NavItem(
                label=_("Mentors"), url_name="workspace_mentors", order=16, visible=is_coordinator
            )
        )
