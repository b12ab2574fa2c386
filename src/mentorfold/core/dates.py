"""One date format for pages, PDFs and e-mails, always in the society's time zone (settings.TIME_ZONE).

Dates on a certificate, on the public /verify/ page and in a reminder e-mail must agree: a session at 7 pm in
Seattle is on the 3rd there even though it is the 4th in UTC. So every aware datetime is first converted with
``timezone.localtime`` into the society's zone (never the server's or the viewer's), then formatted.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import get_language

# English: the society's own style. Other languages: that language's DATE_FORMAT etc. (Django's format modules,
# mentorfold/formats/ for Somali), so a Chinese reader sees 2026年3月3日 and a Russian one 3 марта 2026 г.
DATE_FORMAT = "j F Y"  # 3 March 2026 (month names follow the reader's language)
DATETIME_FORMAT = "l j F Y, H:i"  # Tuesday 3 March 2026, 19:00
TIME_FORMAT = "H:i"


def _format(english: str, name: str) -> str:
    return english if (get_language() or "en").startswith("en") else name


def society_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(value: date | datetime | str | None) -> date | None:
    """The calendar day of ``value`` in the society's time zone (an ISO string or a plain date as is)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            return value.date()
        return timezone.localtime(value, society_zone()).date()
    return value


def format_date(value: date | datetime | str | None) -> str:
    """``3 March 2026``; an aware datetime is taken on its day in the society's time zone."""
    day = local_date(value)
    return formats.date_format(day, _format(DATE_FORMAT, "DATE_FORMAT")) if day else ""


def format_datetime(value: datetime | None) -> str:
    """``Tuesday 3 March 2026, 19:00`` in the society's time zone (empty for a missing value)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value, society_zone()) if timezone.is_aware(value) else value
    return formats.date_format(local, _format(DATETIME_FORMAT, "DATETIME_FORMAT"))


def format_time(value: datetime | None) -> str:
    """``19:00`` in the society's time zone (empty for a missing value)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value, society_zone()) if timezone.is_aware(value) else value
    return formats.time_format(local, _format(TIME_FORMAT, "TIME_FORMAT"))
