"""Messaging pages. Thin: parse the request with a form, call a service or selector, render.

Anyone who may not read a mentorship gets 404 for its threads, messages, meetings and attachments, so a page
never tells a stranger that a conversation exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mentorfold.core.forms import PageForm
from mentorfold.matching.models import Mentorship

from . import selectors, services
from .forms import (
    LockForm,
    MeetingForm,
    MeetingLogForm,
    MessageForm,
    ReportForm,
    RespondForm,
    ThreadForm,
    first_errors,
)
from .models import Meeting, Message, Thread

THREADS_PER_PAGE = 20


def _mentorship(request: HttpRequest, pk: int) -> Mentorship:
    mentorship = get_object_or_404(
        Mentorship.objects.select_related("mentor__user", "learner__user", "term"), pk=pk
    )
    if not request.user.has_perm("messaging.view_mentorship", mentorship):
        raise Http404
    return mentorship


def _thread(request: HttpRequest, pk: int) -> Thread:
    thread = get_object_or_404(
        Thread.objects.select_related(
            "mentorship__mentor__user", "mentorship__learner__user", "mentorship__term"
        ),
        pk=pk,
    )
    if not request.user.has_perm("messaging.view_mentorship", thread.mentorship):
        raise Http404
    return thread


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("mentorship__mentor__user", "mentorship__learner__user"), pk=pk
    )
    if not request.user.has_perm("messaging.view_mentorship", meeting.mentorship):
        raise Http404
    return meeting


def _errors(request: HttpRequest, problems: list[str]) -> None:
    for problem in problems:
        messages.error(request, problem)


def _protection(mentorship: Mentorship) -> dict[str, Any]:
    """Who else can read: named on every page of a minor's conversations, plainly."""
    is_minor = mentorship.learner.is_minor
    guardians = selectors.guardians_of(mentorship) if is_minor else []
    return {
        "is_minor": is_minor,
        "learner_name": mentorship.learner.user.get_short_name(),
        "guardian_names": ", ".join(g.full_name for g in guardians),
        "guardian_count": len(guardians),
    }


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.role_names & {"learner", "mentor", "guardian", "coordinator"}):
        raise PermissionDenied
    form = PageForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Page: use a whole number from 1."))
    # One page at a time: a coordinator reads every thread of the society.
    page = selectors.thread_page(user, page=form.cleaned_data["page"] or 1, per_page=THREADS_PER_PAGE)
    context = {
        "threads": page.object_list,
        "page": page,
        "mentorships": list(selectors.mentorships_for(user)),
        "meetings": selectors.upcoming_meetings(user, now=timezone.now()),
        "is_coordinator": user.has_role("coordinator"),
    }
    return render(request, "messaging/home.html", context)


