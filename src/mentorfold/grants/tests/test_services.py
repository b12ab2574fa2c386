from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from mentorfold.accounts.tests.factories import MentorProfileFactory, ReviewerProfileFactory
from mentorfold.core.models import AuditEvent
from mentorfold.matching.tests.factories import MentorshipFactory

from .. import applications, decision
from .. import review as reviews
from ..models import Application, Assignment, Conflict, DecisionRecord, GrantCycle, Letter, Review
from .factories import (
    PDF_BYTES,
    ApplicationFactory,
    AssignmentFactory,
    GrantCycleFactory,
    MedicalSchoolFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def pdf(name: str = "letter.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def draft(cycle: GrantCycle, **kwargs: Any) -> Application:
    return ApplicationFactory(cycle=cycle, status=Application.Status.DRAFT, submitted_at=None, **kwargs)


# --------------------------------------------------------------------------- applying


def test_only_medical_students_in_the_state_are_eligible(cycle: Any, learner: Any, applicant: Any) -> None:
    assert not applications.eligibility_check(cycle=cycle, applicant=learner).ok
    assert applications.eligibility_check(cycle=cycle, applicant=applicant).ok
    applicant.school = MedicalSchoolFactory(state="OR")
    assert not applications.eligibility_check(cycle=cycle, applicant=applicant).ok


def test_it_refuses_to_start_when_a_required_answer_is_no(cycle: Any, applicant: Any) -> None:
    with pytest.raises(ValidationError, match="good academic standing"):
        applications.application_start(
            cycle=cycle, applicant=applicant, answers={"good_standing": False, "not_funded_before": True}
        )
    application = applications.application_start(
        cycle=cycle, applicant=applicant, answers={"good_standing": True, "not_funded_before": True}
    )
    assert application.status == Application.Status.DRAFT


def test_submission_needs_the_required_pdf_and_sends_a_confirmation(
    cycle: Any, applicant: Any, mailoutbox: Any
) -> None:
    application = draft(cycle, applicant=applicant)
    with pytest.raises(ValidationError, match="Enrolment letter"):
        applications.application_submit(application=application)
    applications.attachment_add(application=application, label="Enrolment letter", upload=pdf())
    applications.application_submit(application=application)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_confirmation_email_is_sent_after_commit(
    cycle: Any, applicant: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = draft(cycle, applicant=applicant)
    applications.attachment_add(application=application, label="Enrolment letter", upload=pdf())
    with django_capture_on_commit_callbacks(execute=True):
        applications.application_submit(application=application)
    assert len(mailoutbox) == 1
    assert application.code in mailoutbox[0].body


def test_it_refuses_a_submission_one_second_after_the_deadline(cycle: Any, applicant: Any) -> None:
    application = draft(cycle, applicant=applicant)
    applications.attachment_add(application=application, label="Enrolment letter", upload=pdf())
    with pytest.raises(ValidationError, match="deadline has passed"):
        applications.application_submit(application=application, now=cycle.closes_at + timedelta(seconds=1))
    applications.application_submit(application=application, now=cycle.closes_at)
    assert Application.objects.get(pk=application.pk).status == Application.Status.SUBMITTED


def test_nothing_changes_after_the_deadline(cycle: Any, applicant: Any) -> None:
    application = draft(cycle, applicant=applicant)
    late = cycle.closes_at + timedelta(seconds=1)
    with pytest.raises(ValidationError):
        applications.application_save(application=application, data={"personal_statement": "new"}, now=late)
    with pytest.raises(ValidationError):
        applications.attachment_add(application=application, label="Enrolment letter", upload=pdf(), now=late)


def test_it_refuses_a_file_that_is_not_a_pdf_even_named_pdf(cycle: Any, applicant: Any) -> None:
    application = draft(cycle, applicant=applicant)
    with pytest.raises(ValidationError, match="is not a PDF file"):
        applications.attachment_add(
            application=application,
            label="Enrolment letter",
            upload=pdf("x.pdf", b"MZ\x90\x00 not a pdf" * 20),
        )


def test_it_refuses_a_pdf_above_the_size_cap(cycle: Any, applicant: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 100
    application = draft(cycle, applicant=applicant)
    with pytest.raises(ValidationError, match="the limit is"):
        applications.attachment_add(
            application=application, label="Enrolment letter", upload=pdf(content=PDF_BYTES * 3)
        )


def scan_rejects(upload: Any) -> bool:
    return False


def test_the_virus_scan_hook_can_refuse_a_file(cycle: Any, applicant: Any, settings: Any) -> None:
    settings.GRANTS_UPLOAD_SCAN = "mentorfold.grants.tests.test_services.scan_rejects"
    application = draft(cycle, applicant=applicant)
    with pytest.raises(ValidationError, match="virus scan"):
        applications.attachment_add(application=application, label="Enrolment letter", upload=pdf())


def test_submission_enforces_word_limits(cycle: Any, applicant: Any) -> None:
    cycle.statement_word_limit = 5
    cycle.save()
    application = draft(cycle, applicant=applicant, personal_statement="one two three four five six")
    applications.attachment_add(application=application, label="Enrolment letter", upload=pdf())
    with pytest.raises(ValidationError, match="6 words"):
        applications.application_submit(application=application)


# --------------------------------------------------------------------------- conflicts


def test_conflicts_are_detected_from_school_mentorship_and_declarations(
    cycle: Any, application: Any, reviewer: Any, conflicted_reviewer: Any
) -> None:
    same_school = ReviewerProfileFactory(organization=application.applicant.school)
    mentor = MentorProfileFactory()
    mentor_reviewer = ReviewerProfileFactory(user=mentor.user)
    MentorshipFactory(mentor=mentor, learner=application.applicant, status="ended")
    reviews.declaration_save(
        cycle=cycle, reviewer=conflicted_reviewer.user, known_people="NORA  begay\n", mailing_address=""
    )
    found = {(c.reviewer_id, c.source) for c in Conflict.objects.filter(application=application)}
    assert (same_school.user_id, Conflict.Source.ORGANIZATION) in found
    assert (mentor_reviewer.user_id, Conflict.Source.MENTORSHIP) in found
    assert (conflicted_reviewer.user_id, Conflict.Source.DECLARED) in found
    assert all(r != reviewer.user_id for r, _s in found)


def test_a_mentor_reviewer_from_the_applicants_school_is_conflicted(cycle: Any, application: Any) -> None:
    mentor = MentorProfileFactory(organization=application.applicant.school)
    ReviewerProfileFactory(user=mentor.user)
    reviews.conflicts_detect(cycle=cycle)
    assert Conflict.objects.filter(reviewer=mentor.user, source=Conflict.Source.ORGANIZATION).exists()


def test_same_family_name_and_address_is_flagged_for_a_coordinator(cycle: Any, applicant: Any) -> None:
    application = ApplicationFactory(cycle=cycle, applicant=applicant, mailing_address="12 Elm St, Nome AK")
    relative = ReviewerProfileFactory(user__full_name="Joe Begay")
    reviews.declaration_save(
        cycle=cycle, reviewer=relative.user, known_people="", mailing_address="12 elm st nome ak"
    )
    conflict = Conflict.objects.get(application=application, reviewer=relative.user)
    assert conflict.status == Conflict.Status.FLAGGED
    assert conflict.source == Conflict.Source.FAMILY_ADDRESS


def test_shadowing_sessions_together_are_a_conflict(cycle: Any, application: Any) -> None:
    from mentorfold.shadowing.tests.factories import BookingFactory

    booking = BookingFactory(learner=application.applicant)
    host = ReviewerProfileFactory(user=booking.slot.mentor.user)
    reviews.conflicts_detect(cycle=cycle)
    conflict = Conflict.objects.get(reviewer=host.user, application=application)
    assert conflict.source == Conflict.Source.SHADOWING


def test_a_coordinator_can_dismiss_a_conflict_with_an_audited_reason(
    cycle: Any, application: Any, coordinator: Any, reviewer: Any
) -> None:
    conflict = reviews.conflict_add(
        cycle=cycle, reviewer=reviewer.user, application=application, reason="Co-authors", actor=coordinator
    )
    with pytest.raises(ValidationError):
        reviews.conflict_set_status(conflict=conflict, status="dismissed", reason=" ", actor=coordinator)
    reviews.conflict_set_status(
        conflict=conflict, status="dismissed", reason="Different person", actor=coordinator
    )
    assert AuditEvent.objects.filter(action="grants.conflict_status", reason="Different person").exists()


# --------------------------------------------------------------------------- assignment


def make_pool(cycle: GrantCycle, n_apps: int, n_reviewers: int, *, max_load: int = 35) -> tuple[list, list]:
    topics = ["rural medicine", "refugee health", "pediatrics", "surgery", "mental health"]
    apps = [
        ApplicationFactory(
            cycle=cycle, topics=topics[i % 5], personal_statement=f"My story about {topics[i % 5]}."
        )
        for i in range(n_apps)
    ]
    reviewers = [
        ReviewerProfileFactory(expertise=topics[j % 5], max_load=max_load) for j in range(n_reviewers)
    ]
    return apps, reviewers


def test_assignment_respects_conflicts_loads_and_demand(cycle: Any) -> None:
    cycle.reviewers_per_application = 2
    cycle.reviewer_max_load = 4
    cycle.save()
    apps, reviewers = make_pool(cycle, 8, 5)
    reviews.conflict_add(
        cycle=cycle, reviewer=reviewers[0].user, application=apps[0], reason="Neighbour", actor=None
    )
    run = reviews.assignment_run(cycle=cycle)
    pairs = list(Assignment.objects.filter(cycle=cycle).values_list("application_id", "reviewer_id"))
    assert len(pairs) == 16 == run.n_pairs
    assert (apps[0].pk, reviewers[0].user_id) not in pairs
    loads = np.bincount([rev for _a, rev in pairs])
    assert loads.max() <= 4
    assert run.is_optimal
    assert str(apps[0].pk) in run.explanations


def test_a_withdrawn_application_is_not_assigned(cycle: Any) -> None:
    apps, _reviewers = make_pool(cycle, 4, 4)
    applications.application_withdraw(application=apps[1])
    reviews.assignment_run(cycle=cycle)
    assert not Assignment.objects.filter(application=apps[1]).exists()
    assert Assignment.objects.filter(application=apps[0]).count() == 3


def test_withdrawing_after_assignment_removes_the_assignments(cycle: Any) -> None:
    apps, _reviewers = make_pool(cycle, 3, 4)
    reviews.assignment_run(cycle=cycle)
    applications.application_withdraw(application=apps[0])
    assert not Assignment.objects.filter(application=apps[0]).exists()


def test_infeasible_assignment_explains_itself(cycle: Any) -> None:
    make_pool(cycle, 5, 2, max_load=35)  # 3 reviewers needed per application, only 2 exist
    with pytest.raises(ValidationError, match="Add reviewers"):
        reviews.assignment_run(cycle=cycle)


def test_rerunning_keeps_pairs_that_already_have_a_review(cycle: Any) -> None:
    apps, _reviewers = make_pool(cycle, 4, 5)
    reviews.assignment_run(cycle=cycle)
    first = Assignment.objects.filter(application=apps[0]).first()
    ReviewFactory(application=apps[0], reviewer=first.reviewer)
    reviews.assignment_run(cycle=cycle)
    assert Assignment.objects.filter(application=apps[0], reviewer=first.reviewer).exists()
    assert Assignment.objects.filter(application=apps[0]).count() == 3


def test_a_manual_swap_rechecks_conflicts(
    cycle: Any, assigned: Any, coordinator: Any, conflicted_reviewer: Any, other_mentor: Any
) -> None:
    reviews.conflict_add(
        cycle=cycle,
        reviewer=conflicted_reviewer.user,
        application=assigned.application,
        reason="Cousin",
        actor=coordinator,
    )
    with pytest.raises(ValidationError, match="conflict"):
        reviews.assignment_swap(
            assignment=assigned, new_reviewer=conflicted_reviewer.user, reason="x", actor=coordinator
        )
    fresh = ReviewerProfileFactory()
    new = reviews.assignment_swap(
        assignment=assigned, new_reviewer=fresh.user, reason="Balance", actor=coordinator
    )
    assert new.source == Assignment.Source.MANUAL
    assert not Assignment.objects.filter(pk=assigned.pk).exists()


# --------------------------------------------------------------------------- reviews


SCORES = {"story": 5, "community": 4, "need": 3, "plan": 2}


def test_only_an_assigned_reviewer_can_review(
    application: Any, reviewer: Any, conflicted_reviewer: Any
) -> None:
    with pytest.raises(PermissionDenied):
        reviews.review_save(
            application=application, reviewer=reviewer.user, scores=SCORES, comments={}, submit=True
        )


def test_a_submitted_review_has_the_weighted_total_and_is_final(assigned: Any, reviewer: Any) -> None:
    review = reviews.review_save(
        application=assigned.application,
        reviewer=reviewer.user,
        scores=SCORES,
        comments={"story": "Moving"},
        submit=True,
    )
    assert review.total == pytest.approx(0.3 * 5 + 0.3 * 4 + 0.2 * 3 + 0.2 * 2)
    with pytest.raises(ValidationError, match="already submitted"):
        reviews.review_save(
            application=assigned.application, reviewer=reviewer.user, scores=SCORES, comments={}, submit=True
        )


def test_submitting_needs_every_criterion_in_range(assigned: Any, reviewer: Any) -> None:
    with pytest.raises(ValidationError):
        reviews.review_save(
            application=assigned.application,
            reviewer=reviewer.user,
            scores={**SCORES, "plan": 6},
            comments={},
            submit=True,
        )
    draft_review = reviews.review_save(
        application=assigned.application,
        reviewer=reviewer.user,
        scores={"story": 3},
        comments={},
        submit=False,
    )
    assert draft_review.status == Review.Status.DRAFT and draft_review.total is None


def test_conflict_discovered_removes_the_assignment(assigned: Any, reviewer: Any) -> None:
    reviews.review_save(
        application=assigned.application,
        reviewer=reviewer.user,
        scores={"story": 3},
        comments={},
        submit=False,
    )
    reviews.review_conflict_discovered(
        application=assigned.application, reviewer=reviewer.user, reason="My student"
    )
    assert not Assignment.objects.filter(pk=assigned.pk).exists()
    assert not Review.objects.filter(reviewer=reviewer.user).exists()
    assert Conflict.objects.get(reviewer=reviewer.user).source == Conflict.Source.DISCOVERED


# --------------------------------------------------------------------------- decision


def reviewed_cycle(n_apps: int = 12, n_reviewers: int = 5, **cycle_kwargs: Any) -> tuple[GrantCycle, list]:
    """A cycle with an overlapping design: each application reviewed by 3 of the reviewers, seeded scores."""
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, **cycle_kwargs)
    rng = np.random.default_rng(7)
    reviewers = [ReviewerProfileFactory().user for _ in range(n_reviewers)]
    apps = []
    for i in range(n_apps):
        app = ApplicationFactory(
            cycle=cycle,
            amount_requested=int(rng.integers(10, 40)) * 100,
            is_first_year=i % 3 == 0,
            need_level=1 + i % 3,
        )
        apps.append(app)
        for k in range(3):
            r = reviewers[(i + k) % n_reviewers]
            score = float(np.clip(round(3 + rng.normal(0, 1)), 1, 5))
            ReviewFactory(application=app, reviewer=r, total=score)
    return cycle, apps


def test_budget_never_exceeds_the_total_and_respects_min_max(coordinator: Any) -> None:
    cycle, apps = reviewed_cycle(total_budget=7000, award_min=500, award_max=1500)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=42)
    amounts = record.outputs["amounts"]
    assert sum(amounts) <= 7000
    assert all(a == 0 or 500 <= a <= 1500 for a in amounts)
    assert record.outputs["total"] == sum(amounts)
    assert all(record.outputs["reasons"])


def test_calibration_alone_shows_raw_and_calibrated_scores(coordinator: Any) -> None:
    cycle, apps = reviewed_cycle()
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=1, with_budget=False)
    assert len(record.outputs["raw_mean"]) == len(apps) == len(record.outputs["merit"])
    assert not record.has_budget


def test_infeasible_floors_give_a_clear_explanation(coordinator: Any) -> None:
    cycle, _apps = reviewed_cycle(
        total_budget=1000,
        award_min=500,
        floors=[{"name": "First-year students", "attribute": "is_first_year", "min_count": 4}],
    )
    with pytest.raises(ValidationError, match="First-year students"):
        decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)


