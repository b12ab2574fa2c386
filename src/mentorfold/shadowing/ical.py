"""iCalendar (RFC 5545) for bookings: a private feed per person and a single-event download."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Booking


def _event(booking: Booking) -> Event:
    slot = booking.slot
    event = Event()
    event.add("uid", f"booking-{booking.pk}@mentorfold")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add(
        "summary", f"Shadowing: {slot.mentor} ({slot.mentor.specialty}) — {booking.learner.user.full_name}"
    )
    event.add(
        "location", ", ".join(part for part in [slot.site.name, slot.site.address, slot.site.city] if part)
    )
    event.add("description", slot.notes or "")
    event.add("url", f"{settings.SITE_URL}{reverse('shadowing:booking_detail', args=[booking.pk])}")
    event.add("status", "CONFIRMED")
    return event


def calendar_bytes(bookings: Iterable[Booking], name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Mentorfold//Shadowing//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for booking in bookings:
        cal.add_component(_event(booking))
    return cal.to_ical()
