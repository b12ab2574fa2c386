from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "mentorfold.programs"
    label = "programs"
    verbose_name = _("Programs and compliance")

    def ready(self) -> None:
        from mentorfold.accounts.models import Role
        from mentorfold.core.registry import NavItem, register_nav, register_panels
        from mentorfold.core.tracking import register_recovery

        from .dashboard import panels
        from .importing import import_batches_recover

        register_panels(panels)
        register_recovery(import_batches_recover)
        register_nav(
            NavItem(
                label=_("Programs"),
                url_name="programs:manage",
                order=20,
                visible=lambda user: user.has_role(Role.COORDINATOR),
            )
        )
        register_nav(
            NavItem(
                label=_("Requirements"),
                url_name="programs:my_requirements",
                order=20,
                visible=lambda user: user.has_role(Role.LEARNER) or user.has_role(Role.MENTOR),
            )
        )
