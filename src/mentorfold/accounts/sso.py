"""Sign-in with the organisation's account (OpenID Connect through allauth): the society's rules on top of it.

- Only e-mail domains in ``SSO_OIDC_ALLOWED_DOMAINS`` may sign in; anyone else is refused before anything is stored.
- A new person answers the normal sign-up questions and gets ``SSO_OIDC_DEFAULT_ROLE`` (mentor or learner):
  a role is never granted because the provider said so.
- An existing account is linked only through an address the provider marks verified (allauth's e-mail
  authentication); an unverified address never reaches someone else's account.
- Coordinators, reviewers and staff still pass the authenticator step (``accounts.mfa``), unless
  ``SSO_OIDC_TRUST_AMR`` is on and the ID token's ``amr`` names a second factor (RFC 8176): then the session gets
  an "mfa" authentication record of type ``sso_amr`` that ``session_passed_mfa`` accepts, and an audit row.

Settings are read in settings.py (block "Sign-in with the organisation's account"); docs/sso.md explains them.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa import stages as mfa_stages
from allauth.socialaccount import forms as social_forms
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from requests import RequestException

from mentorfold.core.audit import audit

from .models import Role

# RFC 8176 "amr" values that prove a factor beyond a password: a one-time code, a hardware key, a smart card, a
# biometric, or the provider's own "mfa". "pwd", "kba", "sms", "tel", "swk", "pin", "user" are not enough alone.
SECOND_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "sc", "fpt", "face", "iris", "retina", "vbm"})
logger = logging.getLogger(__name__)
SSO_ROLES = frozenset({Role.MENTOR.value, Role.LEARNER.value})


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def is_allowed_email(email: str | None) -> bool:
    """True when ``email`` belongs to one of the organisation's domains (exact match, no subdomains)."""
    if not email or "@" not in email:
        return False
    return email_domain(email) in {d.lower() for d in settings.SSO_OIDC_ALLOWED_DOMAINS}


def _sso_email(sociallogin: SocialLogin) -> str | None:
    addresses = sociallogin.email_addresses
    return addresses[0].email if addresses else (sociallogin.user.email if sociallogin.user else None)


def trusted_second_factors(sociallogin: SocialLogin | None) -> list[str]:
    """The ``amr`` values of this sign-in's ID token that count as a second factor, if the society trusts them."""
    if sociallogin is None or not settings.SSO_OIDC_TRUST_AMR:
        return []
    id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
    amr = id_token.get("amr")
    if not isinstance(amr, list):
        return []
    return sorted(SECOND_FACTOR_AMR.intersection(v for v in amr if isinstance(v, str)))


def default_role() -> Role:
    role = settings.SSO_OIDC_DEFAULT_ROLE
    if role not in SSO_ROLES:
        # settings.py refuses this at start-up; checked again so an override can never hand out a privileged role.
        raise ImproperlyConfigured("SSO_OIDC_DEFAULT_ROLE: use mentor or learner.")
    return Role(role)


class SSOSocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        found = super().get_provider(request, provider, client_id=client_id)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "openid_connect_login":
            self._check_provider_answers(request, found)
        return found

    def _check_provider_answers(self, request: HttpRequest, provider: Any) -> None:
        """allauth reads the provider's discovery document without catching errors: a provider that is down or
        answers nonsense sends the person back to the login page with a message instead of an error page."""
        try:
            with self.get_requests_session() as session:
                response = session.get(provider.server_url)
                response.raise_for_status()
                config = response.json()
            if not isinstance(config, dict) or not config.get("authorization_endpoint"):
                raise ValueError("no authorization_endpoint")
        except (RequestException, ValueError) as exc:
            logger.warning("SSO provider discovery failed at %s: %s", provider.server_url, exc)
            messages.error(
                request,
                _(
                    "%(name)s is not answering right now. Try again in a few minutes, or sign in with your "
                    "e-mail and password."
                )
                % {"name": provider.name},
            )
            raise ImmediateHttpResponse(redirect("account_login")) from exc

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Refuse addresses outside the organisation's domains before any account is created or linked."""
        email = _sso_email(sociallogin)
        if not is_allowed_email(email):
            messages.error(
                request,
                _(
                    "Sign-in with %(name)s is only for addresses ending in %(domains)s. Sign in with your "
                    "e-mail and password instead, or ask the society to invite you."
                )
                % {
                    "name": sociallogin.provider.name,
                    "domains": ", ".join(f"@{d}" for d in settings.SSO_OIDC_ALLOWED_DOMAINS),
                },
            )
            raise ImmediateHttpResponse(redirect("account_login"))
        signing_in = sociallogin.state.get("process", AuthProcess.LOGIN) == AuthProcess.LOGIN
        if signing_in and sociallogin._did_authenticate_by_email and not sociallogin.account.pk:
            # allauth links this verified address's account right after this hook (e-mail authentication).
            audit(
                actor=sociallogin.user,
                action="sso.link",
                target=sociallogin.user,
                data={"provider": sociallogin.account.provider, "email": email},
                request=request,
            )

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False  # new people answer the sign-up questions of their role

    def get_signup_form_initial_data(self, sociallogin: SocialLogin) -> dict[str, Any]:
        initial = super().get_signup_form_initial_data(sociallogin)
        data = sociallogin.account.extra_data or {}
        claims = data.get("userinfo") or data.get("id_token") or {}
        name = claims.get("name") or " ".join(
            p for p in (claims.get("given_name"), claims.get("family_name")) if p
        )
        initial["full_name"] = str(name or "")[:150]
        return initial

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        """Store the account (the form then adds the role and profile, as the normal sign-up does)."""
        user = super().save_user(request, sociallogin, form=form)
        audit(
            actor=user,
            action="sso.signup",
            target=user,
            data={"provider": sociallogin.account.provider, "role": settings.SSO_OIDC_DEFAULT_ROLE},
            request=request,
        )
        return user


class SSOSignupForm(social_forms.SignupForm):
    """The normal sign-up questions, without a password; the e-mail is the provider's and the role the society's."""

    template_name = "django/forms/div.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = default_role()
        self.fields.pop("join_as", None)
        unused = self.LEARNER_FIELDS if self.role == Role.MENTOR else self.MENTOR_FIELDS
        for name in unused:
            self.fields.pop(name, None)
        if self.role == Role.MENTOR:
            self.fields["specialty"].required = True
        else:
            self.fields["stage"].required = True
            self.fields["date_of_birth"].required = True
        email = self.fields.get("email")
        if email is not None:
            # The address decides the domain check and account linking: it is the provider's, not typed here.
            email.disabled = True
            email.help_text = _("From your organisation's account.")

    def clean(self) -> dict[str, Any]:
        self.cleaned_data["join_as"] = self.role.value
        return super().clean()

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        """The account, its social link, role and profile are stored together or not at all."""
        with transaction.atomic():
            return super().try_save(request)


class AuthenticateStage(mfa_stages.AuthenticateStage):
    """allauth's authenticator step, skipped only when the society trusts the provider's proof of a second factor."""

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        factors = trusted_second_factors(sociallogin)
        if user is None or not factors:
            return super().handle()
        record_authentication(
            self.request, user, "mfa", type="sso_amr", provider=sociallogin.account.provider, amr=factors
        )
        audit(
            actor=user,
            action="sso.mfa_from_provider",
            target=user,
            data={"provider": sociallogin.account.provider, "amr": factors},
            request=self.request,
        )
        return None, True
