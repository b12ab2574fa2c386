"""Send plain-text e-mail rendered from templates (one place, so every notice looks the same)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_templated_mail(*, to: Iterable[str], subject: str, template: str, context: dict[str, Any]) -> int:
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    body = render_to_string(template, {"SITE_URL": settings.SITE_URL, **context})
    return send_mail(f"[Mentorfold] {subject}", body, settings.DEFAULT_FROM_EMAIL, recipients)
