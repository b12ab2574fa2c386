from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "mentorfold.grants"
    label = "grants"
    verbose_name = _("Grants")

    def ready(self) -> None:
        from mentorfold.accounts.models import Role
        from mentorfold.core.registry import NavItem, register_nav, register_panels

        from .dashboard import panels

        register_panels(panels)
        register_nav(
            NavItem(
                label=_("Grants"),
                url_name="grants:home",
                order=45,
                visible=lambda u: u.has_role(Role.LEARNER),
            )
        )
        register_nav(
            NavItem(
                label=_("Reviews"),
                url_name="grants:review_list",
                order=46,
                visible=lambda u: u.has_role(Role.REVIEWER),
            )
        )
        register_nav(
            NavItem(
                label=_("Grant cycles"),
                url_name="grants:manage",
                order=47,
                visible=lambda u: u.has_role(Role.COORDINATOR),
            )
        )
