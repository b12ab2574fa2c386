"""Claims the test provider puts in the ID token and userinfo: e-mail, whether it is verified, and ``amr``.

Users in the group ``unverified`` get ``email_verified: false``; users in the group ``mfa`` get
``amr: ["pwd", "mfa"]`` (as if they had typed an authenticator code at the provider), others ``["pwd"]``.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "amr": "openid"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        groups = set(user.groups.values_list("name", flat=True))
        return {
            "email": user.email,
            "email_verified": "unverified" not in groups,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "amr": ["pwd", "mfa"] if "mfa" in groups else ["pwd"],
        }
