"""Clinic slots and bookings, through the shadowing services and rules the web pages use."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from mentorfold.accounts.models import GuardianLink, Role
from mentorfold.accounts.onboarding import visible_slot_mentor_q
from mentorfold.core.audit import audit
from mentorfold.shadowing import services as shadowing_services
from mentorfold.shadowing.models import Booking, Slot
from mentorfold.shadowing.selectors import bookable_slots_q

from .catalog import Pages
from .people import own_learner, own_mentor
from .schemas import BookingOut, CancelIn, Id, SlotOut, id_filter, responses

router = Router(tags=["shadowing"])


def audit_api_write(request: HttpRequest, action: str, target: Any, **data: Any) -> None:
    """Every API write leaves an audit row naming the channel (token prefix or browser session)."""
    token = getattr(request, "api_token", None)
    data["via"] = f"token:{token.prefix}" if token is not None else "session"
    audit(actor=request.user, action=action, target=target, data=data, request=request)


def _slots() -> QuerySet[Slot]:
    # A correlated count, not a JOIN + GROUP BY: a page of 50 then counts seats for 50 slots, not for all.
    taken = (
        Booking.objects.filter(slot=OuterRef("pk"), status__in=Booking.ACTIVE)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Slot.objects.select_related("mentor__user", "site").annotate(
        taken=Coalesce(Subquery(taken, output_field=IntegerField()), 0)
    )


@router.get("/slots", response=responses(list[SlotOut]), summary="Clinic slots I can book (or my own)")
@paginate(Pages)
def slot_list(request: HttpRequest, site: int | None = None, program: int | None = None) -> Any:
    """Learners: open slots they could book; mentors: their own upcoming slots; coordinators: all open."""
    id_filter(site, name="site")
    id_filter(program, name="program")
    user = request.user
    now = timezone.now()
    mentor = own_mentor(request)
    if user.has_role(Role.COORDINATOR):
        slots = _slots().filter(status=Slot.Status.OPEN, starts_at__gt=now)
    elif mentor is not None:
        slots = _slots().filter(mentor=mentor, starts_at__gt=now)
    elif user.has_role(Role.LEARNER):
        learner = own_learner(request)
        today = timezone.localdate(now)
        slots = (
            _slots()
            .filter(
                bookable_slots_q(learner=learner, today=today), status=Slot.Status.OPEN, starts_at__gt=now
            )
            .filter(visible_slot_mentor_q(learner=learner, on=today))
            .exclude(bookings__learner=learner, bookings__status=Booking.Status.BOOKED)
            .filter(Q(taken__lt=F("capacity")), Q(taken__lt=F("site__max_learners_at_once")))
        )
    else:
        raise PermissionDenied
    if site is not None:
        slots = slots.filter(site_id=site)
    if program is not None:
        slots = slots.filter(program_id=program)
    return slots.order_by("starts_at", "pk")


@router.post("/slots/{slot_id}/book", response=responses(BookingOut, 201), summary="Book a slot")
def slot_book(request: HttpRequest, slot_id: Id) -> Any:
    learner = own_learner(request)
    slot = get_object_or_404(Slot, pk=slot_id)
    with transaction.atomic():
        booking = shadowing_services.booking_create(learner=learner, slot=slot)
        audit_api_write(request, "api.booking_create", booking)
    return Status(201, _booking_get(booking.pk))


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related("slot__mentor__user", "slot__site", "learner__user")


def _booking_get(pk: int) -> Booking:
    return _bookings().get(pk=pk)


@router.get("/bookings", response=responses(list[BookingOut]), summary="Bookings I may see")
@paginate(Pages)
def booking_list(request: HttpRequest, status: str = "") -> Any:
    """Mine as learner, those in my slots as mentor, my children's as a confirmed guardian; all as coordinator."""
    user = request.user
    if user.has_role(Role.COORDINATOR):
        bookings = _bookings()
    else:
        if not (user.has_role(Role.LEARNER) or user.has_role(Role.MENTOR) or user.has_role(Role.GUARDIAN)):
            raise PermissionDenied
        # Ids first, so the database answers from the learner and slot indexes instead of scanning every join.
        learner_ids = list(
            GuardianLink.objects.filter(guardian=user, status=GuardianLink.Status.VERIFIED).values_list(
                "learner_id", flat=True
            )
        )
        own = getattr(user, "learner_profile", None)
        if own is not None:
            learner_ids.append(own.pk)
        mentor = getattr(user, "mentor_profile", None)
        condition = Q(learner_id__in=learner_ids)
        if mentor is not None:
            condition |= Q(slot_id__in=Slot.objects.filter(mentor=mentor).values("pk"))
        bookings = _bookings().filter(condition)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("-slot__starts_at", "-pk")


def _booking_for(request: HttpRequest, booking_id: int, perm: str) -> Booking:
    """404 for people who may not see it, 403 for those who see it but may not do ``perm`` (as on the web)."""
    booking = get_object_or_404(_bookings().select_related("slot__program"), pk=booking_id)
    if not request.user.has_perm("shadowing.view_booking", booking):
        raise Http404
    if not request.user.has_perm(perm, booking):
        raise PermissionDenied
    return booking


@router.get("/bookings/{booking_id}", response=responses(BookingOut), summary="One booking")
def booking_detail(request: HttpRequest, booking_id: Id) -> Any:
    return _booking_for(request, booking_id, "shadowing.view_booking")


@router.post("/bookings/{booking_id}/cancel", response=responses(BookingOut), summary="Cancel a booking")
def booking_cancel(request: HttpRequest, booking_id: Id, payload: CancelIn) -> Any:
    booking = _booking_for(request, booking_id, "shadowing.cancel_booking")
    with transaction.atomic():
        shadowing_services.booking_cancel(booking=booking, actor=request.user, reason=payload.reason)
        audit_api_write(request, "api.booking_cancel", booking)
    return _booking_get(booking.pk)
