"""A new society creates its first coordinator from the command line and never needs the admin site."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mentorfold.accounts.models import Role, User
from mentorfold.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_creates_a_coordinator_whose_link_sets_a_password(client) -> None:
    out = StringIO()
    call_command("create_coordinator", email="Casey@Society.example.org", name="Casey Morgan", stdout=out)
    user = User.objects.get(email="casey@society.example.org")
    assert user.has_role(Role.COORDINATOR)
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(action="accounts.coordinator_created", target_id=str(user.pk)).exists()

    link = re.search(r"http\S+", out.getvalue()).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    new_password = "a long new passphrase 42"
    response = client.post(
        response.request["PATH_INFO"], {"password1": new_password, "password2": new_password}, follow=True
    )
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_running_it_twice_promotes_and_does_not_duplicate() -> None:
    call_command("create_coordinator", email="a@example.org", name="A Person", stdout=StringIO())
    call_command("create_coordinator", email="A@example.org", name="A Person", stdout=StringIO())
    assert User.objects.filter(email__iexact="a@example.org").count() == 1


@pytest.mark.parametrize(
    ("email", "name"), [("not-an-address", "A Person"), ("a@example.org", "  "), ("a@example.org", "x" * 151)]
)
def test_it_refuses_bad_input_and_creates_nothing(email: str, name: str) -> None:
    with pytest.raises(CommandError):
        call_command("create_coordinator", email=email, name=name, stdout=StringIO())
    assert not User.objects.exists()
