"""Tell the people around a booking what happened: e-mail (guardians copied for minors) and an in-app notice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts.models import GuardianLink
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.notices import notices_send

from .models import Booking


def guardian_users(booking: Booking, on: Any = None) -> list[Any]:
    """Verified guardians of the booking's learner, when the learner is a minor on the day of the slot."""
    day = on or timezone.localdate(booking.slot.starts_at)
    if booking.learner.age_on(day) >= 18:
        return []
    links = GuardianLink.objects.filter(
        learner=booking.learner, status=GuardianLink.Status.VERIFIED, guardian__isnull=False
    ).select_related("guardian")
    return [link.guardian for link in links]


def booking_notify(*, booking: Booking, event: str, text: str, extra: dict[str, Any] | None = None) -> int:
    """Send the ``event`` e-mail to mentor, learner and (for minors) guardians and add a notice for each."""
    slot = booking.slot
    people = [slot.mentor.user, booking.learner.user, *guardian_users(booking)]
    url = reverse("shadowing:booking_detail", args=[booking.pk])
    notices_send(users=people, text=text, url=url)
    context = {
        "booking": booking,
        "slot": slot,
        "event": event,
        "text": text,
        "url": f"{settings.SITE_URL}{url}",
        **(extra or {}),
    }
    recipients = [p.email for p in people]
    # Mail leaves only if the booking change is committed (a refused or rolled-back change sends nothing).
    transaction.on_commit(
        lambda: send_templated_mail(
            to=recipients, subject=text[:120], template="shadowing/email/booking_event.txt", context=context
        )
    )
    return len(recipients)
