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

DATE_FORMAT = "j F Y"  # 3 March 2026 (month names follow the reader's language)
DATETIME_FORMAT = "l j F Y, H:i"  # Tuesday 3 March 2026, 19:00
TIME_FORMAT = "H:i"


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
    return formats.date_format(day, DATE_FORMAT) if day else ""


def format_datetime(value: datetime | None) -> str:
    """``Tuesday 3 March 2026, 19:00`` in the society's time zone (empty for a missing value)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value, society_zone()) if timezone.is_aware(value) else value
    return formats.date_format(local, DATETIME_FORMAT)


def format_time(value: datetime | None) -> str:
    """``19:00`` in the society's time zone (empty for a missing value)."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value, society_zone()) if timezone.is_aware(value) else value
    return formats.time_format(local, TIME_FORMAT)