def test_floors_are_met(coordinator: Any) -> None:
    cycle, apps = reviewed_cycle(
        total_budget=4000,
        floors=[{"name": "First-year students", "attribute": "is_first_year", "min_count": 3}],
    )
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    first_years = [
        k
        for k, pk in enumerate(record.inputs["applications"])
        if Application.objects.get(pk=pk).is_first_year
    ]
    assert sum(1 for k in first_years if record.outputs["amounts"][k] > 0) >= 3


def test_replay_reproduces_the_frozen_decision(coordinator: Any) -> None:
    cycle, apps = reviewed_cycle()
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=2026)
    decision.decision_freeze(record=record, actor=coordinator)
    replay = decision.decision_replay(record=DecisionRecord.objects.get(pk=record.pk))
    assert replay.reproduced and replay.live_data_unchanged and replay.inputs_intact
    assert replay.outputs_sha256 == record.outputs_sha256
    awarded = Application.objects.filter(cycle=cycle, award_amount__gt=0)
    assert awarded.exists()
    assert GrantCycle.objects.get(pk=cycle.pk).status == GrantCycle.Status.DECIDED


def test_the_same_seed_gives_the_same_lottery_and_awards(coordinator: Any) -> None:
    cycle, _apps = reviewed_cycle()
    a = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=99)
    b = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=99)
    assert a.outputs_sha256 == b.outputs_sha256


