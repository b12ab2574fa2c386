"""Send plain-text e-mail rendered from templates (one place, so every notice looks the same).

Every message has exactly one recipient: people copied on the same event (a mentor, a minor and the minor's
guardian) never see one another's addresses in the headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string


def send_templated_mail(*, to: Iterable[str], subject: str, template: str, context: dict[str, Any]) -> int:
    """Render ``template`` once and send one separate message to each address; returns messages sent."""
    recipients = sorted({address.strip() for address in to if address and address.strip()})
    if not recipients:
        return 0
    body = render_to_string(template, {"SITE_URL": settings.SITE_URL, **context})
    messages = [
        EmailMessage(
            subject=f"[Mentorfold] {subject}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        for address in recipients
    ]
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
