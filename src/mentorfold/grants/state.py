"""Cycle state shared by every grant write: a frozen decision makes the whole cycle read-only.

Every write to a cycle (reviews, conflicts, applications, swaps, letters, the assignment) starts by locking
the cycle row with :func:`lock_unfrozen_cycle`, and the decision freeze locks the same row: so a write either
lands before the freeze (and the freeze sees it) or runs after it and is refused. Lock order: the cycle row
first, then the rows of the write.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import GrantCycle


def refuse_if_frozen(cycle: GrantCycle) -> None:
    if cycle.is_frozen:
        raise ValidationError(_("This cycle's decision is frozen: nothing in it can change any more."))


def lock_cycle(cycle_pk: int) -> GrantCycle:
    """The cycle row, locked until the surrounding transaction ends (call inside ``transaction.atomic``)."""
    return GrantCycle.objects.select_for_update().get(pk=cycle_pk)


def lock_unfrozen_cycle(cycle_pk: int) -> GrantCycle:
    """Lock the cycle row and refuse if its decision is frozen (re-read under the lock, never from memory)."""
    cycle = lock_cycle(cycle_pk)
    refuse_if_frozen(cycle)
    return cycle
