"""Who calls the API: a personal access token (``Authorization: Bearer mf_<prefix>_<secret>``) or the browser
session (with its CSRF token). Tokens are checked in constant time, scoped (a read token never writes), and a
coordinator's or reviewer's token stops working the moment they no longer hold an authenticator.
"""

from __future__ import annotations

import hmac
import re
from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from mentorfold.accounts.mfa import SECOND_FACTORS, requires_mfa

from .models import PersonalAccessToken, secret_hash

TOKEN_RE = re.compile(r"^mf_([a-f0-9]{8,16})_([A-Za-z0-9_-]{20,128})$")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LAST_USED_EVERY = timedelta(minutes=1)
# Compared against when the prefix is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = secret_hash("mentorfold-no-such-token")


class RateLimited(HttpError):
    def __init__(self) -> None:
        super().__init__(429, _("Too many requests: wait a minute, then try again."))


def api_rate() -> str:
    return str(getattr(settings, "API_RATE_LIMIT", "120/m"))


def _limit(request: HttpRequest, key: str) -> None:
    if is_ratelimited(request, group="api", key=lambda _g, _r: key, rate=api_rate(), increment=True):
        raise RateLimited


def token_lookup(raw: str, *, now: Any = None) -> PersonalAccessToken:
    """The token this header value names; AuthenticationError (401) when unknown, wrong, expired or revoked."""
    now = now or timezone.now()
    match = TOKEN_RE.match(raw.strip())
    prefix, secret = match.groups() if match else ("", raw)
    token = (
        PersonalAccessToken.objects.select_related("user")
        .annotate(
            user_has_second_factor=Exists(
                Authenticator.objects.filter(user_id=OuterRef("user_id"), type__in=SECOND_FACTORS)
            )
        )
        .filter(prefix=prefix)
        .first()
        if match
        else None
    )
    expected = token.secret_sha256 if token is not None else _DUMMY_HASH
    same = hmac.compare_digest(secret_hash(secret), expected)
    if token is None or not same:
        raise AuthenticationError(401, _("This token is not valid. Create a new one on the API tokens page."))
    if token.revoked_at is not None:
        raise AuthenticationError(401, _("This token was revoked. Create a new one on the API tokens page."))
    if token.expires_at <= now:
        raise AuthenticationError(401, _("This token has expired. Create a new one on the API tokens page."))
    user = token.user
    if not user.is_active:
        raise AuthenticationError(401, _("This account is deactivated."))
    if requires_mfa(user) and not token.user_has_second_factor:
        raise AuthenticationError(
            401, _("Your role needs an authenticator app. Set one up again, then create a new token.")
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer mf_<prefix>_<secret>``; a read token calling a write endpoint gets 403."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_lookup(token)
        _limit(request, f"token:{found.prefix}")
        if request.method in WRITE_METHODS and not found.can_write:
            raise HttpError(
                403, _("This token can only read. Create a read-and-write token to make changes.")
            )
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser session; writes need the CSRF token (ninja checks it), calls are rate limited."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            _limit(request, f"user:{user.pk}")
        return user


api_auth = [TokenAuth(), BrowserSessionAuth()]
