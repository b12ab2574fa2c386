"""Tables on the dashboard and in the report name their columns in words; exports keep the short keys."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from .. import selectors

pytestmark = pytest.mark.django_db


def test_the_dashboard_names_columns_in_words_and_the_csv_keeps_keys(client: Any, coordinator: Any) -> None:
    from mentorfold.accounts.tests.factories import TEST_TOTP_SECRET  # noqa: F401  (coordinator has TOTP)

    cache.clear()
    client.force_login(coordinator)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": 0, "type": "totp"}]
    session.save()
    page = client.get(reverse("outcomes:home")).content.decode()
    assert "95% interval from" in page and "ci95_low" not in page
    export = client.get(reverse("outcomes:export", kwargs={"chart": "burnout", "fmt": "csv"}))
    assert export.content.decode().splitlines()[0].lstrip("\ufeff").startswith("group,people,yes,no")


def test_every_column_of_every_chart_has_a_heading() -> None:
    for chart in selectors.build_charts().values():
        if chart is None:
            continue
        assert all(column in selectors.COLUMN_LABELS for column in chart.columns), chart.key
