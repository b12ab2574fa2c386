"""Grant pages for applicants, reviewers and coordinators. Thin: check permission, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from mentorfold.accounts.models import LearnerProfile, User
from mentorfold.core.tracking import task_run_start

from . import applications, export, selectors, tasks
from . import decision as decisions
from . import review as reviews
from .forms import (
    ApplicationForm,
    AttachmentForm,
    ConflictAddForm,
    ConflictDiscoveredForm,
    ConflictStatusForm,
    CycleForm,
    DecisionForm,
    DeclarationForm,
    EligibilityForm,
    LetterTemplateForm,
    ReviewForm,
    SwapForm,
)
from .letters import pdf_bytes
from .models import (
    Application,
    Assignment,
    AssignmentRun,
    Conflict,
    DecisionRecord,
    GrantAttachment,
    GrantCycle,
    LetterTemplate,
    Review,
    ReviewerDeclaration,
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


# --------------------------------------------------------------------------- reviewer


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    if not reviews.is_reviewer(request.user):
        raise PermissionDenied
    assignments = list(selectors.reviewer_assignments(request.user))
    open_ones = [a for a in assignments if not a.application.cycle.is_frozen]
    cycles = GrantCycle.objects.exclude(status=GrantCycle.Status.DRAFT).exclude(
        status=GrantCycle.Status.DECIDED
    )
    return render(
        request,
        "grants/review_list.html",
        {
            "assignments": assignments,
            "open_total": len(open_ones),
            "done": sum(1 for a in open_ones if a.submitted),
            "cycles": cycles,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_application(request: HttpRequest, pk: int) -> HttpResponse:
    """One assigned application: the reviewer sees only their own review (never other reviewers' scores)."""
    if not reviews.is_reviewer(request.user):
        raise Http404
    application = selectors.application_for_reviewer(request.user, pk)
    if application is None:
        raise Http404
    cycle = application.cycle
    review = Review.objects.filter(application=application, reviewer=request.user).first()
    initial: dict[str, Any] = {}
    if review:
        initial.update({f"score_{k}": str(v) for k, v in review.scores.items()})
        initial.update({f"comment_{k}": v for k, v in review.comments.items()})
    closed = cycle.is_frozen
    form = ReviewForm(request.POST or None, cycle=cycle, initial=initial, submitting="submit" in request.POST)
    if request.method == "POST" and closed:
        messages.error(request, _("Reviews for this cycle are closed: the decision is frozen."))
    elif request.method == "POST" and form.is_valid():
        try:
            reviews.review_save(
                application=application,
                reviewer=request.user,
                scores=form.scores(),
                comments=form.comments(),
                submit="submit" in request.POST,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your review is submitted.")
                if "submit" in request.POST
                else _("Your draft review is saved."),
            )
            return redirect("grants:review_list")
    return render(
        request,
        "grants/review_application.html",
        {
            "application": application,
            "cycle": cycle,
            "form": form,
            "review": review,
            "closed": closed,
            "blind": cycle.blind_review,
            "attachments": [] if cycle.blind_review else application.attachments.all(),
        },
    )


@login_required
@require_POST
def review_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    if not reviews.is_reviewer(request.user):
        raise Http404
    application = selectors.application_for_reviewer(request.user, pk)
    if application is None:
        raise Http404
    form = ConflictDiscoveredForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("grants:review_application", pk)
    try:
        reviews.review_conflict_discovered(
            application=application, reviewer=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("grants:review_application", pk)
    messages.success(request, _("Thank you. This application is no longer assigned to you."))
    return redirect("grants:review_list")


@login_required
@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    if not reviews.is_reviewer(request.user):
        raise PermissionDenied
    cycle = get_object_or_404(GrantCycle.objects.exclude(status=GrantCycle.Status.DRAFT), pk=cycle_pk)
    instance = ReviewerDeclaration.objects.filter(cycle=cycle, reviewer=request.user).first()
    form = DeclarationForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.declaration_save(
                cycle=cycle,
                reviewer=request.user,
                known_people=form.cleaned_data["known_people"],
                mailing_address=form.cleaned_data["mailing_address"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Thank you. Your declaration is saved."))
            return redirect("grants:review_list")
    return render(request, "grants/declaration.html", {"cycle": cycle, "form": form})


# --------------------------------------------------------------------------- coordinator


def _cycle_for_coordinator(request: HttpRequest, pk: int) -> GrantCycle:
    _require(request, "grants.manage")
    return get_object_or_404(GrantCycle, pk=pk)


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    _require(request, "grants.manage")
    return render(request, "grants/manage.html", {"cycles": GrantCycle.objects.all()})


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, "grants.manage")
    from .models import DEFAULT_ELIGIBILITY, DEFAULT_RUBRIC

    if pk is None:
        now = timezone.now()
        cycle = GrantCycle(
            rubric=DEFAULT_RUBRIC,
            eligibility_questions=DEFAULT_ELIGIBILITY,
            required_attachments=["Enrolment letter"],
            total_budget=50000,
            opens_at=now,
            closes_at=now + timezone.timedelta(days=30),
        )
    else:
        cycle = get_object_or_404(GrantCycle, pk=pk)
    form = CycleForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = applications.cycle_save(cycle=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The grant cycle is saved."))
            return redirect("grants:cycle", cycle.pk)
    return render(request, "grants/cycle_edit.html", {"form": form, "cycle": cycle if pk else None})


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    return render(
        request,
        "grants/cycle_detail.html",
        {
            "cycle": cycle,
            "counts": selectors.cycle_counts(cycle),
            "progress": selectors.reviewer_progress(cycle),
            "run": selectors.latest_run(cycle),
            "decision": selectors.latest_decision(cycle),
            "tz": _tz_name(),
        },
    )


@login_required
def cycle_applications(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    qs = cycle.applications.select_related("applicant__user", "applicant__school").order_by("code")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "grants/cycle_applications.html", {"cycle": cycle, "page": page})


@login_required
@require_POST
def assignment_start(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    run = task_run_start(
        task=tasks.run_assignment,
        kind="grants.assignment",
        label=_("Reviewer assignment for %(cycle)s") % {"cycle": cycle.name},
        user=request.user,
        cycle_id=cycle.pk,
    )
    return redirect("task_progress", run.pk)


@login_required
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    run = selectors.latest_run(cycle)
    pairs = (
        Assignment.objects.filter(cycle=cycle)
        .select_related("application", "reviewer")
        .order_by("application__code", "reviewer__full_name")
    )
    page = Paginator(pairs, 60).get_page(request.GET.get("page"))
    return render(request, "grants/assignment.html", {"cycle": cycle, "run": run, "page": page})


@login_required
@require_POST
def assignment_swap(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "grants.manage")
    item = get_object_or_404(Assignment.objects.select_related("cycle", "application", "reviewer"), pk=pk)
    form = SwapForm(request.POST)
    if form.is_valid():
        try:
            reviews.assignment_swap(
                assignment=item,
                new_reviewer=form.cleaned_data["new_reviewer"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Reviewer swapped."))
    else:
        messages.error(request, _("Swap: choose a reviewer and give a reason."))
    return redirect("grants:application_detail", item.application_id)


@login_required
@require_POST
def reminders(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    try:
        sent = reviews.reminders_send(cycle=cycle, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            ngettext("Reminder sent to %(n)s reviewer.", "Reminders sent to %(n)s reviewers.", sent)
            % {"n": sent},
        )
    return redirect("grants:cycle", cycle.pk)


@login_required
@require_http_methods(["GET", "POST"])
def conflicts(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    form = ConflictAddForm(request.POST or None)
    if request.method == "POST" and "detect" in request.POST:
        try:
            result = reviews.conflicts_detect(cycle=cycle, actor=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            n = result["found"]
            messages.success(
                request,
                ngettext("%(n)s conflict found in the data.", "%(n)s conflicts found in the data.", n)
                % {"n": n},
            )
        return redirect("grants:conflicts", cycle.pk)
    if request.method == "POST" and form.is_valid():
        application = cycle.applications.filter(
            code=form.cleaned_data["application_code"].strip().upper()
        ).first()
        if application is None:
            form.add_error(
                "application_code", _("Application code: no application with this code in this cycle.")
            )
        else:
            try:
                reviews.conflict_add(
                    cycle=cycle,
                    reviewer=form.cleaned_data["reviewer"],
                    application=application,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Conflict added."))
                return redirect("grants:conflicts", cycle.pk)
    qs = selectors.cycle_conflicts(cycle)
    status = request.GET.get("status", "")
    if status in Conflict.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "grants/conflicts.html",
        {"cycle": cycle, "page": page, "form": form, "status_form": ConflictStatusForm(), "status": status},
    )


@login_required
@require_POST
def conflict_status(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "grants.manage")
    conflict = get_object_or_404(Conflict.objects.select_related("cycle", "application", "reviewer"), pk=pk)
    form = ConflictStatusForm(request.POST)
    if form.is_valid():
        try:
            reviews.conflict_set_status(
                conflict=conflict,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Conflict updated."))
    else:
        messages.error(request, _("Reason: say why you change this conflict."))
    return redirect("grants:conflicts", conflict.cycle_id)


def _decision_rows(record: DecisionRecord | None) -> list[dict[str, Any]]:
    if record is None:
        return []
    ids = record.inputs["applications"]
    apps = {a.pk: a for a in Application.objects.filter(pk__in=ids).select_related("applicant__user")}
    out = record.outputs
    rows = []
    for k, app_id in enumerate(ids):
        row = {
            "application": apps.get(app_id),
            "raw": out["raw_mean"][k],
            "merit": out["merit"][k],
            "se": out["merit_se"][k],
            "n": out["n_reviews"][k],
            "request": record.inputs["requests"][k],
        }
        if record.has_budget:
            row.update(
                status=out["status"][k],
                amount=out["amounts"][k],
                reason=out["reasons"][k],
                lottery=out["lottery_position"][k],
            )
        rows.append(row)
    rows.sort(key=lambda r: -(r["merit"] if r["merit"] is not None else -1e9))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    """Calibration side by side with raw scores, the funding line, the lottery and the awards."""
    cycle = _cycle_for_coordinator(request, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action in ("calibrate", "budget"):
                decisions.decision_prepare(
                    cycle=cycle,
                    actor=request.user,
                    seed=form.cleaned_data["seed"],
                    with_budget=action == "budget",
                )
                messages.success(
                    request, _("Calibration done.") if action == "calibrate" else _("Budget solved.")
                )
            elif action == "freeze":
                record = DecisionRecord.objects.filter(
                    cycle=cycle, status=DecisionRecord.Status.DRAFT
                ).first()
                if record is None:
                    raise ValidationError(_("Run the budget before freezing the decision."))
                decisions.decision_freeze(
                    record=record, actor=request.user, override_reason=form.cleaned_data["override_reason"]
                )
                messages.success(request, _("The decision is frozen."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("grants:decision", cycle.pk)
    record = selectors.latest_decision(cycle)
    reviewer_rows = []
    if record is not None:
        names = dict(User.objects.filter(pk__in=record.inputs["reviewers"]).values_list("pk", "full_name"))
        reviewer_rows = [
            {
                "name": names.get(uid, uid),
                "offset": record.outputs["offset"][j],
                "se": record.outputs["offset_se"][j],
            }
            for j, uid in enumerate(record.inputs["reviewers"])
        ]
    coverage = (
        decisions.decision_coverage(
            record=record, required=cycle.reviewers_per_application, budget=cycle.total_budget
        )
        if record is not None
        else None
    )
    return render(
        request,
        "grants/decision.html",
        {
            "cycle": cycle,
            "record": record,
            "coverage": coverage,
            "rows": _decision_rows(record),
            "reviewer_rows": reviewer_rows,
            "form": form,
            "replay": request.session.pop(f"grants-replay-{cycle.pk}", None),
        },
    )


@login_required
@require_POST
def decision_replay(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    record = get_object_or_404(DecisionRecord, cycle=cycle, status=DecisionRecord.Status.FROZEN)
    result = decisions.decision_replay(record=record)
    request.session[f"grants-replay-{cycle.pk}"] = {
        "reproduced": result.reproduced,
        "sha": result.outputs_sha256,
        "live": result.live_data_unchanged,
        "intact": result.inputs_intact,
        "engine": result.same_engine,
    }
    return redirect("grants:decision", cycle.pk)


@login_required
@require_http_methods(["GET", "POST"])
def letters(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle_for_coordinator(request, pk)
    templates = {t.kind: t for t in LetterTemplate.objects.filter(cycle=cycle)}
    forms_by_kind = {
        kind: LetterTemplateForm(
            request.POST if request.POST.get("kind") == kind else None,
            instance=templates.get(kind),
            prefix=kind,
        )
        for kind in LetterTemplate.Kind.values
        if kind in templates
    }
    if request.method == "POST":
        if "send" in request.POST:
            try:
                queued = decisions.letters_send(cycle=cycle, actor=request.user)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s letter is being sent in the background.",
                        "%(n)s letters are being sent in the background.",
                        queued,
                    )
                    % {"n": queued}
                    if queued
                    else _("Every letter has already been sent."),
                )
            return redirect("grants:letters", cycle.pk)
        kind = request.POST.get("kind")
        form = forms_by_kind.get(kind)
        if form is not None and form.is_valid():
            try:
                decisions.letter_template_save(
                    template=templates[kind],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    actor=request.user,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Letter template saved."))
                return redirect("grants:letters", cycle.pk)
    return render(
        request,
        "grants/letters.html",
        {
            "cycle": cycle,
            "forms": [(LetterTemplate.Kind(k).label, k, f) for k, f in forms_by_kind.items()],
            "placeholders": LetterTemplate.PLACEHOLDERS,
            "sent": cycle.applications.filter(letter_mails__isnull=False).count(),
        },
    )


def decision_public(request: HttpRequest, pk: int) -> HttpResponse:
    """The published record of a frozen decision: seed, hashes, engine and the lottery, by application code only.

    Anyone can re-draw the lottery: sort the band's codes' application numbers as listed, then
    ``numpy.random.default_rng(seed).permutation(len(band))`` gives the draw order shown here.
    """
    record = get_object_or_404(
        DecisionRecord.objects.select_related("cycle"), cycle_id=pk, status=DecisionRecord.Status.FROZEN
    )
    ids = record.inputs["applications"]
    codes = dict(Application.objects.filter(pk__in=ids).values_list("pk", "code"))
    band = sorted(record.outputs.get("band", []))
    return render(
        request,
        "grants/decision_public.html",
        {
            "record": record,
            "cycle": record.cycle,
            "band": [(k, codes.get(ids[k], "")) for k in band],
            "draw": [codes.get(ids[k], "") for k in record.outputs.get("lottery_order", [])],
            "funded": sum(1 for a in record.outputs["amounts"] if a),
        },
    )


EXPORT_HEADER = [
    "code",
    "applicant",
    "school",
    "status",
    "requested",
    "raw_mean",
    "calibrated_merit",
    "merit_se",
    "funding_status",
    "lottery_position",
    "award",
    "reason",
]


@login_required
def decision_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """CSV or XLSX of the decision (coordinators only), formula injection neutralised."""
    cycle = _cycle_for_coordinator(request, pk)
    record = selectors.latest_decision(cycle)
    if record is None or not record.has_budget:
        raise Http404
    apps = {
        a.pk: a
        for a in Application.objects.filter(pk__in=record.inputs["applications"]).select_related(
            "applicant__user", "applicant__school"
        )
    }
    out = record.outputs
    rows = []
    for k, app_id in enumerate(record.inputs["applications"]):
        a = apps[app_id]
        rows.append(
            [
                a.code,
                a.applicant.user.full_name,
                a.applicant.school.name if a.applicant.school else "",
                a.status,
                record.inputs["requests"][k],
                out["raw_mean"][k],
                out["merit"][k],
                out["merit_se"][k],
                out["status"][k],
                out["lottery_position"][k],
                out["amounts"][k],
                out["reasons"][k],
            ]
        )
    name = f"grant-decisions-{cycle.pk}"
    if fmt == "xlsx":
        response = HttpResponse(
            export.to_xlsx(EXPORT_HEADER, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = HttpResponse(export.to_csv(EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
