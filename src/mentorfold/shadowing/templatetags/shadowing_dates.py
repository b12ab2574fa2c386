"""Template filters for the one date format (core.dates): ``{% load shadowing_dates %}`` then ``|day``, ``|when``, ``|clock``."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from mentorfold.core import dates

register = template.Library()


@register.filter
def day(value: date | datetime | str | None) -> str:
    """``3 March 2026`` in the society's time zone."""
    return dates.format_date(value)


@register.filter
def when(value: datetime | None) -> str:
    """``Tuesday 3 March 2026, 19:00`` in the society's time zone."""
    return dates.format_datetime(value)


@register.filter
def clock(value: datetime | None) -> str:
    """``19:00`` in the society's time zone."""
    return dates.format_time(value)
