"""Cycle state shared by every grant write: a frozen decision makes the whole cycle read-only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import GrantCycle


def refuse_if_frozen(cycle: GrantCycle) -> None:
    if cycle.is_frozen:
        raise ValidationError(_("This cycle's decision is frozen: nothing in it can change any more."))
