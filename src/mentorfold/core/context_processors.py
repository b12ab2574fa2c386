from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .registry import nav_for


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": "Mentorfold",
        "SITE_URL": settings.SITE_URL,
        "nav_items": nav_for(user) if user is not None else [],
    }
