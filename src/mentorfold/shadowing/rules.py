"""Who may see and change slots, bookings and certificates."""

from __future__ import annotations

from typing import Any

import rules

from mentorfold.accounts.models import GuardianLink
from mentorfold.accounts.rules import is_coordinator


@rules.predicate
def is_slot_mentor(user: Any, obj: Any) -> bool:
    slot = getattr(obj, "slot", obj)
    return slot is not None and user.is_authenticated and slot.mentor.user_id == user.pk


@rules.predicate
def is_booking_learner(user: Any, booking: Any) -> bool:
    return booking is not None and user.is_authenticated and booking.learner.user_id == user.pk


@rules.predicate
def is_booking_guardian(user: Any, booking: Any) -> bool:
    if booking is None or not user.is_authenticated:
        return False
    return GuardianLink.objects.filter(
        guardian=user, learner_id=booking.learner_id, status=GuardianLink.Status.VERIFIED
    ).exists()


@rules.predicate
def is_certificate_owner(user: Any, certificate: Any) -> bool:
    return certificate is not None and user.is_authenticated and certificate.learner.user_id == user.pk


rules.add_perm(
    "shadowing.view_booking", is_coordinator | is_slot_mentor | is_booking_learner | is_booking_guardian
)
rules.add_perm("shadowing.cancel_booking", is_coordinator | is_slot_mentor | is_booking_learner)
rules.add_perm("shadowing.check_in_booking", is_booking_learner)
rules.add_perm("shadowing.verify_booking", is_coordinator | is_slot_mentor)
rules.add_perm("shadowing.correct_booking", is_coordinator)
rules.add_perm("shadowing.change_slot", is_coordinator | is_slot_mentor)
rules.add_perm("shadowing.view_certificate", is_coordinator | is_certificate_owner)
rules.add_perm("shadowing.revoke_certificate", is_coordinator)
