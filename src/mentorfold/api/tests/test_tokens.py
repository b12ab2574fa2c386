"""Personal access tokens: made on the tokens page, used, scoped, revoked, expired; the secret never stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts.tests.auth import login_with_mfa, login_without_mfa
from mentorfold.api.models import PersonalAccessToken
from mentorfold.core.models import AuditEvent

from .factories import World, bearer, make_token

pytestmark = pytest.mark.django_db


def _create(client: Client, **data: Any) -> Any:
    values = {
        "name": "My spreadsheet",
        "scope": "read",
        "expires_on": timezone.localdate() + timedelta(days=30),
    }
    values.update(data)
    return client.post(reverse("api_tokens"), values)


def _raw_secret(response: Any) -> str:
    return response.context["secret"]


def test_a_learner_creates_a_token_and_sees_the_secret_once(client: Client, learner: Any) -> None:
    client.force_login(learner.user)
    response = _create(client)
    raw = _raw_secret(response)
    assert raw.startswith("mf_") and raw in response.content.decode()
    token = PersonalAccessToken.objects.get(user=learner.user)
    assert raw.startswith(f"mf_{token.prefix}_")
    assert AuditEvent.objects.filter(action="api.token_create", target_id=str(token.pk)).exists()
    page = client.get(reverse("api_tokens"))
    assert raw not in page.content.decode()
    assert f"mf_{token.prefix}_" in page.content.decode()


def test_the_secret_appears_nowhere_in_the_database(client: Client, learner: Any) -> None:
    client.force_login(learner.user)
    raw = _raw_secret(_create(client))
    secret = raw.split("_", 2)[2]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from the database
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and secret in v for v in row), table


def test_a_token_reads_and_records_its_last_use_at_most_once_a_minute(learner: Any) -> None:
    token, raw = make_token(learner.user, scope="read")
    api = Client(**bearer(raw))
    assert api.get("/api/v1/me").json()["email"] == learner.user.email
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_a_token_request_costs_a_bounded_number_of_queries(
    learner: Any, django_assert_max_num_queries: Any
) -> None:
    _token, raw = make_token(learner.user, scope="read")
    api = Client(**bearer(raw))
    api.get("/api/v1/me")  # records last use
    # token (with user and authenticator check), groups, learner profile, school
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/me").status_code == 200


def test_a_read_token_cannot_write(world: World, learner: Any) -> None:
    _token, raw = make_token(learner.user, scope="read")
    response = Client(**bearer(raw)).post(
        f"/api/v1/bookings/{world.booking.pk}/cancel", {"reason": "Exam"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("This token can only read")
    world.booking.refresh_from_db()
    assert world.booking.status == "booked"


def test_a_read_write_token_writes_and_the_write_is_audited(world: World, learner: Any) -> None:
    token, raw = make_token(learner.user, scope="read_write")
    response = Client(**bearer(raw)).post(
        f"/api/v1/bookings/{world.booking.pk}/cancel", {"reason": "Exam"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    event = AuditEvent.objects.get(action="api.booking_cancel")
    assert event.actor == learner.user and event.data["via"] == f"token:{token.prefix}"


@pytest.mark.parametrize("state", ["revoked", "expired", "wrong secret", "garbage"])
def test_unusable_tokens_get_401_with_the_error_body(learner: Any, state: str) -> None:
    token, raw = make_token(learner.user)
    if state == "revoked":
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    elif state == "expired":
        token.expires_at = timezone.now() - timedelta(seconds=1)
        token.save(update_fields=["expires_at"])
    elif state == "wrong secret":
        raw = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    else:
        raw = "mf_nothex_" + "x" * 40
    response = Client(**bearer(raw)).get("/api/v1/me")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]


def test_revoking_on_the_page_stops_the_token(client: Client, learner: Any) -> None:
    token, raw = make_token(learner.user)
    client.force_login(learner.user)
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api.token_revoke").exists()
    assert Client(**bearer(raw)).get("/api/v1/me").status_code == 401


def test_nobody_revokes_someone_elses_token(client: Client, learner: Any, other_learner: Any) -> None:
    token, _raw = make_token(learner.user)
    client.force_login(other_learner.user)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expiry_must_be_within_a_year(client: Client, learner: Any) -> None:
    client.force_login(learner.user)
    response = _create(client, expires_on=timezone.localdate() + timedelta(days=400))
    assert response.status_code == 200
    assert "within one year" in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_a_coordinator_needs_an_mfa_session_to_create_a_token(client: Client, coordinator: Any) -> None:
    login_without_mfa(client, coordinator)
    response = _create(client)
    # The MFA middleware logs out a privileged session that skipped the code step.
    assert response.status_code == 302
    assert not PersonalAccessToken.objects.exists()
    login_with_mfa(client, coordinator)
    response = _create(client)
    assert response.status_code == 200 and _raw_secret(response)


def test_the_token_page_itself_refuses_a_privileged_session_without_mfa(rf: Any, reviewer: Any) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from mentorfold.api.views import token_list

    request = rf.post(
        "/api/tokens/",
        {"name": "x", "scope": "read", "expires_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
    )
    request.user = reviewer.user
    request.session = SessionStore()
    request._dont_enforce_csrf_checks = True
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        token_list(request)
    assert not PersonalAccessToken.objects.exists()


def test_a_privileged_token_stops_working_when_the_authenticator_is_removed(reviewer: Any) -> None:
    _token, raw = make_token(reviewer.user, scope="read")
    api = Client(**bearer(raw))
    assert api.get("/api/v1/reviews").status_code == 200
    Authenticator.objects.filter(user=reviewer.user).delete()
    response = api.get("/api/v1/reviews")
    assert response.status_code == 401
    assert "authenticator" in response.json()["detail"]


def test_tokens_are_rate_limited_per_token(learner: Any, settings: Any) -> None:
    settings.API_RATE_LIMIT = "3/m"
    _token, raw = make_token(learner.user, scope="read")
    _other, other_raw = make_token(learner.user, scope="read")
    api = Client(**bearer(raw))
    codes = [api.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = api.get("/api/v1/me").json()
    assert set(body) == {"detail", "errors"} and "Too many requests" in body["detail"]
    assert Client(**bearer(other_raw)).get("/api/v1/me").status_code == 200
