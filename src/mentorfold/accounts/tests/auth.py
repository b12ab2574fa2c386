"""Logging test clients in, with or without the MFA step (see ``accounts.mfa``).

The root conftest makes ``client.force_login(user)`` count as a full login, authenticator code included, for
users who have an authenticator: force_login skips authentication entirely, so tests of other apps keep
testing their own pages. Tests of the MFA rule itself log in through real requests, or with
``login_without_mfa`` to get a session that holds the password step only.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str
from django.test.client import ClientMixin

from mentorfold.accounts.mfa import SECOND_FACTORS

# Django's own force_login, kept before the conftest replaces it.
plain_force_login = ClientMixin.force_login


def mark_session_mfa_verified(client: Any, user: Any) -> None:
    """Write what allauth writes after a password and an authenticator code into the client's session."""
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).first()
    now = time.time()
    records = [
        {"method": "password", "at": now, "email": user.email},
        {
            "method": "mfa",
            "at": now,
            "id": authenticator.pk if authenticator else None,
            "type": authenticator.type if authenticator else "totp",
        },
    ]
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


def login_with_mfa(client: Any, user: Any) -> None:
    """A session as after allauth's login with password and authenticator code."""
    plain_force_login(client, user)
    mark_session_mfa_verified(client, user)


def login_without_mfa(client: Any, user: Any) -> None:
    """A session that passed the password step only (what the admin's old login form gave)."""
    plain_force_login(client, user)


def force_login_counting_as_mfa(client: Any, user: Any, backend: str | None = None) -> None:
    """Replacement for ``Client.force_login`` in tests: users with an authenticator also pass the code step."""
    from allauth.mfa.models import Authenticator

    plain_force_login(client, user, backend)
    if Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists():
        mark_session_mfa_verified(client, user)