def test_a_changed_input_after_freezing_is_rejected_and_detected(coordinator: Any) -> None:
    cycle, apps = reviewed_cycle()
    record = decision.decision_freeze(
        record=decision.decision_prepare(cycle=cycle, actor=coordinator, seed=5), actor=coordinator
    )
    cycle.refresh_from_db()
    review = Review.objects.filter(application=apps[0]).first()
    AssignmentFactory(application=apps[0], reviewer=ReviewerProfileFactory().user)
    with pytest.raises(ValidationError, match="frozen"):
        applications.application_withdraw(application=apps[0])
    with pytest.raises(ValidationError, match="frozen"):
        decision.decision_prepare(cycle=cycle, actor=coordinator, seed=6)
    with pytest.raises(ValidationError, match="frozen"):
        reviews.conflict_add(
            cycle=cycle, reviewer=review.reviewer, application=apps[0], reason="x", actor=coordinator
        )
    # Someone edits the database behind the services' back: replay still reproduces the frozen result
    # from the frozen inputs, and reports that the live data no longer matches.
    Review.objects.filter(pk=review.pk).update(total=1.0 if review.total != 1.0 else 5.0)
    replay = decision.decision_replay(record=record)
    assert replay.reproduced
    assert not replay.live_data_unchanged
    # Tampering with the stored inputs is caught too.
    DecisionRecord.objects.filter(pk=record.pk).update(inputs={**record.inputs, "budget": 1})
    tampered = decision.decision_replay(record=DecisionRecord.objects.get(pk=record.pk))
    assert not tampered.inputs_intact


