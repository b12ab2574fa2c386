"""Creating a clinic site without extra requirements: the blank "add a requirement" row is left alone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mentorfold.programs.models import Requirement, Site

pytestmark = pytest.mark.django_db


def browser_post_data(html: str) -> dict[str, Any]:
    """What a browser sends for the untouched form: each input's value and each select's selected option."""
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or (kind and kind.group(1) in {"checkbox", "radio", "submit"} and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        data[name] = chosen.group(1) if chosen else ""
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_a_site_without_extra_requirements_is_created(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    page = client.get("/programs/manage/sites/new/").content.decode()
    data = browser_post_data(page)
    data.update({"site-name": "Eastside Family Clinic", "site-city": "Bellevue"})
    response = client.post("/programs/manage/sites/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    site = Site.objects.get(name="Eastside Family Clinic")
    assert not Requirement.objects.filter(site=site).exists()
