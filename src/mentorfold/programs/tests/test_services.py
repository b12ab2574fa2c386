"""Enrollment, guardian consent and compliance rules, through the services other apps call."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mentorfold.accounts.tests.factories import GuardianLinkFactory, LearnerProfileFactory, UserFactory
from mentorfold.core.models import AuditEvent
from mentorfold.programs import compliance, hooks, services
from mentorfold.programs.models import Enrollment, Requirement, RequirementRecord

from .conftest import approve_all
from .factories import EnrollmentFactory, RequirementFactory, RequirementRecordFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_program_create_adds_the_standard_requirements(program: Any) -> None:
    kinds = set(program.requirements.values_list("kind", "applies_to", "minors_only"))
    assert ("confidentiality", "learner", False) in kinds
    assert ("guardian_consent", "learner", True) in kinds
    assert ("orientation", "learner", False) in kinds
    assert ("background_check", "mentor", False) in kinds
    assert services.program_standard_requirements_ensure(program=program) == []


def test_program_create_refuses_non_coordinators(learner: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.program_create(
            actor=learner.user, name="X", slug="x", description="x", eligible_stages=["high_school"]
        )


def test_minor_applying_emails_the_verified_guardian_a_consent_link(
    minor_learner: Any,
    guardian: Any,
    term: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_apply(learner=minor_learner, term=term, statement="I like science.")
    assert [m.to for m in mailoutbox] == [[guardian.email]]
    assert f"/programs/consent/{minor_learner.pk}/{term.program.slug}/" in mailoutbox[0].body


def test_apply_refuses_a_closed_term_and_duplicate_applications(learner: Any, term: Any) -> None:
    services.enrollment_apply(learner=learner, term=term, statement="Hi")
    with pytest.raises(ValidationError, match="already applied"):
        services.enrollment_apply(learner=learner, term=term, statement="Again")
    term.status = "closed"
    term.save()
    with pytest.raises(ValidationError, match="not taking applications"):
        services.enrollment_apply(learner=LearnerProfileFactory(), term=term, statement="Hi")


def test_it_refuses_to_accept_a_minor_without_guardian_consent(
    minor_learner: Any, term: Any, coordinator: Any
) -> None:
    enrollment = EnrollmentFactory(term=term, learner=minor_learner)
    with pytest.raises(ValidationError, match="not signed consent"):
        services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.APPLIED
    services.enrollment_decide(
        enrollment=enrollment, actor=coordinator, decision="waitlist", reason="Consent"
    )
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.WAITLISTED
    assert AuditEvent.objects.filter(action="enrollment.waitlist", actor=coordinator).exists()


def test_minor_without_consent_is_not_cleared_to_be_matched_or_book(
    minor_learner: Any, program: Any, site: Any
) -> None:
    approve_all(minor_learner.user, program, site)
    RequirementRecord.objects.filter(requirement__kind="guardian_consent").delete()
    blockers = compliance.learner_blockers(minor_learner, program=program, site=site)
    assert [b.code for b in blockers] == ["missing"]
    assert "Parent or guardian consent" in blockers[0].message
    assert not compliance.is_learner_cleared(minor_learner, program=program, site=site)
    assert (
        compliance.cleared_learner_site_pairs(learners=[minor_learner], sites=[site], program=program)
        == set()
    )


def test_guardian_consent_makes_the_minor_acceptable_and_cleared(
    minor_learner: Any, guardian: Any, term: Any, coordinator: Any, site: Any
) -> None:
    program = term.program
    enrollment = EnrollmentFactory(term=term, learner=minor_learner)
    record = services.guardian_consent_sign(
        learner=minor_learner, program=program, guardian=guardian, signed_name=" lan  tran ", ip="10.0.0.7"
    )
    assert record.person_id == minor_learner.user_id
    assert (record.signed_by, record.signed_name, record.signed_ip) == (guardian, "lan tran", "10.0.0.7")
    assert record.text_version == 1 and record.signed_at is not None
    services.enrollment_decide(enrollment=enrollment, actor=coordinator, decision="accept")
    services.requirement_record_review(record=record, actor=coordinator, approve=True)
    approve_all(minor_learner.user, program, site)
    assert compliance.is_learner_cleared(minor_learner, program=program, site=site)


def test_only_a_verified_guardian_can_sign_and_with_their_own_name(
    minor_learner: Any, guardian: Any, program: Any
) -> None:
    stranger = UserFactory(full_name="Eve Stranger")
    with pytest.raises(PermissionDenied):
        services.guardian_consent_sign(
            learner=minor_learner, program=program, guardian=stranger, signed_name="Eve Stranger", ip=None
        )
    with pytest.raises(ValidationError, match="Typed name"):
        services.guardian_consent_sign(
            learner=minor_learner, program=program, guardian=guardian, signed_name="Minh Tran", ip=None
        )


def test_revoked_consent_calls_the_booking_cancellation_hook(
    minor_learner: Any, guardian: Any, program: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def cancel_future_bookings(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 2

    monkeypatch.setattr(hooks, "consent_revoked_handlers", [cancel_future_bookings])
    record = services.guardian_consent_sign(
        learner=minor_learner, program=program, guardian=guardian, signed_name="Lan Tran", ip=None
    )
    cancelled = services.guardian_consent_revoke(record=record, actor=guardian, reason="Changed our mind")
    assert cancelled == 2
    assert len(calls) == 1
    assert calls[0]["learner"] == minor_learner and calls[0]["program"] == program
    assert calls[0]["actor"] == guardian and calls[0]["reason"] == "Changed our mind"
    record.refresh_from_db()
    assert record.status == RequirementRecord.Status.REVOKED and record.revoked_at is not None
    assert AuditEvent.objects.filter(action="consent.revoke", actor=guardian).exists()
    assert not services.has_guardian_consent(minor_learner, program)
    blockers = compliance.learner_blockers(minor_learner, program=program)
    assert "revoked" in [b.code for b in blockers]


def test_another_parent_cannot_revoke_consent(minor_learner: Any, guardian: Any, program: Any) -> None:
    record = services.guardian_consent_sign(
        learner=minor_learner, program=program, guardian=guardian, signed_name="Lan Tran", ip=None
    )
    other_parent = GuardianLinkFactory().guardian
    with pytest.raises(PermissionDenied):
        services.guardian_consent_revoke(record=record, actor=other_parent, reason="")
    record.refresh_from_db()
    assert record.status == RequirementRecord.Status.SUBMITTED


def test_expired_immunization_blocks_with_the_requirement_and_the_date(
    learner: Any, program: Any, site: Any
) -> None:
    immunization = RequirementFactory(site=site, name="Immunization record", kind="immunization")
    approve_all(learner.user, program, site)
    RequirementRecord.objects.filter(requirement=immunization).update(expires_on=date(2026, 3, 3))
    on = date(2026, 11, 2)
    blockers = compliance.learner_blockers(learner, program=program, site=site, on=on)
    assert [b.code for b in blockers] == ["expired"]
    assert blockers[0].message == "Your immunization record expired on 3 March 2026 — upload a new one."
    assert blockers[0].requirement_id == immunization.pk
    assert compliance.is_learner_cleared(learner, program=program, site=site, on=date(2026, 3, 3))


def test_a_site_stricter_than_its_program_wins(program: Any) -> None:
    seventeen = LearnerProfileFactory(age=17, stage="high_school")
    GuardianLinkFactory(learner=seventeen)
    strict = SiteFactory(name="County Hospital", min_age=18)
    relaxed = SiteFactory(name="Harbor Family Clinic", min_age=16)
    approve_all(seventeen.user, program, signed_by=seventeen.guardian_links.get().guardian)
    assert compliance.is_learner_cleared(seventeen, program=program, site=relaxed)
    blockers = compliance.learner_blockers(seventeen, program=program, site=strict)
    assert [b.code for b in blockers] == ["too_young"]
    assert "at least 18" in blockers[0].message and "County Hospital" in blockers[0].message
    pairs = compliance.cleared_learner_site_pairs(
        learners=[seventeen], sites=[strict, relaxed], program=program
    )
    assert pairs == {(seventeen.pk, relaxed.pk)}


def test_a_site_requirement_is_needed_only_at_that_site(learner: Any, program: Any) -> None:
    strict = SiteFactory(name="County Hospital")
    RequirementFactory(site=strict, name="TB test", kind="tb_test", valid_for_days=365)
    approve_all(learner.user, program)
    other = SiteFactory(name="Other Clinic")
    assert compliance.is_learner_cleared(learner, program=program, site=other)
    assert [b.code for b in compliance.learner_blockers(learner, program=program, site=strict)] == ["missing"]


def test_attestation_is_signed_with_name_time_ip_and_text_version(learner: Any, program: Any) -> None:
    requirement = program.requirements.get(kind=Requirement.Kind.CONFIDENTIALITY)
    requirement.version = 3
    requirement.save()
    record = services.attestation_sign(
        requirement=requirement, person=learner.user, signed_name="Amina Hassan", ip="192.0.2.1"
    )
    assert record.status == RequirementRecord.Status.SUBMITTED
    assert (record.signed_name, record.signed_ip, record.text_version) == ("Amina Hassan", "192.0.2.1", 3)
    with pytest.raises(ValidationError, match="exactly as Amina Hassan"):
        services.attestation_sign(requirement=requirement, person=learner.user, signed_name="A H", ip=None)


def test_review_needs_a_coordinator_and_a_note_to_reject(
    learner: Any, program: Any, coordinator: Any
) -> None:
    requirement = program.requirements.get(kind=Requirement.Kind.ORIENTATION)
    record = RequirementRecordFactory(requirement=requirement, person=learner.user, status="submitted")
    with pytest.raises(PermissionDenied):
        services.requirement_record_review(record=record, actor=learner.user, approve=True)
    with pytest.raises(ValidationError, match="Note"):
        services.requirement_record_review(record=record, actor=coordinator, approve=False)
    services.requirement_record_review(record=record, actor=coordinator, approve=False, note="Wrong date")
    record.refresh_from_db()
    assert record.status == "rejected" and record.reviewed_by == coordinator
    assert AuditEvent.objects.filter(action="requirement.reject", reason="Wrong date").exists()
    messages = [b.message for b in compliance.learner_blockers(learner, program=program)]
    assert "Orientation: not accepted (Wrong date) — please submit it again." in messages


def test_document_submission_computes_expiry_from_the_test_date(learner: Any, site: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .factories import PDF_BYTES

    tb = RequirementFactory(site=site, name="TB test", kind="tb_test", valid_for_days=365)
    done = timezone.localdate() - timedelta(days=10)
    record = services.requirement_document_submit(
        requirement=tb,
        person=learner.user,
        upload=SimpleUploadedFile("tb.pdf", PDF_BYTES),
        done_on=done,
    )
    assert record.expires_on == done + timedelta(days=365)
    assert record.document.owner == learner.user
    with pytest.raises(ValidationError, match="Date done"):
        services.requirement_document_submit(
            requirement=tb, person=learner.user, upload=SimpleUploadedFile("tb.pdf", PDF_BYTES)
        )


def test_mentor_opt_in_sets_and_updates_capacity(mentor: Any, term: Any) -> None:
    services.mentor_opt_in(mentor=mentor, term=term, capacity=3)
    opt_in = services.mentor_opt_in(mentor=mentor, term=term, capacity=1)
    assert term.mentor_opt_ins.get().capacity == 1 == opt_in.capacity
