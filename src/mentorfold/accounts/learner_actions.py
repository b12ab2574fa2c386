"""Coordinator actions on a learner that protect minors: confirm a guardian link, correct the date of birth.

Shown on the learner detail page (``{% learner_safety_actions learner %}``); each posts here, and a form error
re-renders the form on its own page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import BirthDateCorrectionForm, GuardianConfirmForm
from .models import GuardianLink, LearnerProfile, Role


def _coordinator(request: HttpRequest) -> None:
    if not request.user.has_role(Role.COORDINATOR):
        raise PermissionDenied


def _form_page(request: HttpRequest, learner: LearnerProfile, form: object, title: str) -> HttpResponse:
    return render(
        request,
        "accounts/learner_action.html",
        {"learner": learner, "form": form, "title": title, "action": request.path},
        status=400,
    )


@login_required
@require_POST
def guardian_link_confirm(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    _coordinator(request)
    link = get_object_or_404(GuardianLink.objects.select_related("learner__user"), pk=link_pk, learner_id=pk)
    form = GuardianConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.guardian_link_confirm(link=link, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Guardian confirmed. Their consent now counts."))
            return redirect("learner_detail", pk=pk)
    return _form_page(request, link.learner, form, _("Confirm guardian"))


@login_required
@require_POST
def learner_birth_date_correct(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    learner = get_object_or_404(LearnerProfile.objects.select_related("user"), pk=pk)
    form = BirthDateCorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.learner_correct_birth_date(learner=learner, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Date of birth corrected."))
            return redirect("learner_detail", pk=pk)
    return _form_page(request, learner, form, _("Correct the date of birth"))
