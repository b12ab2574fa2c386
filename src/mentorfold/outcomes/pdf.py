"""The annual outcomes report as a PDF (reportlab): every chart's suppressed table plus the method notes."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mentorfold.core.dates import format_date

from .selectors import Chart


def _method_notes() -> list[str]:
    return [
        _("Shares come with 95% Wilson score intervals."),
        _("Changes in learners compare the same people before and after the term (paired)."),
        _(
            "Any group of fewer than 10 people is hidden, and so is any other cell that would let a reader work a "
            "hidden one out from a published total."
        ),
        _(
            "Answers come from surveys people chose to answer; those who answered may differ from those who did not."
        ),
    ]


def annual_report_pdf(*, charts: list[Chart], society: str) -> bytes:
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pageCompression=0,
        pagesize=letter,
        title=_("Annual outcomes report"),
        leftMargin=0.7 * inch,
        rightMargin=0.7 * inch,
    )
    story: list[Any] = [
        Paragraph(_("Annual outcomes report"), styles["Title"]),
        Paragraph(
            _("%(society)s, produced on %(date)s")
            % {"society": society, "date": format_date(timezone.localdate())},
            styles["Normal"],
        ),
        Spacer(1, 10),
    ]
    for chart in charts:
        story.append(Paragraph(chart.title, styles["Heading2"]))
        story.append(Paragraph(chart.description, styles["BodyText"]))
        if chart.reference is not None:
            story.append(
                Paragraph(
                    _("Comparison: %(label)s (%(year)s): %(value)s%%. Source: %(citation)s")
                    % {
                        "label": chart.reference.label,
                        "year": chart.reference.year,
                        "value": round(chart.reference.value * 100, 1),
                        "citation": chart.reference.citation,
                    },
                    styles["BodyText"],
                )
            )
        data = [[Paragraph(str(c), styles["BodyText"]) for c in chart.headings]]
        data += [[Paragraph(str(c), styles["BodyText"]) for c in row] for row in chart.rows[:60]]
        if len(data) == 1:
            data.append([_("No data yet.")] + [""] * (len(chart.columns) - 1))
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [Spacer(1, 4), table]
        story += [Paragraph(note, styles["Italic"]) for note in chart.notes]
        story.append(Spacer(1, 10))
    story.append(Paragraph(_("How these numbers were made"), styles["Heading2"]))
    story += [Paragraph(note, styles["BodyText"]) for note in _method_notes()]
    doc.build(story)
    return buffer.getvalue()


def recognition_pdf(*, statement: Any, verify_url: str, society: str) -> bytes:
    """A mentor's yearly recognition statement, with the code anyone can check online."""
    totals = statement.totals
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pageCompression=0, pagesize=letter, title=_("Mentor recognition statement")
    )
    rows = [
        [_("Verified shadowing hours hosted"), str(totals.get("hours", 0))],
        [_("Shadowing sessions"), str(totals.get("sessions", 0))],
        [_("Learners hosted"), str(totals.get("learners", 0))],
        [_("Mentorships"), str(totals.get("mentorships", 0))],
    ]
    table = Table(rows)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    story = [
        Paragraph(_("Mentor recognition statement %(year)s") % {"year": statement.year}, styles["Title"]),
        Paragraph(totals.get("mentor_name", ""), styles["Heading2"]),
        Paragraph(
            _("%(society)s thanks this physician for mentoring future doctors in %(year)s.")
            % {"society": society, "year": statement.year},
            styles["BodyText"],
        ),
        Spacer(1, 8),
        table,
        Spacer(1, 10),
        Paragraph(
            _("Issued on %(date)s.") % {"date": format_date(timezone.localtime(statement.issued_at).date())},
            styles["BodyText"],
        ),
        Paragraph(
            _("Check this statement: %(url)s (code %(code)s)") % {"url": verify_url, "code": statement.code},
            styles["BodyText"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
