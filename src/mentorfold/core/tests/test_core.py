from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from mentorfold.core.audit import audit
from mentorfold.core.models import AuditEvent, TaskRun
from mentorfold.core.tasks import check_worker
from mentorfold.core.tracking import task_run_start, tracked

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_ok(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_database_down(client: Any) -> None:
    with mock.patch("mentorfold.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


@pytest.mark.parametrize("url", ["/", "/become-a-mentor/"])
def test_public_pages_render_with_skip_link_and_landmarks(client: Any, url: str) -> None:
    html = client.get(url).content.decode()
    assert 'href="#main"' in html
    assert '<main id="main"' in html
    assert "<nav" in html
    assert "htmx.min.js" in html and "unpkg" not in html


def test_recruitment_page_says_what_mentoring_asks(client: Any) -> None:
    html = client.get(reverse("become_mentor")).content.decode()
    for word in ("Capacity", "Hours", "Onboarding"):
        assert word in html
    assert "?as=mentor" in html


def test_audit_records_actor_action_and_target(coordinator: Any, learner: Any) -> None:
    event = audit(actor=coordinator, action="learner.note", target=learner, data={"k": 1}, reason="checking")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == coordinator
    assert stored.target_type == "accounts.learnerprofile"
    assert stored.target_id == str(learner.pk)
    assert stored.reason == "checking"


def test_tracked_task_reports_progress_and_result(
    coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = task_run_start(
            task=check_worker, kind="check", label="Check the worker", user=coordinator, steps=2
        )
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED
    assert run.percent == 100
    assert run.result["message"] == "The task worker is running."


def test_tracked_task_records_failure() -> None:
    @tracked
    def boom(run: TaskRun) -> None:
        raise RuntimeError("solver exploded")

    run = TaskRun.objects.create(kind="x", label="x")
    with pytest.raises(RuntimeError):
        boom(str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED
    assert "solver exploded" in run.message


def test_progress_fragment_polls_until_done(client: Any, coordinator: Any) -> None:
    run = TaskRun.objects.create(kind="x", label="Matching", created_by=coordinator, percent=40)
    client.force_login(coordinator)
    fragment = client.get(reverse("task_progress", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="40"' in fragment
    TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.SUCCEEDED, percent=100)
    fragment = client.get(reverse("task_progress", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment


def test_progress_is_private_to_its_owner_and_coordinators(
    client: Any, coordinator: Any, learner: Any
) -> None:
    run = TaskRun.objects.create(kind="x", label="Import", created_by=coordinator)
    client.force_login(learner.user)
    assert client.get(reverse("task_progress", args=[run.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("task_progress", args=[run.pk])).status_code == 302


def test_unknown_page_uses_the_friendly_404(client: Any) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We couldn" in response.content.decode()


def test_notices_show_on_the_dashboard_until_read(client: Any, learner: Any) -> None:
    from mentorfold.core.notices import notices_send

    notices_send(users=[learner.user], text="Your visit on Tuesday is booked", url="/shadowing/")
    client.force_login(learner.user)
    assert "Your visit on Tuesday is booked" in client.get(reverse("dashboard")).content.decode()
    response = client.post(reverse("notices_read"), {"next": "https://evil.example.org/"})
    assert response["Location"] == reverse("dashboard")
    assert "Your visit on Tuesday is booked" not in client.get(reverse("dashboard")).content.decode()


def test_marking_notices_read_needs_login_and_post(client: Any, learner: Any) -> None:
    assert client.post(reverse("notices_read"))["Location"].startswith(reverse("account_login"))
    client.force_login(learner.user)
    assert client.get(reverse("notices_read")).status_code == 405
