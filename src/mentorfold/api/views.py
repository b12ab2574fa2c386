"""The API tokens page (/api/tokens/): list, create (secret shown once), revoke; and /api/docs."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import TokenCreateForm
from .models import PersonalAccessToken


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    allowed = services.may_create_tokens(request)
    form = TokenCreateForm(request.POST or None)
    secret = ""
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        if form.is_valid():
            end_of_day = datetime.combine(form.cleaned_data["expires_on"], time(23, 59, 59))
            try:
                _token, secret = services.token_create(
                    request=request,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=timezone.make_aware(end_of_day),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                form = TokenCreateForm()
    tokens = PersonalAccessToken.objects.filter(user=request.user).order_by("-created_at")[:100]
    context = {"tokens": tokens, "form": form, "secret": secret, "allowed": allowed, "now": timezone.now()}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    services.token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” no longer works.") % {"name": token.name})
    return redirect("api_tokens")


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    return redirect("api-v1:openapi-view")
