"""Shadowing pages. Thin: parse the request, call a service or selector, render."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from mentorfold.accounts.models import MentorProfile, Role
from mentorfold.core.forms import PageForm
from mentorfold.core.redirects import safe_next
from mentorfold.programs.models import Program, Site
from mentorfold.programs.text_translations import interface_status

from . import selectors, services
from .forms import (
    CalendarForm,
    CorrectTimesForm,
    FeedActionForm,
    MonthsForm,
    PatientFeedbackForm,
    ReasonForm,
    SlotForm,
    SlotsCancelForm,
    VerifyForm,
)
from .ical import calendar_bytes
from .models import Booking, CalendarFeedToken, HoursCertificate, PatientFeedback, Slot
from .pdf import certificate_pdf

RECENT_BOOKINGS_PER_PAGE = 20


def _next(request: HttpRequest, default: str) -> str:
    """A same-site ``next`` address from the form, else ``default`` (never an open redirect)."""
    return safe_next(request, default)


def _messages_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def _mentor(request: HttpRequest) -> MentorProfile:
    mentor = getattr(request.user, "mentor_profile", None)
    if mentor is None or not request.user.has_role(Role.MENTOR):
        raise PermissionDenied
    return mentor


def _learner(request: HttpRequest) -> Any:
    learner = getattr(request.user, "learner_profile", None)
    if learner is None or not request.user.has_role(Role.LEARNER):
        raise PermissionDenied
    return learner


def _booking(request: HttpRequest, pk: int, perm: str) -> Booking:
    """The booking, 404 for people who may not see it, 403 for those who see it but may not do ``perm``."""
    booking = get_object_or_404(
        Booking.objects.select_related("slot__mentor__user", "slot__site", "slot__program", "learner__user"),
        pk=pk,
    )
    if not request.user.has_perm("shadowing.view_booking", booking):
        raise Http404
    if not request.user.has_perm(perm, booking):
        raise PermissionDenied
    return booking


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.has_role(Role.MENTOR) and getattr(user, "mentor_profile", None) is not None:
        return redirect("shadowing:calendar")
    if user.has_role(Role.LEARNER) and getattr(user, "learner_profile", None) is not None:
        overview = selectors.learner_overview(learner=user.learner_profile)
        return render(request, "shadowing/learner_home.html", overview)
    if user.has_role(Role.COORDINATOR):
        form = PageForm(request.GET)
        if not form.is_valid():
            return HttpResponseBadRequest(_("Page: use a whole number from 1."))
        page = form.cleaned_data["page"] or 1
        # Twenty rows a page: each booking shown costs its own rendering, so the page stays as quick with
        # thousands of bookings as with a handful.
        recent, has_older = selectors.coordinator_recent_bookings(
            page=page, per_page=RECENT_BOOKINGS_PER_PAGE
        )
        certificates = selectors.coordinator_recent_certificates(limit=20)
        late = selectors.late_cancellation_counts(since=timezone.now() - timedelta(days=90))
        context = {
            "recent": recent,
            "page": page,
            "newer_page": page - 1 if page > 1 else None,
            "older_page": page + 1 if has_older else None,
            "certificates": certificates,
            "late": late,
        }
        return render(request, "shadowing/coordinator_home.html", context)
    raise PermissionDenied


# --- Mentor: calendar, slots, verification ---------------------------------------------------------------


@login_required
@require_GET
def calendar_view(request: HttpRequest) -> HttpResponse:
    mentor = _mentor(request)
    form = CalendarForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Use a view of week or month and a date such as 2026-12-01."))
    view = form.cleaned_data["view"] or "week"
    anchor = form.cleaned_data["date"] or timezone.localdate()
    weeks = selectors.mentor_calendar(mentor=mentor, view=view, anchor=anchor)
    step = timedelta(days=7) if view == "week" else timedelta(days=31)
    if view == "month":
        previous = (anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (anchor.replace(day=1) + step).replace(day=1)
    else:
        previous, following = anchor - step, anchor + step
    context = {
        "weeks": weeks,
        "view": view,
        "anchor": anchor,
        "previous": previous.isoformat(),
        "following": following.isoformat(),
        "summary": selectors.mentor_summary(mentor=mentor),
        "now": timezone.now(),
    }
    return render(request, "shadowing/calendar.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def slot_new(request: HttpRequest) -> HttpResponse:
    mentor = _mentor(request)
    sites = Site.objects.filter(is_active=True).filter(mentors=mentor)
    if not sites.exists():
        sites = Site.objects.filter(is_active=True)
    programs = selectors.mentor_programs(mentor=mentor)
    if not programs.exists():
        programs = Program.objects.all()  # the service then explains that a program must be joined first
    form = SlotForm(request.POST or None, sites=sites, programs=programs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.slot_create(
                mentor=mentor,
                site=data["site"],
                program=data["program"],
                starts_at=form.starts_at(),
                ends_at=form.ends_at(),
                capacity=data["capacity"],
                notes=data["notes"],
                repeat_weekly_until=data["repeat_weekly_until"],
                actor=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    target = {"starts_at": "start", "ends_at": "end"}.get(field, field)
                    form.add_error(target if target in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                ngettext("%(n)d slot published.", "%(n)d slots published.", len(created))
                % {"n": len(created)},
            )
            return redirect(f"{reverse('shadowing:calendar')}?date={form.cleaned_data['day'].isoformat()}")
    return render(request, "shadowing/slot_form.html", {"form": form})


@login_required
@require_POST
def slots_cancel(request: HttpRequest) -> HttpResponse:
    mentor = _mentor(request)
    form = SlotsCancelForm(request.POST, mentor=mentor)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_next(request, reverse("shadowing:calendar")))
    try:
        count = services.slots_cancel(
            slots=list(form.cleaned_data["slot"]), actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d slot cancelled. Learners were told.",
                "%(n)d slots cancelled. Learners were told.",
                count,
            )
            % {"n": count},
        )
    return redirect(_next(request, reverse("shadowing:calendar")))


@login_required
@require_GET
def slot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(selectors._slots_with_bookings(), pk=pk)
    user = request.user
    is_owner = user.has_perm("shadowing.change_slot", slot)
    if not (is_owner or user.has_role(Role.LEARNER)):
        raise Http404
    context: dict[str, Any] = {
        "slot": slot,
        "is_owner": is_owner,
        "seats_left": max(slot.seats - len(slot.active_bookings), 0),
    }
    if not is_owner:
        learner = _learner(request)
        context["problems"] = [
            str(m)
            for e in services.booking_eligibility_errors(learner=learner, slot=slot)
            for m in e.messages
        ]
        context["active_bookings"] = []
    return render(request, "shadowing/slot_detail.html", context)


@login_required
@require_POST
def slot_book(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _learner(request)
    slot = get_object_or_404(Slot, pk=pk)
    try:
        booking = services.booking_create(learner=learner, slot=slot)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
        return redirect("shadowing:slot_detail", pk=slot.pk)
    messages.success(request, _("Booked! We sent the details to your e-mail."))
    return redirect("shadowing:booking_detail", pk=booking.pk)


@login_required
@require_GET
def pending(request: HttpRequest) -> HttpResponse:
    mentor = _mentor(request)
    bookings = list(selectors.pending_verifications(mentor=mentor)[:100])
    return render(request, "shadowing/pending.html", {"bookings": bookings})


# --- Bookings --------------------------------------------------------------------------------------------


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.view_booking")
    user = request.user
    context = {
        "booking": booking,
        "slot": booking.slot,
        "now": timezone.now(),
        "can_cancel": user.has_perm("shadowing.cancel_booking", booking)
        and booking.status == Booking.Status.BOOKED,
        "can_check_in": user.has_perm("shadowing.check_in_booking", booking),
        "can_verify": user.has_perm("shadowing.verify_booking", booking),
        "can_correct": user.has_perm("shadowing.correct_booking", booking),
        "cancel_form": ReasonForm(),
        "verify_form": VerifyForm(
            initial={
                "minutes": booking.verified_minutes or booking.attended_minutes or booking.slot.minutes,
                "patients_consented": booking.patients_consented,
                "patients_declined": booking.patients_declined,
            }
        ),
        "correct_form": CorrectTimesForm(
            initial={"checked_in_at": booking.checked_in_at, "checked_out_at": booking.checked_out_at}
        ),
    }
    return render(request, "shadowing/booking_detail.html", context)


def _form_messages(request: HttpRequest, form: Any) -> None:
    """A form's errors as messages on the page the person is sent back to (each names its field)."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _run(request: HttpRequest, booking: Booking, action: Any, success: str, **kwargs: Any) -> HttpResponse:
    try:
        action(booking=booking, actor=request.user, **kwargs)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(_next(request, reverse("shadowing:booking_detail", args=[booking.pk])))


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.cancel_booking")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
        return redirect(_next(request, reverse("shadowing:booking_detail", args=[booking.pk])))
    return _run(
        request,
        booking,
        services.booking_cancel,
        _("The session is cancelled."),
        reason=form.cleaned_data["reason"],
    )