def test_freezing_refuses_a_draft_whose_inputs_changed(coordinator: Any) -> None:
    cycle, apps = reviewed_cycle()
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=5)
    Review.objects.filter(application=apps[0]).update(total=1.0)
    with pytest.raises(ValidationError, match="changed since this draft"):
        decision.decision_freeze(record=record, actor=coordinator)


def test_letters_go_to_every_applicant_once(
    coordinator: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cycle, apps = reviewed_cycle()
    with pytest.raises(ValidationError, match="Freeze"):
        decision.letters_send(cycle=cycle, actor=coordinator)
    from ..letters import DEFAULT_TEMPLATES
    from ..models import LetterTemplate

    for kind, (subject, body) in DEFAULT_TEMPLATES.items():
        LetterTemplate.objects.create(cycle=cycle, kind=kind, subject=subject, body=body)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=8)
    decision.decision_freeze(record=record, actor=coordinator)
    cycle.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        sent = decision.letters_send(cycle=cycle, actor=coordinator)
    assert sent == len(apps) == len(mailoutbox) == Letter.objects.count()
    award = Letter.objects.filter(kind="award").select_related("application").first()
    assert f"${award.application.award_amount:,}" in award.body
    assert str(record.seed) in award.body
    assert decision.letters_send(cycle=cycle, actor=coordinator) == 0


