"""Who must use MFA, and whether THIS session passed it.

A device on the account is not enough: every login path (allauth's login, the admin's, a password reset, an
invitation) must leave an allauth "mfa" authentication record in the session before a privileged page opens.
allauth writes that record when the authenticator code is checked (login step, re-authentication, or the code
typed to activate the authenticator).

Keep allauth's MFA_TRUST_ENABLED ("trust this browser") off: a trusted browser skips the code step, leaves no
"mfa" record, and would be sent back to the login on every privileged page.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from .models import PRIVILEGED_ROLES

# Authenticators that prove a second factor at login (recovery codes only back them up).
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def requires_mfa(user: Any) -> bool:
    """Coordinators, reviewers and anyone who can open the admin see private data: they need MFA."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or not PRIVILEGED_ROLES.isdisjoint(user.role_names))


def has_second_factor(user: Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def session_passed_mfa(request: HttpRequest, user: Any) -> bool:
    """True when this session (for this user) holds allauth's record of an authenticator code check."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def record_enrollment_as_mfa(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    """Typing the first code to activate an authenticator proves the second factor for this session too.

    Only reachable for an account that had no second factor: a session of an account with one that did not pass
    the MFA step is logged out by the middleware before it can open the activation page.
    """
    from allauth.account.internal.flows.login import record_authentication

    current = getattr(request, "user", None)
    if authenticator.type in SECOND_FACTORS and current is not None and current.pk == user.pk:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
        )
