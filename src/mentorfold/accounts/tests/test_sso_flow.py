"""Sign-in with the organisation's account, end to end against a real OpenID Connect provider.

The provider (django-oauth-toolkit, ``tests/oidc_provider``) runs as a second process on 127.0.0.1; Mentorfold
runs under pytest-django's live server on localhost (different hosts, so the two sessions' cookies never mix).
A ``requests.Session`` plays the browser and follows redirects across both servers. Nothing is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from mentorfold.accounts.models import MentorProfile, Role, User
from mentorfold.accounts.tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory, add_totp
from mentorfold.accounts.totp import current_totp_code
from mentorfold.core.models import AuditEvent

REPO = Path(__file__).resolve().parents[4]
CLIENT_ID = "mentorfold-test-client"
CLIENT_SECRET = "mentorfold-test-secret-0123456789"
PASSWORD = "provider-pass-123"  # tests/oidc_provider/management/commands/oidc_setup.py
CALLBACK = "/accounts/oidc/org/login/callback/"


@dataclass(frozen=True)
class Provider:
    url: str
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def oidc_provider(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """Start the test identity provider in its own process (own SQLite and RSA key in a temp dir)."""
    data = tmp_path_factory.mktemp("oidc_provider")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OIDC_PROVIDER_DIR": str(data),
        "OIDC_PROVIDER_ISSUER": f"{url}/o",
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PYTHONPATH": str(REPO),
    }
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "-v0"], env=env, cwd=REPO, check=True)
    setup = ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    redirect_uri = f"{live_server.url}{CALLBACK}"
    subprocess.run(
        [*django, "oidc_setup", *setup, "--redirect-uri", redirect_uri], env=env, cwd=REPO, check=True
    )
    log = data / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*django, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/o/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"test identity provider did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield Provider(url=url, log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def sso(settings: Any, oidc_provider: Provider) -> Provider:
    """Mentorfold configured as settings.py does from SSO_OIDC_* for the test provider."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "org",
                    "name": "County Health",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": oidc_provider.issuer},
                }
            ],
        }
    }
    settings.SSO_OIDC_NAME = "County Health"
    settings.SSO_OIDC_ALLOWED_DOMAINS = ["county.example"]
    settings.SSO_OIDC_DEFAULT_ROLE = "mentor"
    settings.SSO_OIDC_TRUST_AMR = False
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    return oidc_provider


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in_with_sso(site: str, provider: Provider, email: str) -> tuple[requests.Session, requests.Response]:
    """Click "Sign in with County Health", sign in at the provider, and follow it back to Mentorfold."""
    browser = requests.Session()
    login_page = browser.get(f"{site}/accounts/login/")
    assert "Sign in with County Health" in login_page.text
    at_provider = browser.post(
        f"{site}/accounts/oidc/org/login/", data={"csrfmiddlewaretoken": _csrf(login_page.text)}
    )
    assert at_provider.url.startswith(f"{provider.url}/login/"), at_provider.url
    back = browser.post(
        at_provider.url,
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(at_provider.text)},
    )
    return browser, back


def _path(response: requests.Response) -> str:
    return urlparse(response.url).path


def assert_not_opened(browser: requests.Session, url: str) -> None:
    """The page answers with a redirect to the login (which resumes the pending authenticator step)."""
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == reverse("account_login")


@pytest.mark.django_db
def test_without_configuration_there_is_no_button_and_no_sso_sign_in(client: Any) -> None:
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert client.post("/accounts/oidc/org/login/").status_code == 404
    assert client.get(CALLBACK + "?code=x&state=y").status_code == 404


def test_new_person_signs_up_with_the_societys_default_role(sso: Provider, live_server: Any) -> None:
    browser, page = sign_in_with_sso(live_server.url, sso, "new.mentor@county.example")

    # allauth found the provider's endpoints through discovery, and the token through the code flow.
    log = sso.log.read_text()
    assert "GET /o/.well-known/openid-configuration" in log
    assert "POST /o/token/" in log
    assert _path(page) == reverse("socialaccount_signup")
    assert 'value="new.mentor@county.example"' in page.text
    assert "join_as" not in page.text  # the role is the society's choice, not the form's
    assert "You are joining as a mentor" in page.text

    done = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _csrf(page.text),
            "full_name": "Nia Okafor",
            "specialty": "Family medicine",
            # A tampered form cannot change the address or pick another role.
            "email": "someone@elsewhere.example",
            "join_as": Role.LEARNER.value,
        },
    )
    assert _path(done) == reverse("dashboard")
    user = User.objects.get(email="new.mentor@county.example")
    assert user.role_names == {Role.MENTOR}
    assert user.full_name == "Nia Okafor"
    assert MentorProfile.objects.get(user=user).specialty == "Family medicine"
    assert SocialAccount.objects.get(user=user).provider == "org"
    assert EmailAddress.objects.get(user=user).verified
    assert not User.objects.filter(email="someone@elsewhere.example").exists()
    assert AuditEvent.objects.filter(actor=user, action="sso.signup").count() == 1


