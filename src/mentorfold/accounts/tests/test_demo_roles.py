"""The demo seed works on a database whose role groups were flushed (browser tests flush between tests)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from mentorfold.accounts.demo import DEMO_LOGINS
from mentorfold.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_seed_recreates_missing_role_groups() -> None:
    Group.objects.all().delete()
    call_command("seed_demo", "--size", "small", stdout=StringIO())
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    coordinator = User.objects.get(email=DEMO_LOGINS[0].email)
    assert coordinator.has_role(Role.COORDINATOR)
