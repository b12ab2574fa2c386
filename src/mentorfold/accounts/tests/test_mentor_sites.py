"""Coordinators place a mentor at clinic sites on the mentor's page (matching offers mentors only at their sites)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mentorfold.core.models import AuditEvent
from mentorfold.programs.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_coordinator_places_a_mentor_at_clinic_sites(client: Any, coordinator: Any, mentor: Any) -> None:
    north, south = SiteFactory(name="North Clinic"), SiteFactory(name="South Clinic")
    client.force_login(coordinator)
    url = reverse("workspace_mentor_step", args=[mentor.pk, "sites"])
    response = client.post(url, {"sites-sites": [north.pk, south.pk]})
    assert response.status_code == 302
    assert set(mentor.sites.all()) == {north, south}
    assert AuditEvent.objects.filter(action="mentor.sites", target_id=str(mentor.pk)).exists()
    page = client.get(reverse("workspace_mentor_detail", args=[mentor.pk])).content.decode()
    assert "Save clinic sites" in page

    client.post(url, {"sites-sites": [south.pk]})
    assert list(mentor.sites.all()) == [south]


@pytest.mark.parametrize("value", ["99999999999999999999", "abc", "-1"])
def test_a_hostile_site_is_a_form_error(client: Any, coordinator: Any, mentor: Any, value: str) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("workspace_mentor_step", args=[mentor.pk, "sites"]), {"sites-sites": [value]}
    )
    assert response.status_code == 400


def test_only_coordinators_place_mentors(client: Any, other_mentor: Any, mentor: Any) -> None:
    site = SiteFactory()
    client.force_login(other_mentor.user)
    response = client.post(
        reverse("workspace_mentor_step", args=[mentor.pk, "sites"]), {"sites-sites": [site.pk]}
    )
    assert response.status_code == 403
    assert not mentor.sites.exists()
