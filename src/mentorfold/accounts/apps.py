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

        authenticator_added.connect(mfa.record_enrollment_as_mfa, dispatch_uid="accounts.mfa.enrollment")
        registry.register_panels(dashboard.panels)
