"""safe_next: a ``next`` address is followed only when it stays on this site."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from mentorfold.core.redirects import safe_next

HOSTILE = [
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example",
    "http://evil.example/dashboard/",
    "javascript:alert(1)",
    "///evil.example",
    "\\\\evil.example",
    " //evil.example",
    "x" * 3000,
]


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_addresses_off_this_site(rf: RequestFactory, target: str, method: str) -> None:
    request = getattr(rf, method)("/somewhere/", {"next": target})
    assert safe_next(request, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_follows_a_same_site_path(rf: RequestFactory, method: str) -> None:
    request = getattr(rf, method)("/somewhere/", {"next": "/dashboard/"})
    assert safe_next(request, "/fallback/") == "/dashboard/"


def test_a_secure_request_refuses_a_plain_http_address_on_this_host(rf: RequestFactory) -> None:
    request = rf.post("/x/", {"next": "http://testserver/dashboard/"}, secure=True)
    assert safe_next(request, "/fallback/") == "/fallback/"
    request = rf.post("/x/", {"next": "https://testserver/dashboard/"}, secure=True)
    assert safe_next(request, "/fallback/") == "https://testserver/dashboard/"


def test_no_next_gives_the_default(rf: RequestFactory) -> None:
    assert safe_next(rf.post("/x/", {}), "/fallback/") == "/fallback/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "https://evil.example", "javascript:alert(1)"]
)
def test_marking_notices_read_never_leaves_the_site(client: Any, learner: Any, target: str) -> None:
    client.force_login(learner.user)
    response = client.post(reverse("notices_read"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "https://evil.example", "javascript:alert(1)"]
)
def test_manual_placement_never_leaves_the_site(client: Any, coordinator: Any, target: str) -> None:
    from mentorfold.matching.tests.factories import TermFactory

    term = TermFactory()
    client.force_login(coordinator)
    response = client.post(reverse("matching:place", args=[term.pk]), {"next": target, "reason": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:runs", args=[term.pk])


@pytest.mark.django_db
def test_manual_placement_returns_to_a_same_site_page(client: Any, coordinator: Any) -> None:
    from mentorfold.matching.tests.factories import TermFactory

    term = TermFactory()
    client.force_login(coordinator)
    response = client.post(reverse("matching:place", args=[term.pk]), {"next": "/dashboard/", "reason": ""})
    assert response["Location"] == "/dashboard/"
