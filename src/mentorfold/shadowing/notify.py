"""Tell the people around a booking what happened: one e-mail each (guardians too, for minors) and a notice.

Each person gets their own message (core.mail never puts several addresses on one message), so a mentor never
receives a minor's or a guardian's e-mail address. Nothing leaves before the surrounding transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
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


def booking_recipients(booking: Booking) -> list[Any]:
    """Mentor, learner and (for minors) verified guardians, each once."""
    people = [booking.slot.mentor.user, booking.learner.user, *guardian_users(booking)]
    return list({person.pk: person for person in people}.values())


def booking_notify(
    *, booking: Booking, event: str, text: str | Callable[[], str], extra: dict[str, Any] | None = None
) -> int:
    """After commit: the ``event`` e-mail to each person around the booking, one message each, and a notice.

    ``text`` may be a callable so each e-mail says it in its recipient's language (core.mail calls it there).
    """
    render = text if callable(text) else (lambda: text)
    slot = booking.slot
    people = booking_recipients(booking)
    url = reverse("shadowing:booking_detail", args=[booking.pk])
    context = {
        "booking": booking,
        "slot": slot,
        "event": event,
        "text": render,
        "url": f"{settings.SITE_URL}{url}",
        **(extra or {}),
    }
    recipients = [p.email for p in people]

    def send() -> None:
        notices_send(users=people, text=render(), url=url)
        send_templated_mail(
            to=recipients,
            subject=lambda: render()[:120],
            template="shadowing/email/booking_event.txt",
            context=context,
        )

    # Mail and notices only if the booking change is committed (a refused or rolled-back change sends nothing).
    transaction.on_commit(send)
    return len(recipients)
