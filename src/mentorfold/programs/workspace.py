"""The coordinator workspace for setup: programs, terms and clinic sites, without /admin/.

Thin views: every request value goes through a form in ``workspace_forms``; writes go through the services in
``setup`` (and ``services.program_create``). Coordinator-only; every page has a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorfold.core.forms import add_validation_errors

from . import setup
from .models import Program, Requirement, Site, Term
from .workspace_forms import (
    ArchiveForm,
    ProgramForm,
    SiteForm,
    SiteRequirementFormSet,
    TermAdvanceForm,
    TermForm,
)


def _require_coordinator(request: HttpRequest) -> None:
    if not request.user.has_perm("programs.manage"):
        raise PermissionDenied


def _status(request: HttpRequest, form: Any) -> int:
    return 400 if request.method == "POST" and form.errors else 200


# --- Programs -------------------------------------------------------------------------------------------


@login_required
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    programs = Program.objects.prefetch_related(
        Prefetch("terms", Term.objects.order_by("-starts_on", "name"))
    ).order_by("archived_at", "name")
    return render(request, "programs/workspace/program_list.html", {"programs": programs})


@login_required
@require_http_methods(["GET", "POST"])
def program_new(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            program = setup.program_create_with_sites(actor=request.user, sites=data.pop("sites"), **data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request, _("%(program)s was created. Add its first term.") % {"program": program}
            )
            return redirect("programs:workspace_program", pk=program.pk)
    return render(
        request,
        "programs/workspace/program_form.html",
        {"form": form, "program": None},
        status=_status(request, form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    program = get_object_or_404(Program, pk=pk)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            setup.program_update(actor=request.user, program=form.instance, sites=form.cleaned_data["sites"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("programs:workspace_program", pk=program.pk)
    terms = (
        Term.objects.filter(program=program)
        .annotate(applications=Count("enrollments"))
        .order_by("-starts_on")
    )
    return render(
        request,
        "programs/workspace/program_form.html",
        {"form": form, "program": program, "terms": terms, "archive_form": ArchiveForm()},
        status=_status(request, form),
    )


@login_required
@require_POST
def program_archive(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    program = get_object_or_404(Program, pk=pk)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Archive: choose archive or bring back."), status=400)
    archive = form.cleaned_data["archive"]
    try:
        setup.program_archive(actor=request.user, program=program, archive=archive)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(program)s is archived and hidden from the public list.") % {"program": program.name}
            if archive
            else _("%(program)s is back.") % {"program": program.name},
        )
    return redirect("programs:workspace_program", pk=program.pk)


# --- Terms ----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def term_new(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    program = get_object_or_404(Program, pk=pk)
    form = TermForm(request.POST or None, instance=Term(program=program))
    if request.method == "POST" and form.is_valid():
        try:
            term = setup.term_save(actor=request.user, term=form.instance)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("%(term)s was created as a draft.") % {"term": term.name})
            return redirect("programs:workspace_term", pk=term.pk)
    return render(
        request,
        "programs/workspace/term_form.html",
        {"form": form, "program": program, "term": None},
        status=_status(request, form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def term_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    term = get_object_or_404(Term.objects.select_related("program"), pk=pk)
    form = TermForm(request.POST or None, instance=term)
    if request.method == "POST" and form.is_valid():
        try:
            setup.term_save(actor=request.user, term=form.instance)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("programs:workspace_term", pk=term.pk)
    next_status = setup.next_term_status(term.status)
    return render(
        request,
        "programs/workspace/term_form.html",
        {
            "form": form,
            "program": term.program,
            "term": term,
            "next_status": Term.Status(next_status).label if next_status else None,
            "advance_form": TermAdvanceForm(initial={"expected": term.status}),
            "flow": [(Term.Status(s), s == term.status) for s in setup.TERM_FLOW],
        },
        status=_status(request, form),
    )


@login_required
@require_POST
def term_advance(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    term = get_object_or_404(Term, pk=pk)
    form = TermAdvanceForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Status: reload the page and try again."), status=400)
    try:
        term = setup.term_advance(actor=request.user, term=term, expected=form.cleaned_data["expected"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(term)s is now: %(status)s.") % {"term": term.name, "status": term.get_status_display()},
        )
    return redirect("programs:workspace_term", pk=term.pk)


# --- Sites ----------------------------------------------------------------------------------------------


def _site_page(request: HttpRequest, site: Site | None) -> HttpResponse:
    instance = site or Site()
    form = SiteForm(request.POST or None, instance=instance, prefix="site")
    formset = SiteRequirementFormSet(
        request.POST or None,
        instance=instance,
        prefix="requirements",
        queryset=Requirement.objects.filter(site=site) if site else Requirement.objects.none(),
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        keep = [f.instance for f in formset.forms if f.has_changed() and f not in formset.deleted_forms]
        remove = [f.instance for f in formset.deleted_forms if f.instance.pk is not None]
        try:
            saved = setup.site_save(actor=request.user, site=form.instance, requirements=keep, remove=remove)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("%(site)s was saved.") % {"site": saved.name})
            return redirect("programs:workspace_site", pk=saved.pk)
    failed = request.method == "POST" and (form.errors or formset.total_error_count())
    return render(
        request,
        "programs/workspace/site_form.html",
        {"form": form, "formset": formset, "site": site},
        status=400 if failed else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_new(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    return _site_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    return _site_page(request, get_object_or_404(Site, pk=pk))