def test_learner_default_role_asks_the_learner_questions(
    sso: Provider, live_server: Any, settings: Any
) -> None:
    settings.SSO_OIDC_DEFAULT_ROLE = "learner"
    browser, page = sign_in_with_sso(live_server.url, sso, "new.learner@county.example")
    assert _path(page) == reverse("socialaccount_signup")
    assert 'name="date_of_birth"' in page.text and 'name="specialty"' not in page.text
    assert "You are joining as a learner" in page.text

    missing = browser.post(page.url, data={"csrfmiddlewaretoken": _csrf(page.text), "full_name": "Lee Tran"})
    assert _path(missing) == reverse("socialaccount_signup")
    assert not User.objects.filter(email="new.learner@county.example").exists()

    done = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _csrf(missing.text),
            "full_name": "Lee Tran",
            "stage": "undergraduate",
            "date_of_birth": "2004-05-06",
        },
    )
    assert _path(done) == reverse("dashboard")
    user = User.objects.get(email="new.learner@county.example")
    assert user.role_names == {Role.LEARNER}
    assert user.learner_profile.stage == "undergraduate"


def test_address_outside_the_organisations_domains_is_refused_and_nothing_is_stored(
    sso: Provider, live_server: Any
) -> None:
    users_before = User.objects.count()
    browser, page = sign_in_with_sso(live_server.url, sso, "outsider@elsewhere.example")
    assert _path(page) == reverse("account_login")
    assert "only for addresses ending in @county.example" in page.text
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert _path(browser.get(f"{live_server.url}{reverse('dashboard')}")) == reverse("account_login")


def test_existing_account_with_the_same_verified_address_is_linked(sso: Provider, live_server: Any) -> None:
    existing = UserFactory(email="linked.mentor@county.example", roles=[Role.MENTOR])

    browser, page = sign_in_with_sso(live_server.url, sso, "linked.mentor@county.example")

    assert _path(page) == reverse("dashboard")
    assert User.objects.filter(email__iexact="linked.mentor@county.example").count() == 1
    assert SocialAccount.objects.get(provider="org").user_id == existing.pk
    assert AuditEvent.objects.filter(actor=existing, action="sso.link").count() == 1
    # The next sign-in finds the linked account directly and links nothing again.
    again, page = sign_in_with_sso(live_server.url, sso, "linked.mentor@county.example")
    assert _path(page) == reverse("dashboard")
    assert SocialAccount.objects.count() == 1
    assert AuditEvent.objects.filter(action="sso.link").count() == 1


def test_unverified_address_from_the_provider_never_reaches_an_existing_account(
    sso: Provider, live_server: Any
) -> None:
    existing = UserFactory(email="unverified@county.example", roles=[Role.MENTOR])

    browser, page = sign_in_with_sso(live_server.url, sso, "unverified@county.example")

    assert _path(page) == reverse("socialaccount_signup")
    assert not SocialAccount.objects.exists()
    assert _path(browser.get(f"{live_server.url}{reverse('dashboard')}")) == reverse("account_login")
    refused = browser.post(
        page.url,
        data={"csrfmiddlewaretoken": _csrf(page.text), "full_name": "Uma Reyes", "specialty": "Surgery"},
    )
    # allauth answers as if it sent a confirmation (no one learns whether an account exists) and links nothing.
    assert _path(refused) == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="unverified@county.example").count() == 1
    assert not SocialAccount.objects.exists()
    existing.refresh_from_db()
    assert existing.has_usable_password()  # untouched: still signs in with its own password
    assert _path(browser.get(f"{live_server.url}{reverse('dashboard')}")) == reverse("account_login")


def test_coordinator_signing_in_with_sso_still_types_the_authenticator_code(
    sso: Provider, live_server: Any
) -> None:
    # This provider account reports amr=["pwd", "mfa"], but SSO_OIDC_TRUST_AMR is off.
    coordinator = UserFactory(email="coordinator.mfa@county.example", roles=[Role.COORDINATOR])
    add_totp(coordinator)
    people = f"{live_server.url}{reverse('people')}"

    browser, page = sign_in_with_sso(live_server.url, sso, "coordinator.mfa@county.example")

    assert _path(page) == reverse("mfa_authenticate")
    assert_not_opened(browser, people)
    page = browser.get(f"{live_server.url}{reverse('mfa_authenticate')}")
    done = browser.post(
        page.url, data={"csrfmiddlewaretoken": _csrf(page.text), "code": current_totp_code(TEST_TOTP_SECRET)}
    )
    assert _path(done) == reverse("dashboard")
    opened = browser.get(people)
    assert opened.status_code == 200 and _path(opened) == reverse("people")
    assert not AuditEvent.objects.filter(action="sso.mfa_from_provider").exists()


