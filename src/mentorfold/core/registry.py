"""Apps plug their dashboard panels and navigation links in here from ``AppConfig.ready()``.

This keeps the dashboard and the menu free of imports from every app:
    registry.register_panels(my_app.dashboard.panels)
    registry.register_nav(NavItem(label=_("Grants"), url_name="grants:home", order=40, visible=is_learner))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class Panel:
    """One section of a role's dashboard: a template rendered with its own context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    order: int = 50
    visible: Callable[[Any], bool] = lambda user: True


_panel_providers: list[Callable[[HttpRequest], list[Panel]]] = []
_nav_items: list[NavItem] = []


def register_panels(provider: Callable[[HttpRequest], list[Panel]]) -> None:
    if provider not in _panel_providers:
        _panel_providers.append(provider)


def register_nav(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _nav_items):
        _nav_items.append(item)


def panels_for(request: HttpRequest) -> list[Panel]:
    collected = [panel for provider in _panel_providers for panel in provider(request)]
    return sorted(collected, key=lambda p: p.order)


def nav_for(user: Any) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    items = sorted((i for i in _nav_items if i.visible(user)), key=lambda i: i.order)
    return [{"label": str(i.label), "url": reverse(i.url_name), "url_name": i.url_name} for i in items]