@login_required
@require_POST
def booking_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.check_in_booking")
    return _run(request, booking, services.booking_check_in, _("Checked in. Have a great session!"))


@login_required
@require_POST
def booking_check_out(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.check_in_booking")
    return _run(
        request,
        booking,
        services.booking_check_out,
        _("Checked out. Your mentor will now verify your hours."),
    )


@login_required
@require_POST
def booking_verify(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.verify_booking")
    form = VerifyForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request, f"{form.fields[field].label}: {error}" if field in form.fields else error
                )
        return redirect("shadowing:booking_detail", pk=booking.pk)
    data = form.cleaned_data
    return _run(
        request,
        booking,
        services.hours_verify,
        _("Hours verified for %(name)s.") % {"name": booking.learner.user.full_name},
        minutes=data["minutes"],
        reason=data["reason"] or "",
        patients_consented=data["patients_consented"],
        patients_declined=data["patients_declined"],
    )


@login_required
@require_POST
def booking_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.verify_booking")
    return _run(request, booking, services.booking_mark_no_show, _("Marked as not attended."))


@login_required
@require_POST
def booking_correct(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.correct_booking")
    form = CorrectTimesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Checked in, checked out and reason are all needed."))
        return redirect("shadowing:booking_detail", pk=booking.pk)
    return _run(request, booking, services.booking_times_correct, _("Times corrected."), **form.cleaned_data)


@login_required
@require_GET
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, "shadowing.view_booking")
    response = HttpResponse(
        calendar_bytes([booking], _("Shadowing")), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="shadowing-{booking.pk}.ics"'
    return response


# --- Hours, certificates, verification -------------------------------------------------------------------


@login_required
@require_GET
def hours_view(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    totals = selectors.verified_totals(learner=learner)
    context = {
        "totals": totals,
        "total_hours": selectors.hours(totals["total_minutes"]),
        "rows": [{**row, "hours": selectors.hours(row["minutes"])} for row in totals["rows"]],
        "descriptions": selectors.experience_descriptions(totals=totals),
        "certificates": list(learner.hours_certificates.all()[:20]),
    }
    return render(request, "shadowing/hours.html", context)


@login_required
@require_POST
def certificate_issue(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    try:
        certificate = services.certificate_issue(learner=learner)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
        return redirect("shadowing:hours")
    messages.success(request, _("Your certificate is ready. Code: %(code)s") % {"code": certificate.code})
    return redirect("shadowing:hours")


@login_required
@require_GET
def certificate_download(request: HttpRequest, code: str) -> HttpResponse:
    certificate = get_object_or_404(HoursCertificate.objects.select_related("learner__user"), code=code)
    if not request.user.has_perm("shadowing.view_certificate", certificate):
        raise Http404
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="shadowing-hours-{certificate.code}.pdf"'
    return response


@login_required
@require_POST
def certificate_revoke(request: HttpRequest, code: str) -> HttpResponse:
    certificate = get_object_or_404(HoursCertificate, code=code)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
        return redirect("shadowing:home")
    try:
        services.certificate_revoke(
            certificate=certificate, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Certificate %(code)s revoked.") % {"code": code})
    return redirect("shadowing:home")


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    certificate = get_object_or_404(HoursCertificate, code=code.strip().upper())
    totals = certificate.totals
    context = {
        "certificate": certificate,
        "learner_name": totals.get("learner_name", ""),
        "total_hours": selectors.hours(totals.get("total_minutes", 0)),
        "rows": [{**row, "hours": selectors.hours(row["minutes"])} for row in totals.get("rows", [])],
    }
    return render(request, "shadowing/verify.html", context)


# --- Calendar feeds --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feed_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = FeedActionForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(_("Choose to make a calendar address or to turn it off."))
        if form.cleaned_data["action"] == "revoke":
            services.feed_token_revoke(user=request.user)
            messages.success(request, _("Your old calendar address no longer works."))
        else:
            services.feed_token_create(user=request.user)
            messages.success(
                request, _("Your new calendar address is ready. Any older address no longer works.")
            )
        return redirect("shadowing:feed_settings")
    token = CalendarFeedToken.objects.filter(user=request.user, revoked_at__isnull=True).first()
    url = f"{settings.SITE_URL}{reverse('shadowing:feed', args=[token.token])}" if token else ""
    return render(request, "shadowing/feed_settings.html", {"token": token, "feed_url": url})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    feed_token = get_object_or_404(
        CalendarFeedToken.objects.select_related("user"), token=token, revoked_at__isnull=True
    )
    bookings = selectors.feed_bookings(user=feed_token.user)
    return HttpResponse(
        calendar_bytes(bookings, _("Mentorfold shadowing")), content_type="text/calendar; charset=utf-8"
    )


# --- Patient feedback (public, anonymous) ----------------------------------------------------------------


def _feedback_target(site_pk: int, mentor_pk: str | None) -> tuple[Site, MentorProfile | None]:
    site = get_object_or_404(Site, pk=site_pk, is_active=True)
    mentor = None
    if mentor_pk:
        if not str(mentor_pk).isdigit():
            raise Http404
        mentor = get_object_or_404(MentorProfile.objects.select_related("user"), pk=int(mentor_pk))
    return site, mentor


@ratelimit(key="ip", rate="10/h", method="POST", block=False)
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, site_pk: int) -> HttpResponse:
    site, mentor = _feedback_target(site_pk, request.GET.get("mentor"))
    form = PatientFeedbackForm(request.POST or None)
    if request.method == "POST":
        if getattr(request, "limited", False):
            return render(request, "shadowing/feedback_limited.html", {"site": site}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.patient_feedback_submit(
                    site=site,
                    mentor=mentor,
                    learner_ok=data["learner_ok"],
                    enough_time=data["enough_time"],
                    comment=data["comment"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return render(request, "shadowing/feedback_thanks.html", {"site": site})
    return render(
        request,
        "shadowing/feedback.html",
        {
            "form": form,
            "site": site,
            "mentor": mentor,
            "language_status": interface_status(translation.get_language()),
        },
    )


def _feedback_url(site: Site, mentor: MentorProfile | None) -> str:
    url = f"{settings.SITE_URL}{reverse('shadowing:feedback', args=[site.pk])}"
    return f"{url}?mentor={mentor.pk}" if mentor else url


def _may_print_feedback(request: HttpRequest) -> None:
    if not (request.user.has_role(Role.MENTOR) or request.user.has_role(Role.COORDINATOR)):
        raise PermissionDenied


@login_required
@require_GET
def feedback_poster(request: HttpRequest, site_pk: int) -> HttpResponse:
    _may_print_feedback(request)
    site, mentor = _feedback_target(site_pk, request.GET.get("mentor"))
    qr_url = reverse("shadowing:feedback_qr", args=[site.pk])
    if mentor:
        qr_url += f"?mentor={mentor.pk}"
    return render(
        request,
        "shadowing/feedback_poster.html",
        {"site": site, "mentor": mentor, "form_url": _feedback_url(site, mentor), "qr_url": qr_url},
    )


@login_required
@require_GET
def feedback_qr(request: HttpRequest, site_pk: int) -> HttpResponse:
    _may_print_feedback(request)
    site, mentor = _feedback_target(site_pk, request.GET.get("mentor"))
    image = qrcode.make(_feedback_url(site, mentor), image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = BytesIO()
    image.save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


# --- Patient counts and feedback: mentors see their own, coordinators see sites and moderate --------------


def _coordinator(request: HttpRequest) -> None:
    if not request.user.has_role(Role.COORDINATOR):
        raise PermissionDenied


@login_required
@require_GET
def patients_mine(request: HttpRequest) -> HttpResponse:
    mentor = _mentor(request)
    return render(request, "shadowing/patients_mentor.html", selectors.mentor_patient_summary(mentor=mentor))


CHART_HEIGHT = 120


@login_required
@require_GET
def patients_sites(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    form = MonthsForm(request.GET or None)
    months = (form.cleaned_data["months"] if form.is_valid() else None) or 12
    data = selectors.site_acceptance_by_month(months=months)
    for site in data["sites"]:
        for index, cell in enumerate(site["cells"]):
            cell["bar_x"] = 40 + index * 36
            cell["bar_height"] = round((cell["percent"] or 0) * CHART_HEIGHT / 100)
            cell["bar_y"] = 10 + CHART_HEIGHT - cell["bar_height"]
    context = {
        **data,
        "form": form,
        "chart_width": 40 + len(data["months"]) * 36,
        "chart_height": CHART_HEIGHT + 40,
        "axis_y": 10 + CHART_HEIGHT,
        "label_y": CHART_HEIGHT + 28,
    }
    return render(request, "shadowing/patients_sites.html", context)


@login_required
@require_GET
def feedback_moderation(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    feedback = selectors.feedback_for_moderation()
    return render(request, "shadowing/feedback_moderation.html", {"feedback": feedback, "form": ReasonForm()})


@login_required
@require_POST
def feedback_hide(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    feedback = get_object_or_404(PatientFeedback, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reason: say why this comment is hidden."))
        return redirect("shadowing:feedback_moderation")
    try:
        services.patient_feedback_hide(
            feedback=feedback, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The comment is hidden. Its answers still count in the totals."))
    return redirect("shadowing:feedback_moderation")
