"""The dashboard panel every role shares: new notices."""

from __future__ import annotations

from django.http import HttpRequest

from .notices import unread_notices
from .registry import Panel


def panels(request: HttpRequest) -> list[Panel]:
    if not request.user.is_authenticated:
        return []
    notices = unread_notices(user=request.user)
    return [Panel("core/panel_notices.html", {"notices": notices}, order=5)] if notices else []
