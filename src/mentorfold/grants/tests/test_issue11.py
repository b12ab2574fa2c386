"""Issue 11 (grants): partial reviews, freezing with reviews missing, amount limits, text lost on upload,
frozen cycles that still looked open, apply links that answer 403, and plain words for counts and money."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mentorfold.accounts.tests.factories import ReviewerProfileFactory
from mentorfold.core.models import AuditEvent

from .. import applications, decision
from .. import review as reviews
from ..models import Application, GrantCycle, Letter, Review
from .factories import PDF_BYTES, ApplicationFactory, AssignmentFactory, GrantCycleFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def login(client: Any, who: Any) -> None:
    client.force_login(getattr(who, "user", who))


@pytest.fixture
def draft(cycle: Any, applicant: Any) -> Any:
    return ApplicationFactory(
        cycle=cycle, applicant=applicant, status=Application.Status.DRAFT, submitted_at=None
    )


def half_reviewed_cycle(coordinator: Any) -> tuple[GrantCycle, list[Application]]:
    """Four applications, 2 reviews wanted each; the last one has only one review."""
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, total_budget=4000, reviewers_per_application=2)
    applications.cycle_save(cycle=cycle, actor=coordinator)
    people = [ReviewerProfileFactory().user for _ in range(2)]
    apps = [ApplicationFactory(cycle=cycle, amount_requested=1000) for _ in range(4)]
    for i, app in enumerate(apps):
        for k, person in enumerate(people[: 1 if i == 3 else 2]):
            ReviewFactory(application=app, reviewer=person, total=float(2 + (i + k) % 3))
    return cycle, apps


# --------------------------------------------------------------------------- #2 partial review


def test_a_partly_scored_review_names_the_missing_criteria(client: Any, assigned: Any, reviewer: Any) -> None:
    login(client, reviewer)
    url = reverse("grants:review_application", args=[assigned.application_id])
    response = client.post(url, {"score_story": "4", "score_need": "3", "submit": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Community involvement: choose a score from 1 to 5" in page
    assert "Budget plan: choose a score from 1 to 5" in page
    assert not Review.objects.filter(status=Review.Status.SUBMITTED).exists()


def test_a_partly_scored_draft_still_saves(client: Any, assigned: Any, reviewer: Any) -> None:
    login(client, reviewer)
    url = reverse("grants:review_application", args=[assigned.application_id])
    response = client.post(url, {"score_story": "4", "save": "1"})
    assert response.status_code == 302
    assert Review.objects.get().scores == {"story": 4}


# --------------------------------------------------------------------------- #3 freeze with reviews missing


def test_freezing_is_refused_while_reviews_are_missing(coordinator: Any) -> None:
    cycle, _apps = half_reviewed_cycle(coordinator)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    with pytest.raises(ValidationError, match="1 application has fewer than 2 submitted reviews"):
        decision.decision_freeze(record=record, actor=coordinator)
    cycle.refresh_from_db()
    assert not cycle.is_frozen


def test_an_override_reason_freezes_and_is_audited(coordinator: Any) -> None:
    cycle, _apps = half_reviewed_cycle(coordinator)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    decision.decision_freeze(
        record=record, actor=coordinator, override_reason="Reviewer fell ill; committee agreed"
    )
    event = AuditEvent.objects.get(action="grants.decision_frozen")
    assert event.reason == "Reviewer fell ill; committee agreed"
    assert event.data["missing_reviews"] == 1


def test_the_decision_page_shows_coverage_and_unspent_budget(client: Any, coordinator: Any) -> None:
    cycle, _apps = half_reviewed_cycle(coordinator)
    decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    login(client, coordinator)
    page = client.get(reverse("grants:decision", args=[cycle.pk])).content.decode()
    assert "7 of 8 reviews in" in page
    assert "1 application has fewer than 2 submitted reviews" in page
    assert "Unspent" in page


def test_the_freeze_form_refuses_without_a_reason_and_accepts_one(client: Any, coordinator: Any) -> None:
    cycle, _apps = half_reviewed_cycle(coordinator)
    decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    login(client, coordinator)
    url = reverse("grants:decision", args=[cycle.pk])
    page = client.post(url, {"action": "freeze"}, follow=True).content.decode()
    assert "fewer than 2 submitted reviews" in page
    assert not GrantCycle.objects.get(pk=cycle.pk).is_frozen
    client.post(url, {"action": "freeze", "override_reason": "Deadline for the foundation"})
    assert GrantCycle.objects.get(pk=cycle.pk).is_frozen


def test_letters_never_go_to_unreviewed_applications(
    coordinator: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cycle, apps = half_reviewed_cycle(coordinator)
    unreviewed = ApplicationFactory(cycle=cycle, amount_requested=1000)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    decision.decision_freeze(record=record, actor=coordinator, override_reason="Agreed by the committee")
    with django_capture_on_commit_callbacks(execute=True):
        decision.letters_send(cycle=cycle, actor=coordinator)
    assert not Letter.objects.filter(application=unreviewed).exists()
    assert Letter.objects.filter(application__in=apps).count() == 4
    assert all("not reviewed" not in m.body for m in mailoutbox)


# --------------------------------------------------------------------------- #4 amount limits


def test_a_request_above_the_cycle_maximum_is_a_form_error(client: Any, draft: Any, applicant: Any) -> None:
    login(client, applicant)
    data = {"personal_statement": "x", "need_level": "2", "amount_requested": "7000"}
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert "Amount requested: ask for $500 to $3,000" in response.content.decode()
    draft.refresh_from_db()
    assert draft.amount_requested != 7000


def test_the_services_refuse_amounts_outside_the_limits(draft: Any) -> None:
    with pytest.raises(ValidationError, match=r"\$500 to \$3,000"):
        applications.application_save(application=draft, data={"amount_requested": 7000})
    Application.objects.filter(pk=draft.pk).update(amount_requested=100)  # stored before the fix
    draft.refresh_from_db()
    assert any("$500 to $3,000" in p for p in applications.application_problems(draft))
    with pytest.raises(ValidationError):
        applications.application_submit(application=draft)


# --------------------------------------------------------------------------- #11 text lost on upload


def test_uploading_saves_the_text_typed_in_the_same_page(client: Any, draft: Any, applicant: Any) -> None:
    login(client, applicant)
    response = client.post(
        reverse("grants:attachment_upload", args=[draft.pk]),
        {
            "label": "Enrolment letter",
            "file": SimpleUploadedFile("letter.pdf", PDF_BYTES),
            "personal_statement": "Typed just before clicking Upload",
            "need_level": "3",
            "amount_requested": "1500",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.personal_statement == "Typed just before clicking Upload"
    assert draft.need_level == 3
    assert draft.attachments.count() == 1


def test_the_upload_button_belongs_to_the_form_with_the_text(client: Any, draft: Any, applicant: Any) -> None:
    login(client, applicant)
    page = client.get(reverse("grants:application_edit", args=[draft.pk])).content.decode()
    upload_url = reverse("grants:attachment_upload", args=[draft.pk])
    assert f'formaction="{upload_url}"' in page


# --------------------------------------------------------------------------- #13 frozen cycle looks closed


@pytest.fixture
def frozen_assignment(assigned: Any) -> Any:
    GrantCycle.objects.filter(pk=assigned.cycle_id).update(status=GrantCycle.Status.DECIDED)
    return assigned


def test_a_frozen_cycle_shows_the_review_closed_without_a_submit_button(
    client: Any, frozen_assignment: Any, reviewer: Any
) -> None:
    login(client, reviewer)
    url = reverse("grants:review_application", args=[frozen_assignment.application_id])
    page = client.get(url).content.decode()
    assert "Reviews for this cycle are closed" in page
    assert 'name="submit"' not in page
    response = client.post(
        url, {f"score_{k}": "4" for k in ("story", "community", "need", "plan")} | {"submit": "1"}
    )
    assert response.status_code == 200
    assert not Review.objects.exists()


def test_the_reviewer_list_and_dashboard_agree_on_closed_cycles(
    client: Any, frozen_assignment: Any, reviewer: Any
) -> None:
    open_one = AssignmentFactory(reviewer=reviewer.user)
    login(client, reviewer)
    page = client.get(reverse("grants:review_list")).content.decode()
    assert "Closed" in page
    assert "0 of 1 open review submitted" in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "0 of 1 open review submitted" in dashboard
    assert open_one.application.code in page


def test_the_service_refuses_a_review_in_a_frozen_cycle(frozen_assignment: Any, reviewer: Any) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        reviews.review_save(
            application=Application.objects.get(pk=frozen_assignment.application_id),
            reviewer=reviewer.user,
            scores={},
            comments={},
            submit=False,
        )


# --------------------------------------------------------------------------- #18 who sees "apply"


def test_a_coordinator_sees_no_apply_link(client: Any, cycle: Any, coordinator: Any) -> None:
    login(client, coordinator)
    page = client.get(reverse("grants:home")).content.decode()
    assert reverse("grants:eligibility", args=[cycle.pk]) not in page
    assert cycle.name in page
    assert "Only medical students can apply" in page


def test_a_minor_is_told_why_she_cannot_apply(client: Any, cycle: Any, minor_learner: Any) -> None:
    login(client, minor_learner)
    page = client.get(reverse("grants:home")).content.decode()
    assert "No grant cycle is open" not in page
    assert cycle.name in page
    assert "These grants are for medical students" in page
    assert reverse("grants:eligibility", args=[cycle.pk]) not in page


def test_a_medical_student_gets_the_apply_link(client: Any, cycle: Any, applicant: Any) -> None:
    login(client, applicant)
    page = client.get(reverse("grants:home")).content.decode()
    assert reverse("grants:eligibility", args=[cycle.pk]) in page


def test_the_review_form_and_the_public_record_have_back_links(
    client: Any, assigned: Any, reviewer: Any, coordinator: Any
) -> None:
    login(client, reviewer)
    page = client.get(reverse("grants:review_application", args=[assigned.application_id])).content.decode()
    assert f'href="{reverse("grants:review_list")}"' in page
    cycle, _apps = half_reviewed_cycle(coordinator)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    decision.decision_freeze(record=record, actor=coordinator, override_reason="ok")
    public = client.get(reverse("grants:decision_public", args=[cycle.pk])).content.decode()
    assert f'href="{reverse("grants:home")}"' in public


def test_counts_use_plural_forms(client: Any, cycle: Any, coordinator: Any, application: Any) -> None:
    ReviewerProfileFactory(organization=application.applicant.school)
    login(client, coordinator)
    response = client.post(reverse("grants:conflicts", args=[cycle.pk]), {"detect": "1"}, follow=True)
    page = response.content.decode()
    assert "1 conflict found in the data" in page
    assert "1 conflicts" not in page


def test_money_has_one_format_on_the_applicant_pages(client: Any, cycle: Any, applicant: Any) -> None:
    cycle.award_max = 5000
    cycle.save()
    login(client, applicant)
    page = client.get(reverse("grants:home")).content.decode()
    assert "$500 to $5,000" in page


def test_coordinator_pages_use_singular_for_one(client: Any, coordinator: Any) -> None:
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, reviewers_per_application=1)
    person = ReviewerProfileFactory().user
    app = ApplicationFactory(cycle=cycle)
    AssignmentFactory(application=app, reviewer=person)
    login(client, coordinator)
    page = client.get(reverse("grants:cycle", args=[cycle.pk])).content.decode()
    assert "<strong>1</strong> assignment" in page and "1 assignments" not in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "1 submitted, 0 reviews in, 0 conflicts to check" in dashboard
