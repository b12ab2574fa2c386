"""Award and decline letters: placeholder-only templates rendered to text, and a PDF with reportlab."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.pagesizes import letter as letter_size
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from .models import LetterTemplate

# The only words a letter may ask for, written {name}. Typed text never reaches a template engine.
PLACEHOLDERS = LetterTemplate.PLACEHOLDERS
_TOKEN = re.compile(r"\{\{.*?\}\}|\{([^{}\n]*)\}|[{}]")

DEFAULT_TEMPLATES = {
    "award": (
        "Your {cycle} grant",
        "Dear {name},\n\nCongratulations! The committee awards you {amount} from the {cycle}.\n\n"
        "Why: {reason}.\n\nYour application code is {code}. The decision record and its lottery seed "
        "({seed}) are published so anyone can check the draw.\n\nWith warm regards,\nThe grants committee\n"
        "{date}",
    ),
    "decline": (
        "Your {cycle} application",
        "Dear {name},\n\nThank you for applying to the {cycle}. We received many strong applications "
        "and could not fund yours this year.\n\nWhy: {reason}.\n\nYour application code is {code}. "
        "Please apply again next year.\n\nWith warm regards,\nThe grants committee\n{date}",
    ),
}


def unknown_placeholders(source: str) -> list[str]:
    """Every brace fragment in ``source`` that is not one of ``PLACEHOLDERS``, in order, without repeats."""
    bad: list[str] = []
    for match in _TOKEN.finditer(source):
        name = match.group(1)
        if name is not None and name.strip() in PLACEHOLDERS:
            continue
        if match.group(0) not in bad:
            bad.append(match.group(0))
    return bad


def placeholder_error(label: str, source: str) -> str | None:
    """A message naming the field, the unknown placeholders and the fix; None when the text is fine."""
    bad = unknown_placeholders(source)
    if not bad:
        return None
    return _("%(field)s: %(bad)s is not one of the placeholders we know. Use only %(allowed)s.") % {
        "field": label,
        "bad": ", ".join(bad),
        "allowed": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS),
    }


def check_text(label: str, source: str) -> None:
    message = placeholder_error(label, source)
    if message:
        raise ValidationError(message)


def render_text(source: str, values: dict[str, str]) -> str:
    """Replace each ``{placeholder}`` by its value in one pass (values are never read again as a template)."""
    check_text(_("Letter"), source)

    def value(match: re.Match[str]) -> str:
        return str(values.get((match.group(1) or "").strip(), ""))

    return _TOKEN.sub(value, source)


SUBJECT_LABEL = gettext_lazy("Subject")
BODY_LABEL = gettext_lazy("Letter text")


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
