"""Every page: the happy path, who may not see it, and a bound on its queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mentorfold.accounts.tests.factories import GuardianLinkFactory, LearnerProfileFactory
from mentorfold.core.models import AuditEvent, TaskRun
from mentorfold.programs.models import Enrollment, ImportBatch, Requirement, RequirementRecord

from .conftest import approve_all
from .factories import (
    PDF_BYTES,
    EnrollmentFactory,
    RequirementFactory,
    RequirementRecordFactory,
)

pytestmark = pytest.mark.django_db

COORDINATOR_PAGES = [
    ("programs:manage", []),
    ("programs:sites", []),
    ("programs:queue", []),
    ("programs:enrollments", []),
    ("programs:import", []),
]


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- public -------------------------------------------------------------------------------------------


def test_program_list_and_detail_are_public_with_an_apply_button(
    client: Any, term: Any, site: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(4):
        response = client.get(reverse("programs:list"))
    assert response.status_code == 200 and "High-school summer shadowing" in response.content.decode()
    with django_assert_max_num_queries(5):
        response = client.get(reverse("programs:detail", args=[term.program.slug]))
    body = response.content.decode()
    assert "Sign up to apply" in body and "Harbor Family Clinic" in body
    assert "High school, Undergraduate / pre-med" in body


def test_unknown_or_hidden_program_is_404(client: Any, program: Any) -> None:
    assert client.get(reverse("programs:detail", args=["nope"])).status_code == 404
    program.is_public = False
    program.save()
    assert client.get(reverse("programs:detail", args=[program.slug])).status_code == 404


# --- apply --------------------------------------------------------------------------------------------


def test_a_learner_applies(client: Any, learner: Any, term: Any, django_assert_max_num_queries: Any) -> None:
    client.force_login(learner.user)
    url = reverse("programs:apply", args=[term.program.slug, term.pk])
    assert client.get(url).status_code == 200
    with django_assert_max_num_queries(20):
        response = client.post(url, {"statement": "I love medicine.", "availability": ["mon-am"]})
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(learner=learner)
    assert enrollment.availability == ["mon-am"] and enrollment.status == "applied"


def test_apply_shows_the_reason_when_refused(client: Any, term: Any) -> None:
    resident = LearnerProfileFactory(stage="resident")
    client.force_login(resident.user)
    response = client.post(reverse("programs:apply", args=[term.program.slug, term.pk]), {"statement": "x"})
    assert response.status_code == 200
    assert "not open to learners at your stage" in response.content.decode()


def test_apply_is_for_learners_only(client: Any, mentor: Any, guardian: Any, term: Any) -> None:
    url = reverse("programs:apply", args=[term.program.slug, term.pk])
    assert _login_redirect(client.get(url))
    for user in (mentor.user, guardian):
        client.force_login(user)
        assert client.get(url).status_code == 403


# --- requirements -------------------------------------------------------------------------------------


def test_learner_sees_their_requirements_and_signs_one(
    client: Any, learner: Any, term: Any, django_assert_max_num_queries: Any
) -> None:
    EnrollmentFactory(term=term, learner=learner)
    client.force_login(learner.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("programs:my_requirements"))
    body = response.content.decode()
    assert "Confidentiality (HIPAA) agreement" in body and "Parent or guardian consent" not in body
    requirement = term.program.requirements.get(kind="confidentiality")
    url = reverse("programs:requirement_sign", args=[requirement.pk])
    assert requirement.text[:40] in client.get(url).content.decode()
    response = client.post(url, {"signed_name": "Amina Hassan", "agree": "on"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    record = RequirementRecord.objects.get(requirement=requirement)
    assert record.signed_ip == "203.0.113.9" and record.status == "submitted"


def test_requirement_pages_refuse_other_roles(client: Any, guardian: Any, mentor: Any, program: Any) -> None:
    requirement = program.requirements.get(kind="confidentiality")
    url = reverse("programs:requirement_sign", args=[requirement.pk])
    assert _login_redirect(client.get(url))
    client.force_login(guardian)
    assert client.get(url).status_code == 403
    assert client.get(reverse("programs:my_requirements")).status_code == 403
    client.force_login(mentor.user)
    assert client.get(url).status_code == 403
    consent = program.requirements.get(kind="guardian_consent")
    assert client.get(reverse("programs:requirement_sign", args=[consent.pk])).status_code == 404


def test_learner_uploads_a_record(client: Any, learner: Any, site: Any, settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    requirement = RequirementFactory(site=site)
    client.force_login(learner.user)
    response = client.post(
        reverse("programs:requirement_upload", args=[requirement.pk]),
        {"file": SimpleUploadedFile("shots.pdf", PDF_BYTES), "expires_on": "2031-01-01"},
    )
    assert response.status_code == 302
    assert RequirementRecord.objects.get(requirement=requirement).document.content_type == "application/pdf"


# --- consent ------------------------------------------------------------------------------------------


def test_guardian_reads_and_signs_consent(
    client: Any, guardian: Any, minor_learner: Any, term: Any, site: Any, django_assert_max_num_queries: Any
) -> None:
    program = term.program
    RequirementFactory(site=site, name="TB test", kind="tb_test", valid_for_days=365)
    url = reverse("programs:consent", args=[minor_learner.pk, program.slug])
    client.force_login(guardian)
    with django_assert_max_num_queries(14):
        response = client.get(url)
    body = response.content.decode()
    assert "Six weeks in clinic" in body and "Business casual" in body and "TB test" in body
    assert "At most 40 hours" in body
    response = client.post(url, {"signed_name": "Lan Tran", "agree": "on"})
    assert response.status_code == 302
    record = RequirementRecord.objects.get(requirement__kind="guardian_consent")
    assert record.signed_by == guardian and record.person == minor_learner.user
    assert "Withdraw consent" in client.get(url).content.decode()


def test_consent_page_is_hidden_from_everyone_but_the_childs_guardians(
    client: Any, minor_learner: Any, program: Any, learner: Any, mentor: Any, coordinator: Any
) -> None:
    url = reverse("programs:consent", args=[minor_learner.pk, program.slug])
    assert _login_redirect(client.get(url))
    other_parent = GuardianLinkFactory().guardian
    for user in (other_parent, minor_learner.user, learner.user, mentor.user, coordinator):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_guardian_withdraws_consent(client: Any, guardian: Any, minor_learner: Any, program: Any) -> None:
    record = RequirementRecordFactory(
        requirement=program.requirements.get(kind="guardian_consent"),
        person=minor_learner.user,
        signed_by=guardian,
        status="approved",
    )
    url = reverse("programs:consent_revoke", args=[record.pk])
    client.force_login(minor_learner.user)
    assert client.post(url, {"reason": "x"}).status_code == 404
    client.force_login(guardian)
    response = client.post(url, {"reason": "We are moving"}, follow=True)
    assert "Consent withdrawn" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "revoked"


# --- mentors ------------------------------------------------------------------------------------------


def test_mentor_opts_in_to_a_term(client: Any, mentor: Any, term: Any, learner: Any) -> None:
    url = reverse("programs:opt_in", args=[term.pk])
    client.force_login(learner.user)
    assert client.get(url).status_code == 403
    client.force_login(mentor.user)
    assert client.post(url, {"capacity": 3}).status_code == 302
    assert term.mentor_opt_ins.get(mentor=mentor).capacity == 3


# --- coordinators -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), COORDINATOR_PAGES)
def test_coordinator_pages_work_for_coordinators_only(
    client: Any,
    coordinator: Any,
    learner: Any,
    mentor: Any,
    guardian: Any,
    reviewer: Any,
    site: Any,
    name: str,
    args: list[str],
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse(name, args=args)
    assert _login_redirect(client.get(url))
    for user in (learner.user, mentor.user, guardian, reviewer.user):
        client.force_login(user)
        assert client.get(url).status_code == 403, (name, user)
    client.force_login(coordinator)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


def test_queue_lists_submissions_and_its_queries_do_not_grow_with_rows(
    client: Any, coordinator: Any, program: Any, django_assert_max_num_queries: Any
) -> None:
    requirement = program.requirements.get(kind="orientation")
    learners = LearnerProfileFactory.create_batch(60)
    for lp in learners:
        RequirementRecordFactory(requirement=requirement, person=lp.user, status="submitted")
    client.force_login(coordinator)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("programs:queue"))
    body = response.content.decode()
    assert "60 submissions are waiting" in body and "Page 1 of 2" in body
    with django_assert_max_num_queries(10):
        assert client.get(reverse("programs:queue") + "?page=2&kind=orientation").status_code == 200


def test_coordinator_approves_from_the_queue(
    client: Any, coordinator: Any, learner: Any, program: Any
) -> None:
    record = RequirementRecordFactory(
        requirement=program.requirements.get(kind="orientation"), person=learner.user, status="submitted"
    )
    url = reverse("programs:review", args=[record.pk])
    client.force_login(learner.user)
    assert client.post(url, {"decision": "approve"}).status_code == 403
    client.force_login(coordinator)
    assert client.post(url, {"decision": "approve", "page": "1"}).status_code == 302
    record.refresh_from_db()
    assert record.status == "approved" and record.reviewed_by == coordinator
    assert AuditEvent.objects.filter(action="requirement.approve").exists()


def test_coordinator_cannot_accept_a_minor_without_consent_in_the_ui(
    client: Any, coordinator: Any, minor_learner: Any, term: Any, learner: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=minor_learner)
    url = reverse("programs:enrollment_decide", args=[enrollment.pk])
    client.force_login(learner.user)
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.force_login(coordinator)
    response = client.post(url, {"decision": "accept"}, follow=True)
    assert "has not signed consent" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "applied"


def test_import_preview_then_confirm_runs_a_tracked_task(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    data = b"email,full_name,specialty\nx@example.org,Dr X,Surgery\n"
    response = client.post(
        reverse("programs:import"), {"kind": "mentors", "file": SimpleUploadedFile("m.csv", data)}
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("programs:import_preview", args=[batch.pk])
    assert "1 person is ready to import" in client.get(response["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programs:import_preview", args=[batch.pk]))
    run = TaskRun.objects.get(kind="programs.import")
    assert response["Location"] == reverse("task_progress", args=[run.pk])
    run.refresh_from_db()
    assert run.status == "succeeded" and run.result["created"] == 1
    batch.refresh_from_db()
    assert batch.status == "done"
    invitations = TaskRun.objects.get(kind="programs.import_welcome")
    assert invitations.status == "succeeded" and invitations.result["sent"] == 1


def test_import_preview_lists_bad_rows_and_refuses_to_confirm(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    data = "\ufeffemail,full_name,specialty\nbad,Dr X,\n".encode()
    client.post(reverse("programs:import"), {"kind": "mentors", "file": SimpleUploadedFile("m.csv", data)})
    batch = ImportBatch.objects.get()
    body = client.get(reverse("programs:import_preview", args=[batch.pk])).content.decode()
    assert "1 row has problems" in body and "specialty is empty" in body
    client.post(reverse("programs:import_preview", args=[batch.pk]))
    assert not TaskRun.objects.exists()


# --- dashboard panels ---------------------------------------------------------------------------------


def test_learner_dashboard_says_ready_to_be_matched(
    client: Any, learner: Any, term: Any, django_assert_max_num_queries: Any
) -> None:
    EnrollmentFactory(term=term, learner=learner, status=Enrollment.Status.ACCEPTED)
    client.force_login(learner.user)
    assert (
        "Confidentiality (HIPAA) agreement: not done yet."
        in client.get(reverse("dashboard")).content.decode()
    )
    approve_all(learner.user, term.program)
    with django_assert_max_num_queries(25):
        body = client.get(reverse("dashboard")).content.decode()
    assert "Ready to be matched" in body


def test_a_finished_term_is_not_shown_as_waiting_for_a_match(client: Any, learner: Any, term: Any) -> None:
    EnrollmentFactory(term=term, learner=learner, status=Enrollment.Status.ACCEPTED)
    approve_all(learner.user, term.program)
    term.status = term.Status.CLOSED
    term.save(update_fields=["status"])
    client.force_login(learner.user)
    body = client.get(reverse("dashboard")).content.decode()
    assert "This term is over" in body
    assert "Ready to be matched" not in body


def test_guardian_and_mentor_and_coordinator_panels(
    client: Any, guardian: Any, minor_learner: Any, mentor: Any, coordinator: Any, term: Any
) -> None:
    EnrollmentFactory(term=term, learner=minor_learner)
    client.force_login(guardian)
    assert "Review and sign for" in client.get(reverse("dashboard")).content.decode()
    client.force_login(mentor.user)
    assert "Take part" in client.get(reverse("dashboard")).content.decode()
    client.force_login(coordinator)
    assert "submissions to review" in client.get(reverse("dashboard")).content.decode()
    assert Requirement.objects.exists()
