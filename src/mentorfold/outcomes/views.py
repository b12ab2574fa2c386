"""Outcome pages. Thin: parse the request, call a service or selector, render.

Who sees what: the person with a survey link sees that one survey; a signed-in person sees their own
surveys and answers; coordinators see only aggregates (``selectors``), never anyone's answers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import cache_page, never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mentorfold.accounts.models import Role
from mentorfold.core.society import current_society
from mentorfold.core.spreadsheets import rows_to_csv, rows_to_xlsx
from mentorfold.core.tracking import task_run_start
from mentorfold.engine.instruments import INSTRUMENTS
from mentorfold.programs.importing import MAX_IMPORT_BYTES
from mentorfold.programs.models import Term

from . import checkins, pipeline_import, selectors, services
from .charts import drawn
from .forms import PipelineForm, PipelineImportForm, SurveyForm, WordingForm, YearForm
from .items import licensed_item_ids
from .models import (
    InstrumentVersion,
    PipelineImport,
    PipelineStage,
    RecognitionStatement,
    SurveyInvitation,
    SurveyResponse,
)
from .pdf import annual_report_pdf
from .pdf import recognition_pdf as recognition_pdf_bytes
from .tasks import import_pipeline


def _coordinator(request: HttpRequest) -> None:
    if not request.user.has_role(Role.COORDINATOR):
        raise PermissionDenied


# --- Survey by personal link -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """One person's survey: answer in any order, save and come back, send when done; read-only once sent."""
    invitation = get_object_or_404(
        SurveyInvitation.objects.select_related("schedule__term__program"), token=token
    )
    instruments = services.survey_instruments(invitation.schedule)
    response_row = SurveyResponse.objects.filter(invitation=invitation).first()
    saved = response_row.answers if response_row else {}
    if invitation.is_complete:
        if request.method == "POST":
            return HttpResponse(
                _("You already sent this survey, so it can no longer be changed."), status=409
            )
        form = SurveyForm(initial={k: str(v) for k, v in saved.items()}, instruments=instruments)
        for field in form.fields.values():
            field.disabled = True
        page = render(
            request, "outcomes/survey.html", {"invitation": invitation, "form": form, "read_only": True}
        )
    else:
        form = SurveyForm(
            request.POST or None, initial={k: str(v) for k, v in saved.items()}, instruments=instruments
        )
        if request.method == "POST" and form.is_valid():
            try:
                if form.cleaned_data.get("action") == "send":
                    services.survey_complete(invitation=invitation, answers=form.answers())
                    messages.success(request, _("Thank you! Your answers were sent."))
                else:
                    services.survey_save_answers(invitation=invitation, answers=form.answers())
                    messages.success(
                        request, _("Saved. You can close this page and come back with the same link.")
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("outcomes:survey", token=invitation.token)
        page = render(
            request,
            "outcomes/survey.html",
            {"invitation": invitation, "form": form, "read_only": False, "answered": len(saved)},
            status=400 if request.method == "POST" else 200,
        )
    # The token must not leak to other sites; "no-referrer" would also make browsers send "Origin: null" with the
    # form, which the CSRF check refuses (nobody could save or send their answers).
    page["Referrer-Policy"] = "same-origin"
    return page


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own surveys and answers (nobody else's)."""
    return render(request, "outcomes/mine.html", {"invitations": selectors.my_invitations(user=request.user)})


# --- Pipeline --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pipeline(request: HttpRequest) -> HttpResponse:
    """The learner's yearly "where are you now" update and their own history."""
    learner = getattr(request.user, "learner_profile", None)
    if learner is None or not request.user.has_role(Role.LEARNER):
        raise PermissionDenied
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pipeline_stage_record(
                learner=learner,
                stage=form.cleaned_data["stage"],
                reached_on=form.cleaned_data["reached_on"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you! We saved where you are now."))
            return redirect("outcomes:pipeline")
    history = PipelineStage.objects.filter(learner=learner).order_by("-reached_on", "-pk")
    status = 400 if request.method == "POST" else 200
    return render(request, "outcomes/pipeline.html", {"form": form, "history": history}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def pipeline_checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The yearly one-question page behind a learner's personal link (no sign-in needed)."""
    checkin = checkins.checkin_for_token(token)
    if checkin is None:
        raise Http404
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            checkins.pipeline_checkin_answer(
                checkin=checkin, stage=form.cleaned_data["stage"], reached_on=form.cleaned_data["reached_on"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you! We saved where you are now."))
            return redirect("outcomes:pipeline_checkin", token=checkin.token)
    context = {"form": form, "name": checkin.learner.user.get_short_name(), "answered": checkin.answered_at}
    page = render(
        request,
        "outcomes/pipeline_checkin.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
    # The token must not leak to other sites; "no-referrer" would also make browsers send "Origin: null" with the
    # form, which the CSRF check refuses (nobody could save or send their answers).
    page["Referrer-Policy"] = "same-origin"
    return page


# --- Public impact page ---------------------------------------------------------------------------------


@cache_page(60 * 60)
def impact(request: HttpRequest) -> HttpResponse:
    """Public headline numbers, only if the society opted in (``OUTCOMES_PUBLIC_IMPACT``); small groups hidden."""
    if not getattr(settings, "OUTCOMES_PUBLIC_IMPACT", False):
        raise Http404
    return render(request, "outcomes/impact.html", {"impact": selectors.public_impact()})


# --- Mentor recognition ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recognition(request: HttpRequest) -> HttpResponse:
    """The mentor's yearly recognition statements: issue this year's or an earlier one, download the PDF."""
    mentor = getattr(request.user, "mentor_profile", None)
    if mentor is None or not request.user.has_role(Role.MENTOR):
        raise PermissionDenied
    form = YearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            statement = services.recognition_statement_issue(
                mentor=mentor, year=form.cleaned_data["year"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("year", error)
        else:
            return redirect("outcomes:recognition_pdf", code=statement.code)
    statements = RecognitionStatement.objects.filter(mentor=mentor).order_by("-year")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "outcomes/recognition.html", {"form": form, "statements": statements}, status=status
    )


@login_required
def recognition_pdf(request: HttpRequest, code: str) -> HttpResponse:
    statement = get_object_or_404(RecognitionStatement.objects.select_related("mentor"), code=code)
    if statement.mentor.user_id != request.user.pk and not request.user.has_role(Role.COORDINATOR):
        raise Http404
    url = request.build_absolute_uri(reverse("outcomes:recognition_verify", kwargs={"code": statement.code}))
    body = recognition_pdf_bytes(statement=statement, verify_url=url, society=current_society().name)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recognition-{statement.year}.pdf"'
    return response


def recognition_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public check of a recognition statement by its code."""
    statement = get_object_or_404(RecognitionStatement, code=code.strip().upper())
    return render(request, "outcomes/recognition_verify.html", {"statement": statement})


# --- Coordinator pages -----------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """All outcome charts with their tables; aggregates only, small groups hidden."""
    _coordinator(request)
    charts = [(chart, drawn(chart)) for chart in selectors.cached_charts().values()]
    terms = Term.objects.select_related("program").order_by("-starts_on")[:12]
    return render(request, "outcomes/dashboard.html", {"charts": charts, "terms": terms})


@login_required
def export(request: HttpRequest, chart: str, fmt: str) -> HttpResponse:
    """One chart's table as CSV or XLSX: the same suppressed rows the page shows, formulas neutralised."""
    _coordinator(request)
    built = selectors.cached_charts([chart]).get(chart)
    if built is None or fmt not in {"csv", "xlsx"}:
        raise Http404
    rows = [built.columns, *built.rows]
    filename = f"outcomes-{chart}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(rows_to_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            rows_to_xlsx(rows, title=chart),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    """The annual outcomes report: the same suppressed tables as the page, with method notes."""
    _coordinator(request)
    body = annual_report_pdf(charts=list(selectors.cached_charts().values()), society=current_society().name)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="outcomes-report-{timezone.localdate():%Y}.pdf"'
    return response


@login_required
@require_POST
def term_surveys(request: HttpRequest, term_pk: int) -> HttpResponse:
    """Create the term's surveys and send links for those already open (each person once)."""
    _coordinator(request)
    term = get_object_or_404(Term, pk=term_pk)
    invited = services.survey_schedule_and_invite(term=term, actor=request.user)
    messages.success(
        request, _("Surveys ready for %(term)s; %(count)s links in use.") % {"term": term, "count": invited}
    )
    return redirect("outcomes:home")


@login_required
def instruments(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    return render(request, "outcomes/instruments.html", {"versions": InstrumentVersion.objects.all()})


@login_required
@require_http_methods(["GET", "POST"])
def instrument_wording(request: HttpRequest, pk: int) -> HttpResponse:
    """Paste the society's licensed wording for a licensed instrument, so its items can be asked."""
    _coordinator(request)
    version = get_object_or_404(InstrumentVersion, pk=pk, is_licensed=True)
    if version.key not in INSTRUMENTS:
        raise Http404
    form = WordingForm(
        request.POST or None,
        item_ids=licensed_item_ids(version.key),
        initial_wording=version.licensed_wording,
    )
    if request.method == "POST" and form.is_valid():
        services.instrument_wording_paste(instrument=version, wording=form.cleaned_data, actor=request.user)
        messages.success(request, _("Wording saved. These questions are now asked in new surveys."))
        return redirect("outcomes:instruments")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "outcomes/instrument_wording.html", {"version": version, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_import_upload(request: HttpRequest) -> HttpResponse:
    """Upload learners' pipeline steps (email, stage, since, note): checked first, nothing written yet."""
    _coordinator(request)
    form = PipelineImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error(
                "file", _("File: the limit for imports is 5 MB. Split the list into smaller files.")
            )
        else:
            try:
                batch = pipeline_import.pipeline_import_check(
                    actor=request.user, name=upload.name, data=upload.read()
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                return redirect("outcomes:pipeline_import_preview", pk=batch.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "stages": PipelineStage.Stage.choices}
    return render(request, "outcomes/pipeline_import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What an upload will write, or why it cannot; the import button writes everything or nothing."""
    _coordinator(request)
    batch = get_object_or_404(PipelineImport, pk=pk)
    if request.method == "POST":

        def enqueue(batch: PipelineImport) -> Any:
            return task_run_start(
                task=import_pipeline,
                kind="outcomes.pipeline_import",
                label=_("Import pipeline steps from %(name)s") % {"name": batch.original_name},
                user=request.user,
                batch_id=batch.pk,
                actor_id=request.user.pk,
            )

        try:
            run = pipeline_import.pipeline_import_start(batch=batch, actor=request.user, enqueue=enqueue)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("outcomes:pipeline_import_preview", pk=batch.pk)
        if run is not None:
            return redirect("task_progress", pk=run.pk)
        messages.success(
            request,
            ngettext(
                "%(count)d pipeline step imported.", "%(count)d pipeline steps imported.", len(batch.rows)
            )
            % {"count": len(batch.rows)},
        )
        return redirect("outcomes:pipeline_import_preview", pk=batch.pk)
    context = {
        "batch": batch,
        "sample": batch.rows[:20],
        "stages": dict(PipelineStage.Stage.choices),
        "errors": batch.errors[:200],
    }
    return render(request, "outcomes/pipeline_import_preview.html", context)
