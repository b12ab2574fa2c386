"""Creating and revoking personal access tokens (the only writes the API app owns)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.mfa import has_second_factor, requires_mfa, session_passed_mfa
from mentorfold.core.audit import audit

from .models import PersonalAccessToken, secret_hash

MAX_LIFETIME = timedelta(days=366)


def may_create_tokens(request: HttpRequest) -> bool:
    """Coordinators and reviewers need a session that passed the authenticator step (not only a device)."""
    user = request.user
    if not user.is_authenticated:
        return False
    if not requires_mfa(user):
        return True
    return has_second_factor(user) and session_passed_mfa(request, user)


def token_create(
    *, request: HttpRequest, name: str, scope: str, expires_at: datetime, now: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """Make a token for the signed-in person; returns it and the full secret, which is never stored."""
    now = now or timezone.now()
    if not may_create_tokens(request):
        raise PermissionDenied
    if expires_at <= now:
        raise ValidationError({"expires_at": _("Expires: choose a date in the future.")})
    if expires_at > now + MAX_LIFETIME:
        raise ValidationError({"expires_at": _("Expires: choose a date within one year.")})
    if scope not in PersonalAccessToken.Scope.values:
        raise ValidationError({"scope": _("Access: choose read only, or read and write.")})
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = PersonalAccessToken(
            user=request.user,
            name=name.strip(),
            prefix=secrets.token_hex(4),
            secret_sha256=secret_hash(secret),
            scope=scope,
            expires_at=expires_at,
        )
        token.full_clean()
        token.save()
        audit(
            actor=request.user,
            action="api.token_create",
            target=token,
            data={"scope": scope, "expires_at": expires_at.isoformat()},
            request=request,
        )
    return token, f"mf_{token.prefix}_{secret}"


def token_revoke(*, token: PersonalAccessToken, actor: Any, now: datetime | None = None) -> bool:
    """Revoke the token (only its owner may); False when it was already revoked."""
    now = now or timezone.now()
    if token.user_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        changed = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if changed:
            token.revoked_at = now
            audit(actor=actor, action="api.token_revoke", target=token)
    return bool(changed)
