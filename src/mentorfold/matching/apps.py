from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "mentorfold.matching"
    label = "matching"

    def ready(self) -> None:
        from mentorfold.core.registry import NavItem, register_nav, register_panels
        from mentorfold.core.tracking import register_recovery

        from .dashboard import panels
        from .running import match_runs_recover

        register_panels(panels)
        register_recovery(match_runs_recover)
        register_nav(
            NavItem(
                label=_("Matching"),
                url_name="matching:home",
                order=20,
                visible=lambda user: bool(user.role_names & {"learner", "mentor", "coordinator"}),
            )
        )
