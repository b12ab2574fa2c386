"""Award and decline letters: placeholder-only templates rendered to text, and a PDF with reportlab."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter as letter_size
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

# A bare engine: no loaders, no libraries beyond the built-ins, autoescape off (the output is plain text).
_ENGINE = Engine(autoescape=False, libraries={}, builtins=[])

DEFAULT_TEMPLATES = {
    "award": (
        "Your {{ cycle }} grant",
        "Dear {{ name }},\n\nCongratulations! The committee awards you {{ amount }} from the {{ cycle }}.\n\n"
        "Why: {{ reason }}.\n\nYour application code is {{ code }}. The decision record and its lottery seed "
        "({{ seed }}) are published so anyone can check the draw.\n\nWith warm regards,\nThe grants committee\n"
        "{{ date }}",
    ),
    "decline": (
        "Your {{ cycle }} application",
        "Dear {{ name }},\n\nThank you for applying to the {{ cycle }}. We received many strong applications "
        "and could not fund yours this year.\n\nWhy: {{ reason }}.\n\nYour application code is {{ code }}. "
        "Please apply again next year.\n\nWith warm regards,\nThe grants committee\n{{ date }}",
    ),
}


def render_text(source: str, values: dict[str, str]) -> str:
    """Render ``{{ placeholder }}`` text with plain-string values only (no tags, no attribute access)."""
    if "{%" in source or "{#" in source:
        raise ValidationError(_("Letter: only placeholders like {{ name }} are allowed."))
    safe = {k: str(v) for k, v in values.items()}
    return _ENGINE.from_string(source).render(Context(safe, autoescape=False))


def pdf_bytes(*, subject: str, body: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=letter_size, title=subject, author="Mentorfold")
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(_escape(subject), styles["Title"]), Spacer(1, 12)]
    for para in body.split("\n\n"):
        story.append(Paragraph(_escape(para).replace("\n", "<br/>"), styles["BodyText"]))
        story.append(Spacer(1, 8))
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