def test_trusted_amr_without_a_second_factor_does_not_skip_the_code(
    sso: Provider, live_server: Any, settings: Any
) -> None:
    settings.SSO_OIDC_TRUST_AMR = True
    coordinator = UserFactory(email="coordinator@county.example", roles=[Role.COORDINATOR])
    add_totp(coordinator)

    browser, page = sign_in_with_sso(live_server.url, sso, "coordinator@county.example")  # amr=["pwd"]

    assert _path(page) == reverse("mfa_authenticate")
    assert_not_opened(browser, f"{live_server.url}{reverse('people')}")


@pytest.mark.parametrize("has_local_authenticator", [True, False])
def test_trusted_amr_with_a_second_factor_counts_as_the_authenticator_step(
    sso: Provider, live_server: Any, settings: Any, has_local_authenticator: bool
) -> None:
    settings.SSO_OIDC_TRUST_AMR = True
    coordinator = UserFactory(email="coordinator.mfa@county.example", roles=[Role.COORDINATOR])
    if has_local_authenticator:
        add_totp(coordinator)

    browser, page = sign_in_with_sso(live_server.url, sso, "coordinator.mfa@county.example")

    assert _path(page) == reverse("dashboard")
    opened = browser.get(f"{live_server.url}{reverse('people')}")
    assert opened.status_code == 200 and _path(opened) == reverse("people")
    event = AuditEvent.objects.get(action="sso.mfa_from_provider")
    assert event.actor_id == coordinator.pk
    assert event.data["amr"] == ["mfa"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _real_id_token(provider: Provider, site: str) -> str:
    """An ID token issued by the provider to Mentorfold's client, fetched with the authorization-code flow."""
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": "openid email profile",
        "redirect_uri": f"{site}{CALLBACK}",
        "state": "s",
        "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    authorize = f"{provider.issuer}/authorize/?{urlencode(query)}"
    login_page = browser.get(authorize)
    redirect = browser.post(
        login_page.url,
        data={
            "username": "new.mentor@county.example",
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf(login_page.text),
        },
        allow_redirects=False,
    )
    redirect = browser.get(f"{provider.url}{redirect.headers['Location']}", allow_redirects=False)
    code = parse_qs(urlparse(redirect.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{provider.issuer}/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": query["redirect_uri"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    token.raise_for_status()
    return str(token.json()["id_token"])


def _verify(
    provider: Provider, credential: str, audience: str = CLIENT_ID, issuer: str | None = None
) -> dict[str, Any]:
    """allauth's own ID-token check, against the provider's real published keys."""
    return jwtkit.verify_and_decode(
        credential=credential,
        keys_url=f"{provider.issuer}/.well-known/jwks.json",
        issuer=issuer or provider.issuer,
        audience=audience,
        lookup_kid=jwtkit.lookup_kid_jwk,
    )


def test_id_tokens_with_a_wrong_audience_issuer_or_signature_are_refused(
    sso: Provider, live_server: Any
) -> None:
    credential = _real_id_token(sso, live_server.url)
    with pytest.raises(OAuth2Error):
        _verify(sso, credential, audience="another-client")
    with pytest.raises(OAuth2Error):
        _verify(sso, credential, issuer="https://impostor.example/o")

    claims = _verify(sso, credential)
    assert claims["email"] == "new.mentor@county.example" and claims["aud"] == CLIENT_ID

    header, payload, signature = credential.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["email"] = "coordinator@county.example"
    with pytest.raises(OAuth2Error):
        _verify(sso, f"{header}.{_b64url(json.dumps(forged).encode())}.{signature}")

    # The provider's key id, but signed with a key the provider never published.
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(credential)["kid"]
    unsigned_claims = {k: v for k, v in claims.items() if k != "jti"}
    resigned = jwt.encode(unsigned_claims, other_key, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(OAuth2Error):
        _verify(sso, resigned)


def test_connecting_an_identity_whose_address_belongs_to_someone_else_links_nobody(
    sso: Provider, live_server: Any
) -> None:
    """A signed-in person connects an organisation identity whose verified address is another account's:
    allauth refuses it, and no one is recorded as linked."""
    me = UserFactory(email="nia.okafor@county.example", roles=[Role.MENTOR])
    UserFactory(email="new.mentor@county.example", roles=[Role.MENTOR])
    browser = requests.Session()
    login_page = browser.get(f"{live_server.url}/accounts/login/")
    signed_in = browser.post(
        login_page.url,
        data={"csrfmiddlewaretoken": _csrf(login_page.text), "login": me.email, "password": TEST_PASSWORD},
    )
    assert _path(signed_in) == reverse("dashboard")
    at_provider = browser.post(
        f"{live_server.url}/accounts/oidc/org/login/?process=connect",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
    )
    assert at_provider.url.startswith(f"{sso.url}/login/")
    back = browser.post(
        at_provider.url,
        data={
            "username": "new.mentor@county.example",
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf(at_provider.text),
        },
    )
    assert _path(back) == reverse("socialaccount_connections")
    assert not SocialAccount.objects.exists()
    assert not AuditEvent.objects.filter(action="sso.link").exists()
