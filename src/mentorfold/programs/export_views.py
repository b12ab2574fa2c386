"""Coordinator exports run as background jobs: POST starts one, the progress page links to the file.

A 20,000-row workbook took seconds to build inside a web request (issue 14 §5); now a worker writes it to
private storage and any coordinator (``programs.manage``) downloads it for 24 hours, then it is deleted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mentorfold.core.audit import audit
from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import task_run_start
from mentorfold.core.uploads import private_storage

from . import exporting
from .tasks import export_people

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportForm(forms.Form):
    """What to export, from the URL: anything outside the lists is a 404."""

    kind = forms.ChoiceField(choices=[(k, k) for k in exporting.EXPORT_KINDS])
    fmt = forms.ChoiceField(choices=[(f, f) for f in exporting.EXPORT_FORMATS])


def _require_manage(request: HttpRequest) -> None:
    if not request.user.has_perm("programs.manage"):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """POST starts the export job (or finds this person's same one) and answers 303 to its progress page.

    GET, from an old bookmark, answers 303 to the coordinator page with the export buttons.
    """
    _require_manage(request)
    form = ExportForm({"kind": kind, "fmt": fmt})
    if not form.is_valid():
        raise Http404
    if request.method == "GET":
        return HttpResponseRedirect(reverse("programs:manage") + "#exports", status=303)
    kind, fmt = form.cleaned_data["kind"], form.cleaned_data["fmt"]
    labels = {
        "learners": _("Export learners (%(format)s)"),
        "mentors": _("Export mentors (%(format)s)"),
        "enrollments": _("Export applications (%(format)s)"),
    }

    def enqueue(run_kind: str) -> TaskRun:
        return task_run_start(
            task=export_people,
            kind=run_kind,
            label=labels[kind] % {"format": fmt.upper()},
            user=request.user,
            export_kind=kind,
            fmt=fmt,
            actor_id=request.user.pk,
        )

    run = exporting.export_start(actor=request.user, kind=kind, fmt=fmt, enqueue=enqueue)
    return HttpResponseRedirect(reverse("task_progress", args=[run.pk]), status=303)


@login_required
@never_cache
@require_GET
def export_download(request: HttpRequest, pk: Any) -> HttpResponse:
    """The file of a finished export job, for any coordinator; after 24 hours a page says it expired."""
    _require_manage(request)
    run = get_object_or_404(TaskRun, pk=pk, kind__startswith=exporting.EXPORT_RUN_PREFIX)
    what = exporting.export_of_run(run)
    if what is None:
        raise Http404
    kind, fmt = what
    if not run.is_done:
        return redirect("task_progress", pk=run.pk)
    if run.status != TaskRun.Status.SUCCEEDED:
        raise Http404
    storage = private_storage()
    name = exporting.export_storage_name(run, fmt)
    if exporting.export_is_expired(run) or not storage.exists(name):
        response = render(request, "programs/export_expired.html", {"run": run}, status=410)
        response["Cache-Control"] = "private, no-store"
        return response
    audit(
        actor=request.user,
        action="export_download",
        data={"kind": kind, "format": fmt, "task_run": str(run.pk)},
        request=request,
    )
    day = timezone.localdate(run.finished_at) if run.finished_at else timezone.localdate()
    response = FileResponse(
        storage.open(name, "rb"),
        as_attachment=True,
        filename=exporting.export_download_name(kind, fmt, day),
        content_type=CONTENT_TYPES[fmt],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
