"""The hours certificate as a one-page PDF (reportlab), drawn from the certificate's frozen totals."""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mentorfold.core.dates import format_date

from .models import HoursCertificate
from .selectors import hours


def verify_url(certificate: HoursCertificate) -> str:
    """The public check page: ``/verify/<code>/`` once the root URLconf names it, else the app's own."""
    try:
        path = reverse("certificate_verify", args=[certificate.code])
    except NoReverseMatch:
        path = reverse("shadowing:verify", args=[certificate.code])
    return f"{settings.SITE_URL}{path}"


def certificate_pdf(certificate: HoursCertificate) -> bytes:
    totals = certificate.totals
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pageCompression=0,
        pagesize=letter,
        title=_("Shadowing hours certificate"),
        leftMargin=0.8 * inch,
        rightMargin=0.8 * inch,
    )
    story = [
        Paragraph(_("Certificate of verified shadowing hours"), styles["Title"]),
        Paragraph(totals.get("learner_name", ""), styles["Heading2"]),
        Paragraph(
            _("Total verified hours: %(hours)s") % {"hours": hours(totals["total_minutes"])},
            styles["Heading3"],
        ),
        Spacer(1, 8),
    ]
    data = [[_("Mentor"), _("Specialty"), _("Site"), _("Sessions"), _("Hours"), _("Dates")]]
    for row in totals["rows"]:
        data.append(
            [
                Paragraph(row["mentor"], styles["BodyText"]),
                Paragraph(row["specialty"], styles["BodyText"]),
                Paragraph(row["site"], styles["BodyText"]),
                str(row["sessions"]),
                hours(row["minutes"]),
                Paragraph(f"{format_date(row['first'])} – {format_date(row['last'])}", styles["BodyText"]),
            ]
        )
    table = Table(
        data,
        colWidths=[1.4 * inch, 1.1 * inch, 1.5 * inch, 0.65 * inch, 0.55 * inch, 1.7 * inch],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 10))
    specialty_lines = ", ".join(f"{name}: {hours(m)} h" for name, m in totals.get("by_specialty", {}).items())
    story.append(Paragraph(_("By specialty: %(lines)s") % {"lines": specialty_lines}, styles["BodyText"]))
    story.append(Spacer(1, 14))
    # The society's calendar day, as on /verify/ and the hours page (never the UTC day of ``issued_at``).
    issued = format_date(certificate.issued_at or timezone.now())
    story.append(
        Paragraph(
            _("Issued on %(day)s. Only hours verified by the supervising physician are counted.")
            % {"day": issued},
            styles["BodyText"],
        )
    )
    story.append(Paragraph(_("Verification code: %(code)s") % {"code": certificate.code}, styles["Heading3"]))
    story.append(
        Paragraph(
            _("Check this certificate at %(url)s") % {"url": verify_url(certificate)}, styles["BodyText"]
        )
    )
    doc.build(story)
    return buffer.getvalue()
