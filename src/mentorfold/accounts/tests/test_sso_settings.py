"""SSO settings are read from the environment and fail loudly; the society's rules on the provider's answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin

from mentorfold.accounts.sso import is_allowed_email, trusted_second_factors

REPO = Path(__file__).resolve().parents[4]
PRINT_SSO_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'providers': s.SOCIALACCOUNT_PROVIDERS, 'domains': s.SSO_OIDC_ALLOWED_DOMAINS, "
    "'role': s.SSO_OIDC_DEFAULT_ROLE, 'trust_amr': s.SSO_OIDC_TRUST_AMR, "
    "'form_action': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']}))"
)
COMPLETE = {
    "SSO_OIDC_ISSUER": "https://login.county.example/realms/staff/",
    "SSO_OIDC_CLIENT_ID": "mentorfold",
    "SSO_OIDC_CLIENT_SECRET": "not-a-real-secret",
    "SSO_OIDC_NAME": "County Health",
    "SSO_OIDC_ALLOWED_DOMAINS": "county.example, @Clinic.County.example",
    "SSO_OIDC_DEFAULT_ROLE": "mentor",
}


def load_settings(**sso_env: str) -> subprocess.CompletedProcess[str]:
    """Load settings.py in a fresh interpreter with these SSO_* variables (and no others)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "mentorfold.settings", "PYTHONPATH": str(REPO / "src"), **sso_env})
    return subprocess.run(
        [sys.executable, "-c", PRINT_SSO_SETTINGS],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_complete_configuration_builds_the_openid_connect_app() -> None:
    result = load_settings(**COMPLETE)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    (app,) = loaded["providers"]["openid_connect"]["APPS"]
    assert app["provider_id"] == "org" and app["name"] == "County Health"
    assert app["client_id"] == "mentorfold" and app["secret"] == "not-a-real-secret"
    assert app["settings"] == {"server_url": "https://login.county.example/realms/staff"}
    assert loaded["providers"]["openid_connect"]["OAUTH_PKCE_ENABLED"] is True
    assert loaded["domains"] == ["county.example", "clinic.county.example"]
    assert loaded["trust_amr"] is False
    assert "https://login.county.example" in loaded["form_action"]


def test_without_an_issuer_there_is_no_provider() -> None:
    result = load_settings()
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["providers"] == {}
    assert loaded["form_action"] == ["'self'"]


@pytest.mark.parametrize("role", ["coordinator", "reviewer", "guardian", "admin"])
def test_a_privileged_or_unknown_default_role_stops_the_start(role: str) -> None:
    result = load_settings(**{**COMPLETE, "SSO_OIDC_DEFAULT_ROLE": role})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "use mentor or learner" in result.stderr


@pytest.mark.parametrize(
    "missing",
    ["SSO_OIDC_CLIENT_ID", "SSO_OIDC_CLIENT_SECRET", "SSO_OIDC_ALLOWED_DOMAINS", "SSO_OIDC_DEFAULT_ROLE"],
)
def test_an_issuer_without_the_rest_stops_the_start(missing: str) -> None:
    result = load_settings(**{k: v for k, v in COMPLETE.items() if k != missing})
    assert result.returncode != 0
    assert f"also set {missing}" in result.stderr


def test_a_plain_http_issuer_stops_a_production_start() -> None:
    result = load_settings(
        **{**COMPLETE, "SSO_OIDC_ISSUER": "http://login.county.example"}, DEBUG="false", SECRET_KEY="x" * 50
    )
    assert result.returncode != 0
    assert "must start with https://" in result.stderr


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("nia@county.example", True),
        ("Nia@COUNTY.example", True),
        ("nia@clinic.county.example", False),  # subdomains only when listed
        ("nia@county.example.evil.test", False),
        ("nia@evilcounty.example", False),
        ("county.example", False),
        ("", False),
        (None, False),
    ],
)
def test_only_listed_domains_may_sign_in(settings: Any, email: str | None, allowed: bool) -> None:
    settings.SSO_OIDC_ALLOWED_DOMAINS = ["county.example"]
    assert is_allowed_email(email) is allowed


def _login_with_id_token(claims: dict[str, Any]) -> SocialLogin:
    return SocialLogin(account=SocialAccount(provider="org", uid="1", extra_data={"id_token": claims}))


@pytest.mark.parametrize(
    ("amr", "trusted"),
    [
        (["pwd", "mfa"], ["mfa"]),
        (["pwd", "otp"], ["otp"]),
        (["hwk", "fpt"], ["fpt", "hwk"]),
        (["pwd"], []),
        (["pwd", "sms"], []),  # RFC 8176: a text message is not counted here
        (["swk", "pin"], []),
        ("mfa", []),  # not a list: ignored
        ([1, None, {"mfa": True}], []),
        (None, []),
    ],
)
def test_only_second_factor_amr_values_count_when_trusted(
    settings: Any, amr: Any, trusted: list[str]
) -> None:
    settings.SSO_OIDC_TRUST_AMR = True
    assert trusted_second_factors(_login_with_id_token({"amr": amr})) == trusted


def test_amr_counts_for_nothing_unless_the_society_trusts_it(settings: Any) -> None:
    settings.SSO_OIDC_TRUST_AMR = False
    assert trusted_second_factors(_login_with_id_token({"amr": ["mfa"]})) == []
    settings.SSO_OIDC_TRUST_AMR = True
    # amr from the userinfo answer is not the ID token's: only the ID token counts.
    userinfo_only = SocialLogin(
        account=SocialAccount(provider="org", uid="1", extra_data={"userinfo": {"amr": ["mfa"]}})
    )
    assert trusted_second_factors(userinfo_only) == []


@pytest.fixture
def unreachable_provider(settings: Any) -> None:
    """SSO configured for a provider that does not answer (nothing listens on port 9)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "org",
                    "name": "County Health",
                    "client_id": "mentorfold",
                    "secret": "not-a-real-secret",
                    "settings": {"server_url": "http://127.0.0.1:9/o"},
                }
            ]
        }
    }
    settings.SSO_OIDC_ALLOWED_DOMAINS = ["county.example"]
    settings.SSO_OIDC_DEFAULT_ROLE = "mentor"


@pytest.mark.django_db
def test_a_provider_that_does_not_answer_sends_people_back_to_the_login_with_a_message(
    client: Any, unreachable_provider: None
) -> None:
    page = client.get("/accounts/login/")
    assert b"Sign in with County Health" in page.content
    response = client.post("/accounts/oidc/org/login/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert b"County Health is not answering" in response.content


@pytest.mark.django_db
def test_made_up_callbacks_get_an_error_page_not_a_crash(client: Any, unreachable_provider: None) -> None:
    for query in ("?code=x&state=y", "?error=access_denied&state=y", "", "?state=" + "x" * 5000):
        response = client.get("/accounts/oidc/org/login/callback/" + query)
        assert response.status_code in {400, 401}, query


@pytest.mark.django_db
def test_login_page_with_sso_stays_within_its_query_budget(
    client: Any, unreachable_provider: None, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(
        1
    ):  # the configured apps come from settings; one query for stored apps
        page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"Sign in with County Health" in page.content
