"""Two real, simultaneous sign-ups with one address on PostgreSQL: one account, no 500."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from allauth.account.internal.flows import manage_email
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from mentorfold.accounts.models import LearnerProfile, User

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real threads"
    ),
]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_ups_with_one_address_make_one_account(monkeypatch: pytest.MonkeyPatch) -> None:
    both_checked = threading.Barrier(2, timeout=10)
    check = manage_email.email_already_exists

    def check_then_wait(email: str, **kwargs: Any) -> Any:
        result = check(email, **kwargs)
        both_checked.wait()  # both requests saw the address as free before either inserts
        return result

    monkeypatch.setattr(manage_email, "email_already_exists", check_then_wait)
    data = {
        "email": "twin@example.org",
        "full_name": "Twin",
        "join_as": "learner",
        "stage": "high_school",
        "date_of_birth": "2009-04-17",
        "password1": "a-long-enough-Passw0rd",
        "password2": "a-long-enough-Passw0rd",
    }
    statuses: list[int] = []
    errors: list[BaseException] = []

    def sign_up() -> None:
        try:
            statuses.append(
                Client(raise_request_exception=True).post(reverse("account_signup"), data).status_code
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert sorted(statuses) == [200, 302]
    assert User.objects.filter(email="twin@example.org").count() == 1
    assert LearnerProfile.objects.filter(user__email="twin@example.org").count() == 1
