"""Coordinators, reviewers and admin users see private data about learners and applicants: they must use MFA.

Having an authenticator is not enough: the session must have passed it (see ``accounts.mfa``). Whatever path
logged the session in (the admin's login form, a password reset, an invitation, a future API or SSO), a session
of an account with an authenticator that did not pass the code step is logged out and sent to the real login,
which asks for the code. An account without an authenticator may only open the pages that set one up.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .mfa import has_second_factor, requires_mfa, session_passed_mfa

# Pages a privileged user without an authenticator may still open, to set one up.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")


class RequireMFAForPrivilegedRoles:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        static = "/" + settings.STATIC_URL.lstrip("/")
        if user is None or request.path.startswith(static) or not requires_mfa(user):
            return self.get_response(request)
        if session_passed_mfa(request, user):
            # An authenticator code, or a second factor the organisation's sign-in proved (trusted, sso.py).
            return self.get_response(request)
        if has_second_factor(user):
            next_url = request.get_full_path() if request.method == "GET" else reverse("dashboard")
            logout(request)
            messages.info(request, _("Log in again with your authenticator code to continue."))
            login_url = resolve_url(settings.LOGIN_URL)
            return redirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
        if request.path.startswith(ALLOWED_PREFIXES):
            return self.get_response(request)
        messages.warning(
            request,
            _("Your role gives you access to private information. Set up an authenticator app to continue."),
        )
        return redirect(reverse("mfa_activate_totp"))
