"""Every URL of the site, asked by every role, on the demo society: nobody sees what is not theirs.

The URL list comes from the resolver, so a new view is covered the day it is added: anonymous visitors get
the login page (or 404/405) unless the view is public, only coordinators open management pages, and no
role ever gets a server error.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import User
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import CalendarFeedToken, HoursCertificate

# Views anyone may open without logging in.
PUBLIC = {
    "home",
    "become_mentor",
    "healthz",
    "certificate_verify",
    "invitation_accept",
    "programs:list",
    "programs:detail",
    "shadowing:verify",
    "shadowing:feed",
    "shadowing:feedback",
    "grants:decision_public",
}
# Management pages: only coordinators.
COORDINATOR_ONLY = re.compile(
    r"^(people/$|people/invite/|programs/manage/|matching/terms/<int:term_pk>/(runs|settings|place)/|"
    r"matching/runs/|grants/manage/)"
)
ROLES = {
    "learner": f"amina.hassan@{DEMO_DOMAIN}",
    "minor learner": f"minh.tran@{DEMO_DOMAIN}",
    "guardian": f"lan.tran@{DEMO_DOMAIN}",
    "mentor": f"dr.rivera@{DEMO_DOMAIN}",
    "reviewer": f"reviewer@{DEMO_DOMAIN}",
}


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            found += _routes(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            found.append((prefix + str(p.pattern), f"{namespace}:{p.name}".strip(":")))
    return found


def _fill(route: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if name in values:
            return values[name]
        return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001", "slug": values["slug"]}.get(
            converter, "x"
        )

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.fixture
def site_urls(db: None) -> list[tuple[str, str, str]]:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    amina = User.objects.get(email=ROLES["learner"])
    certificate = HoursCertificate.objects.first()
    values = {
        "slug": Program.objects.order_by("pk").first().slug,
        "code": certificate.code if certificate else "x",
        "token": CalendarFeedToken.objects.get_or_create(user=amina)[0].token,
        "fmt": "csv",
        "kind": "learners",
    }
    return [
        (route, name, _fill(route, values))
        for route, name in _routes(get_resolver().url_patterns)
        if not route.startswith(("admin/", "accounts/"))
    ]


def test_anonymous_visitors_only_reach_public_pages(site_urls: list[tuple[str, str, str]]) -> None:
    client = Client()
    problems = []
    for _route, name, url in site_urls:
        response = client.get(url)
        status = response.status_code
        to_login = status == 302 and "/accounts/login/" in response["Location"]
        ok = status in {200, 404, 410, 429} if name in PUBLIC else (to_login or status in {404, 405})
        if not ok:
            problems.append(f"{name} {url} -> {status}")
    assert not problems, "\n".join(problems)


def test_only_coordinators_open_management_pages(site_urls: list[tuple[str, str, str]]) -> None:
    problems = []
    for role, email in ROLES.items():
        client = Client()
        client.force_login(User.objects.get(email=email))
        for route, name, url in site_urls:
            status = client.get(url).status_code
            if status >= 500:
                problems.append(f"{role}: {name} {url} -> {status}")
            elif COORDINATOR_ONLY.match(route) and status == 200:
                problems.append(f"{role} opened coordinator page {name} {url}")
    assert not problems, "\n".join(problems)


def test_coordinator_opens_every_management_page_without_errors(
    site_urls: list[tuple[str, str, str]],
) -> None:
    client = Client()
    client.force_login(User.objects.get(email=f"coordinator@{DEMO_DOMAIN}"))
    problems = []
    for route, name, url in site_urls:
        status = client.get(url).status_code
        if status >= 500 or (COORDINATOR_ONLY.match(route) and status in {401, 403}):
            problems.append(f"{name} {url} -> {status}")
    assert not problems, "\n".join(problems)