def _mentorship_page(
    request: HttpRequest,
    mentorship: Mentorship,
    *,
    thread_form: ThreadForm | None = None,
    meeting_form: MeetingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_take_part = request.user.has_perm("messaging.take_part", mentorship)
    context = {
        "mentorship": mentorship,
        "threads": selectors.thread_list(request.user, mentorship=mentorship),
        "meetings": selectors.meetings_of(mentorship),
        "can_take_part": can_take_part and services.is_writable(mentorship),
        "my_side": services.side_of(request.user, mentorship),
        "thread_form": thread_form or ThreadForm(),
        "meeting_form": meeting_form or MeetingForm(),
        "respond_form": RespondForm(),
        "log_form": MeetingLogForm(),
        "now": timezone.now(),
        **_protection(mentorship),
    }
    return render(request, "messaging/mentorship.html", context, status=status)


@login_required
@require_GET
def mentorship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _mentorship_page(request, _mentorship(request, pk))


@login_required
@require_POST
def thread_new(request: HttpRequest, pk: int) -> HttpResponse:
    mentorship = _mentorship(request, pk)
    if not request.user.has_perm("messaging.take_part", mentorship):
        raise PermissionDenied
    form = ThreadForm(request.POST, request.FILES)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return _mentorship_page(request, mentorship, thread_form=form, status=400)
    try:
        thread = services.thread_create(
            mentorship=mentorship,
            actor=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data["attachment"],
        )
    except ValidationError as error:
        _errors(request, error.messages)
        return _mentorship_page(request, mentorship, thread_form=form, status=400)
    messages.success(request, _("Conversation started."))
    return redirect("messaging:thread", pk=thread.pk)


def _thread_page(
    request: HttpRequest, thread: Thread, *, form: MessageForm | None = None, status: int = 200
) -> HttpResponse:
    mentorship = thread.mentorship
    can_take_part = request.user.has_perm("messaging.take_part", mentorship)
    context = {
        "thread": thread,
        "mentorship": mentorship,
        "messages_list": selectors.thread_messages(thread),
        "participants": selectors.participants(thread),
        "can_post": can_take_part and services.is_writable(mentorship) and not thread.is_locked,
        "can_report": can_take_part,
        "can_moderate": request.user.has_perm("messaging.moderate"),
        "form": form or MessageForm(),
        "report_form": ReportForm(),
        "lock_form": LockForm(),
        **_protection(mentorship),
    }
    return render(request, "messaging/thread.html", context, status=status)


@login_required
@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    services.thread_mark_read(thread=thread, user=request.user)
    return _thread_page(request, thread)


@login_required
@require_POST
def message_post(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    if not request.user.has_perm("messaging.take_part", thread.mentorship):
        raise PermissionDenied
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return _thread_page(request, thread, form=form, status=400)
    try:
        message = services.message_post(
            thread=thread,
            actor=request.user,
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data["attachment"],
        )
    except ValidationError as error:
        _errors(request, error.messages)
        return _thread_page(request, thread, form=form, status=400)
    return redirect(f"{reverse('messaging:thread', args=[thread.pk])}#m{message.pk}")


@login_required
@require_POST
def message_report(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(
        Message.objects.select_related("thread__mentorship__mentor", "thread__mentorship__learner"), pk=pk
    )
    if not request.user.has_perm("messaging.view_mentorship", message.thread.mentorship):
        raise Http404
    if not request.user.has_perm("messaging.take_part", message.thread.mentorship):
        raise PermissionDenied
    form = ReportForm(request.POST)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return redirect("messaging:thread", pk=message.thread_id)
    try:
        services.message_report(message=message, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Thank you. A coordinator will look at this message."))
    except ValidationError as error:
        _errors(request, error.messages)
    return redirect("messaging:thread", pk=message.thread_id)


def _lock(request: HttpRequest, pk: int, *, lock: bool) -> HttpResponse:
    thread = _thread(request, pk)
    if not request.user.has_perm("messaging.moderate"):
        raise PermissionDenied
    form = LockForm(request.POST)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return redirect("messaging:thread", pk=thread.pk)
    try:
        services.thread_lock(thread=thread, actor=request.user, reason=form.cleaned_data["reason"], lock=lock)
        messages.success(request, _("Conversation locked.") if lock else _("Conversation opened again."))
    except ValidationError as error:
        _errors(request, error.messages)
    return redirect("messaging:thread", pk=thread.pk)


@login_required
@require_POST
def thread_lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _lock(request, pk, lock=True)


@login_required
@require_POST
def thread_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    return _lock(request, pk, lock=False)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("thread__mentorship"), pk=pk)
    if not message.attachment or not request.user.has_perm(
        "messaging.view_mentorship", message.thread.mentorship
    ):
        raise Http404
    response = FileResponse(
        message.attachment.open("rb"),
        content_type=message.attachment_type or "application/octet-stream",
        as_attachment=True,
        filename=message.attachment_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def meeting_propose(request: HttpRequest, pk: int) -> HttpResponse:
    mentorship = _mentorship(request, pk)
    if not request.user.has_perm("messaging.take_part", mentorship):
        raise PermissionDenied
    form = MeetingForm(request.POST)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return _mentorship_page(request, mentorship, meeting_form=form, status=400)
    try:
        services.meeting_propose(mentorship=mentorship, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error.messages)
        return _mentorship_page(request, mentorship, meeting_form=form, status=400)
    messages.success(request, _("Meeting proposed. The other side will accept or decline it."))
    return redirect("messaging:mentorship", pk=mentorship.pk)


@login_required
@require_POST
def meeting_respond(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not request.user.has_perm("messaging.take_part", meeting.mentorship):
        raise PermissionDenied
    form = RespondForm(request.POST)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return redirect("messaging:mentorship", pk=meeting.mentorship_id)
    try:
        services.meeting_respond(meeting=meeting, actor=request.user, accept=form.accepted)
        messages.success(request, _("Meeting accepted.") if form.accepted else _("Meeting declined."))
    except ValidationError as error:
        _errors(request, error.messages)
    return redirect("messaging:mentorship", pk=meeting.mentorship_id)


@login_required
@require_POST
def meeting_log(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not request.user.has_perm("messaging.take_part", meeting.mentorship):
        raise PermissionDenied
    form = MeetingLogForm(request.POST)
    if not form.is_valid():
        _errors(request, first_errors(form))
        return redirect("messaging:mentorship", pk=meeting.mentorship_id)
    try:
        services.meeting_log(meeting=meeting, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Meeting log saved."))
    except ValidationError as error:
        _errors(request, error.messages)
    return redirect("messaging:mentorship", pk=meeting.mentorship_id)


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("messaging.moderate"):
        raise PermissionDenied
    return render(request, "messaging/reports.html", {"reports": selectors.open_reports()})
