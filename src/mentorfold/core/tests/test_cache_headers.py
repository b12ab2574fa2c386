"""Personal pages carry Cache-Control: no-store, private; public pages and static files are left alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.accounts.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("url_name", ["dashboard", "profile_edit"])
def test_personal_pages_are_never_stored(client: Any, learner: Any, url_name: str) -> None:
    client.force_login(learner.user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert {"no-store", "private"} <= _directives(response)


def test_a_coordinator_export_is_never_stored(
    client: Any, coordinator: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from mentorfold.core.models import TaskRun

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/programs/manage/export/learners.csv")
    response = client.get(TaskRun.objects.get().result["url"])
    assert response.status_code == 200
    assert {"no-store", "private"} <= _directives(response)


def test_redirects_and_errors_for_signed_in_people_are_never_stored(client: Any, learner: Any) -> None:
    client.force_login(learner.user)
    assert {"no-store", "private"} <= _directives(client.get(reverse("people")))  # 403 for a learner


def test_the_login_response_that_sets_the_session_cookie_is_never_stored(client: Any, learner: Any) -> None:
    response = client.post(reverse("account_login"), {"login": learner.user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert "sessionid" in response.cookies
    assert {"no-store", "private"} <= _directives(response)


def test_the_logout_response_is_never_stored(client: Any, learner: Any) -> None:
    client.force_login(learner.user)
    response = client.post(reverse("account_logout"))
    assert {"no-store", "private"} <= _directives(response)


def test_a_public_page_for_an_anonymous_visitor_is_left_alone(client: Any) -> None:
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "no-store" not in _directives(home)


def test_static_files_are_left_alone(client: Any, learner: Any) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from mentorfold.core.cache_headers import NoStoreForPersonalPages

    request = RequestFactory().get("/static/core/site.css")
    request.user = learner.user
    response = NoStoreForPersonalPages(lambda r: HttpResponse("body{}", content_type="text/css"))(request)
    assert "Cache-Control" not in response
