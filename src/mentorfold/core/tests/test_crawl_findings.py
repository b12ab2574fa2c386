"""Findings of the accessibility crawl, kept as fast regression tests."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.accounts.models import Role
from mentorfold.accounts.tests.factories import UserFactory
from mentorfold.programs.tests.factories import TermFactory

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_names_its_language(client: Any, learner: Any) -> None:
    client.force_login(learner.user)
    response = client.get("/api/v1/docs", follow=True)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_a_staff_coordinator_is_not_shown_an_apply_button_that_refuses_them(
    client: Any, learner: Any
) -> None:
    term = TermFactory(status="open")
    staff = UserFactory(roles=[Role.COORDINATOR], is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(f"/programs/{term.program.slug}/").content.decode()
    assert f"/apply/{term.pk}/" not in page
    client.force_login(learner.user)
    page = client.get(f"/programs/{term.program.slug}/").content.decode()
    assert f"/apply/{term.pk}/" in page
