"""django-axes needs the login name; allauth passes it as ``email`` (or ``username``), forms as ``login``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username_from_credentials(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login")
    return value.strip().lower() if isinstance(value, str) else value
