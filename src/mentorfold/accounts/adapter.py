from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("dashboard")

    def get_login_stages(self) -> list[str]:
        # The authenticator step also honours a trusted second factor from the organisation's sign-in (sso.py).
        return [
            "mentorfold.accounts.sso.AuthenticateStage" if s == "allauth.mfa.stages.AuthenticateStage" else s
            for s in super().get_login_stages()
        ]
