"""Template filters for grants: ``{{ amount|money }}`` so every page shows money the same way."""

from __future__ import annotations

from django import template

from ..money import money as format_money

register = template.Library()


@register.filter
def money(amount: int | float | None) -> str:
    return format_money(amount)
