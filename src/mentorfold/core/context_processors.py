from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .registry import nav_for
from .society import current_society


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": "Mentorfold",
        "SITE_URL": settings.SITE_URL,
        "society": current_society(),
        "nav_items": nav_for(user) if user is not None else [],
    }
