"""``{{ event.action|action_label }}``: the activity list shows what happened in words, not a code."""

from __future__ import annotations

from django import template

from mentorfold.core.audit import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)
