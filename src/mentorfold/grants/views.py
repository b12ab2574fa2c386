"""Grant pages for applicants, and the checks every grant page shares. Thin: permission, service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from mentorfold.accounts.models import LearnerProfile, User

from . import applications, selectors
from .forms import (
    ApplicationForm,
    AttachmentForm,
    EligibilityForm,
    SwapForm,
)
from .letters import pdf_bytes
from .models import (
    Application,
    AssignmentRun,
    GrantAttachment,
)

EXPLAIN_LABELS = {
    "conflict": _lazy("conflict of interest"),
    "full": _lazy("this reviewer was full, with applications that fit them better"),
    "lower": _lazy("lower affinity than every reviewer this application got"),
    "total": _lazy("would lower the best possible total affinity"),
}


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _learner(request: HttpRequest) -> LearnerProfile:
    learner = getattr(request.user, "learner_profile", None)
    if learner is None:
        raise Http404
    return learner


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(form: Any, exc: ValidationError) -> None:
    """Show a service's refusal on the form: on the named field when the form has it, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        field = next((f for f in (key, f"score_{key}") if f in form.fields), None)
        form.add_error(field, errors)


def _tz_name() -> str:
    return timezone.localtime().tzname() or str(timezone.get_current_timezone())


# --------------------------------------------------------------------------- applicant


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Applicant's page: open cycles and their own applications."""
    learner = getattr(request.user, "learner_profile", None)
    cycles = list(selectors.open_cycles())
    # Each open cycle with the visitor's standing: an apply link only for someone who may apply, and the
    # reasons in words for a learner who may not (a minor, an undergraduate) or for staff.
    offers = [
        {
            "cycle": cycle,
            "check": applications.eligibility_check(cycle=cycle, applicant=learner) if learner else None,
        }
        for cycle in cycles
    ]
    context: dict[str, Any] = {
        "cycles": cycles,
        "offers": offers,
        "applications": selectors.applications_of(learner) if learner else [],
        "learner": learner,
        "tz": _tz_name(),
    }
    return render(request, "grants/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def eligibility(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    """Before starting: who can apply, and the yes/no questions."""
    learner = _learner(request)
    cycle = get_object_or_404(selectors.open_cycles(), pk=cycle_pk)
    existing = Application.objects.filter(cycle=cycle, applicant=learner).first()
    if existing:
        return redirect("grants:application_edit", existing.pk)
    check = applications.eligibility_check(cycle=cycle, applicant=learner)
    form = EligibilityForm(request.POST or None, cycle=cycle)
    if request.method == "POST" and check.ok and form.is_valid():
        try:
            application = applications.application_start(
                cycle=cycle, applicant=learner, answers=form.answers()
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("grants:application_edit", application.pk)
    return render(
        request, "grants/eligibility.html", {"cycle": cycle, "check": check, "form": form, "tz": _tz_name()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _learner(request)
    application = selectors.application_for_owner(learner, pk)
    if application is None:
        raise Http404
    if application.status != Application.Status.DRAFT or timezone.now() > application.cycle.closes_at:
        return redirect("grants:application_detail", application.pk)
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        try:
            applications.application_save(application=application, data=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if "submit" in request.POST:
                try:
                    applications.application_submit(application=application)
                except ValidationError as exc:
                    _errors(request, exc)
                else:
                    messages.success(
                        request, _("Your application is submitted. We sent you a confirmation e-mail.")
                    )
                    return redirect("grants:application_detail", application.pk)
            else:
                messages.success(request, _("Your draft is saved."))
            return redirect("grants:application_edit", application.pk)
    return render(
        request,
        "grants/application_edit.html",
        {
            "application": application,
            "form": form,
            # Inside the application form: its required file must not block "Save draft" in the browser.
            "attachment_form": AttachmentForm(cycle=application.cycle, use_required_attribute=False),
            "problems": applications.application_problems(application),
            "tz": _tz_name(),
        },
    )


@login_required
@require_POST
def application_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx autosave: saves whatever is valid in the draft, answers with a short status line."""
    learner = _learner(request)
    application = selectors.application_for_owner(learner, pk)
    if application is None:
        raise Http404
    form = ApplicationForm(request.POST, instance=application)
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    try:
        applications.application_save(application=application, data=data)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=409)
    return HttpResponse(_("Draft saved at %(time)s") % {"time": timezone.localtime().strftime("%H:%M:%S")})


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _learner(request)
    application = selectors.application_for_owner(learner, pk)
    if application is None:
        raise Http404
    # The upload button sits in the application form, so the text typed just before it comes along: save
    # what is valid first (as autosave does), so nothing typed is lost.
    draft_form = ApplicationForm(request.POST, instance=application)
    if any(name in request.POST for name in draft_form.fields):
        draft_form.is_valid()
        data = {k: v for k, v in draft_form.cleaned_data.items() if k not in draft_form.errors}
        try:
            applications.application_save(application=application, data=data)
        except ValidationError as exc:
            _errors(request, exc)
        for errors in draft_form.errors.values():
            for error in errors:
                messages.error(request, error)
    form = AttachmentForm(request.POST, request.FILES, cycle=application.cycle)
    if form.is_valid():
        try:
            applications.attachment_add(
                application=application, label=form.cleaned_data["label"], upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Your document is uploaded."))
    else:
        messages.error(request, _("File: choose a PDF file and its document type."))
    return redirect("grants:application_edit", application.pk)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(GrantAttachment.objects.select_related("application__cycle"), pk=pk)
    if attachment.application.applicant.user_id != request.user.pk:
        raise Http404
    try:
        applications.attachment_remove(attachment=attachment)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("grants:application_edit", attachment.application_id)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(
        GrantAttachment.objects.select_related("application__cycle", "application__applicant"), pk=pk
    )
    if not request.user.has_perm("grants.view_attachment", attachment.application):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant's (or a coordinator's) read-only view, with the award once decided."""
    application = get_object_or_404(
        Application.objects.select_related("cycle", "applicant__user", "applicant__school").prefetch_related(
            "attachments"
        ),
        pk=pk,
    )
    is_owner = application.applicant.user_id == request.user.pk
    is_coordinator = request.user.has_perm("grants.manage")
    if not (is_owner or is_coordinator):
        raise Http404
    context: dict[str, Any] = {
        "application": application,
        "is_owner": is_owner,
        "is_coordinator": is_coordinator,
        "letter": getattr(application, "letter", None),
        "tz": _tz_name(),
    }
    if is_coordinator:
        context["assignments"] = application.assignments.select_related("reviewer")
        context["reviews"] = application.reviews.select_related("reviewer")
        context["conflicts"] = application.conflicts.select_related("reviewer")
        run = AssignmentRun.objects.filter(cycle=application.cycle).first()
        if run is not None:
            alternatives = run.explanations.get(str(application.pk), [])
            names = dict(
                User.objects.filter(pk__in=[a[0] for a in alternatives]).values_list("pk", "full_name")
            )
            context["alternatives"] = [
                {"reviewer": names.get(a[0], a[0]), "score": a[1], "reason": EXPLAIN_LABELS.get(a[2], a[2])}
                for a in alternatives
            ]
        context["swap_form"] = SwapForm()
    return render(request, "grants/application_detail.html", context)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _learner(request)
    application = selectors.application_for_owner(learner, pk)
    if application is None:
        raise Http404
    try:
        applications.application_withdraw(application=application)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("grants:application_detail", application.pk)


@login_required
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.select_related("letter", "applicant"), pk=pk)
    if application.applicant.user_id != request.user.pk and not request.user.has_perm("grants.manage"):
        raise Http404
    letter = getattr(application, "letter", None)
    if letter is None:
        raise Http404
    response = HttpResponse(
        pdf_bytes(subject=letter.subject, body=letter.body), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="grant-letter-{application.code}.pdf"'
    return response