def test_letter_templates_refuse_template_tags(cycle: Any, coordinator: Any) -> None:
    applications.cycle_save(cycle=cycle, actor=coordinator)
    template = cycle.letter_templates.get(kind="award")
    with pytest.raises(ValidationError, match="placeholders"):
        decision.letter_template_save(
            template=template, subject="Hi", body="{% load static %}{{ name }}", actor=coordinator
        )


def test_reminders_go_only_to_reviewers_with_pending_reviews(
    assigned: Any,
    coordinator: Any,
    mailoutbox: Any,
    other_mentor: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    done = ReviewerProfileFactory()
    app2 = ApplicationFactory(cycle=assigned.cycle)
    AssignmentFactory(application=app2, reviewer=done.user)
    ReviewFactory(application=app2, reviewer=done.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert reviews.reminders_send(cycle=assigned.cycle, actor=coordinator) == 1
    assert mailoutbox[0].to == [assigned.reviewer.email]
    # Gentle: not again the same day.
    assert reviews.reminders_send(cycle=assigned.cycle, actor=coordinator) == 0


def test_models_are_not_used_outside_their_cycle(
    cycle: Any, application: Any, coordinator: Any, reviewer: Any
) -> None:
    other = GrantCycleFactory()
    with pytest.raises(ValidationError):
        reviews.conflict_add(
            cycle=other, reviewer=reviewer.user, application=application, reason="x", actor=coordinator
        )


def test_the_run_reports_whether_reviewers_overlap(cycle: Any) -> None:
    cycle.reviewers_per_application = 1
    cycle.save()
    apps = [
        ApplicationFactory(cycle=cycle, topics=t, personal_statement=t) for t in ("surgery", "pediatrics")
    ]
    for t in ("surgery", "pediatrics"):
        ReviewerProfileFactory(expertise=t)
    run = reviews.assignment_run(cycle=cycle)
    assert run.n_components == 2  # one reviewer each, nothing shared: calibration cannot link them
    assert len(apps) == 2
