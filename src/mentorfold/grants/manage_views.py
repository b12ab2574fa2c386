"""Grant pages for coordinators: cycles, conflicts, reviewer assignment, decisions and letters; the public decision record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from mentorfold.accounts.models import User
from mentorfold.core.forms import requested_page
from mentorfold.core.tracking import task_run_start

from . import applications, export, selectors, tasks
from . import decision as decisions
from . import review as reviews
from .forms import (
    ConflictAddForm,
    ConflictFilterForm,
    ConflictStatusForm,
    CycleForm,
    DecisionActionForm,
    DecisionForm,
    LetterKindForm,
    LetterTemplateForm,
    SwapForm,
)
from .models import (
    Application,
    Assignment,
    Conflict,
    DecisionRecord,
    GrantCycle,
    LetterTemplate,
)
from .views import _errors, _form_errors, _require, _tz_name

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
    page = Paginator(qs, 50).get_page(requested_page(request))
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
    page = Paginator(pairs, 60).get_page(requested_page(request))
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
    filters = ConflictFilterForm(request.GET)
    if not filters.is_valid():
        return HttpResponseBadRequest(_("Show: choose one of the listed filters and a page number from 1."))
    status = filters.cleaned_data["status"]
    page = Paginator(selectors.cycle_conflicts(cycle, status=status), selectors.CONFLICTS_PER_PAGE).get_page(
        filters.cleaned_data["page"]
    )
    return render(
        request,
        "grants/conflicts.html",
        {
            "cycle": cycle,
            "page": page,
            "form": form,
            "reviewer_choices": list(form.fields["reviewer"].queryset.values_list("pk", "full_name")),
            "chosen_reviewer": getattr(getattr(form, "cleaned_data", {}).get("reviewer"), "pk", None),
            "status_form": ConflictStatusForm(),
            "status": status,
        },
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
    if request.method == "POST" and not (action_form := DecisionActionForm(request.POST)).is_valid():
        return HttpResponseBadRequest(_("Choose what to do: calibrate, run the budget or freeze."))
    if request.method == "POST" and form.is_valid():
        action = action_form.cleaned_data["action"]
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
        kind_form = LetterKindForm(request.POST, kinds=list(forms_by_kind))
        if not kind_form.is_valid():
            return HttpResponseBadRequest(_("Choose which letter to save."))
        kind = kind_form.cleaned_data["kind"]
        form = forms_by_kind[kind]
        if form.is_valid():
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
