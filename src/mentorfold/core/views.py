"""Public pages, health check, error pages and task progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .models import TaskRun
from .notices import notices_mark_read
from .redirects import safe_next


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def become_mentor(request: HttpRequest) -> HttpResponse:
    return render(request, "core/become_mentor.html")


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """Who runs this site and how to reach them."""
    return render(request, "core/about.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """What we store, who sees it, and that nothing about patients is kept."""
    return render(request, "core/privacy.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness + database check for load balancers and uptime monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
@never_cache
def task_progress(request: HttpRequest, pk: str) -> HttpResponse:
    """Progress of one long job; htmx polls this fragment until the job is done."""
    run = get_object_or_404(TaskRun, pk=pk)
    if run.created_by_id != request.user.pk and not request.user.has_role("coordinator"):
        raise PermissionDenied
    template = "core/_task_progress.html" if request.htmx else "core/task_progress.html"
    return render(request, template, {"run": run})


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    notices_mark_read(user=request.user)
    return redirect(safe_next(request, reverse("dashboard")))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
