"""The Mentorfold JSON API (/api/v1/): one NinjaAPI, one error shape for every failure."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from . import catalog, people, progress, reviews, visits
from .auth import api_auth


class MentorfoldAPI(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        """Answers carry personal data and are fetched with a token no cache sees: never store them."""
        response = super().create_response(request, data, *args, **kwargs)
        patch_cache_control(response, no_store=True, private=True)
        return response


api = MentorfoldAPI(
    title="Mentorfold API",
    version="1",
    urls_namespace="api-v1",
    auth=api_auth,
    docs_url="/docs",
    description=(
        "Programs, mentors, clinic visits and grant reviews. Authenticate with a personal access token "
        "(`Authorization: Bearer mf_…`, made on /api/tokens/) or your signed-in browser session."
    ),
)


def error_response(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


def _django_errors(exc: ValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if field == "__all__" else field, "message": str(message)}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": str(message)} for message in exc.messages]


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _django_errors(exc)
    detail = errors[0]["message"] if len(errors) == 1 else _("Some values need fixing.")
    return error_response(request, 400, detail, errors)


@api.exception_handler(NinjaValidationError)
def _on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "form", "header", "cookie"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        errors.append({"field": ".".join(loc), "message": str(error.get("msg", ""))})
    return error_response(request, 422, _("Some values are missing or in the wrong format."), errors)


@api.exception_handler(PermissionDenied)
def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, str(exc) or _("You do not have permission to do this."))


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, _("Not found."))


@api.exception_handler(ObjectDoesNotExist)
def _on_missing_object(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, _("Not found."))


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message if exc.message != "Unauthorized" else _("Sign in, or send a personal access token.")
    response = error_response(request, 401, detail)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, str(exc))


api.add_router("/", catalog.router)
api.add_router("/", people.router)
api.add_router("/", progress.router)
api.add_router("/", visits.router)
api.add_router("/", reviews.router)
