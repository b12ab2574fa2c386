"""Typed text and request values that used to crash a page or be stored silently."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from mentorfold.accounts.tests.factories import ReviewerProfileFactory

from .. import applications, decision
from ..letters import render_text
from ..models import Application, Assignment, GrantAttachment, GrantCycle, LetterTemplate, Review
from .factories import PDF_BYTES, ApplicationFactory, GrantCycleFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def login(client: Any, who: Any) -> None:
    client.force_login(getattr(who, "user", who))


@pytest.fixture
def frozen_cycle(coordinator: Any) -> GrantCycle:
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, total_budget=3000, reviewers_per_application=2)
    applications.cycle_save(cycle=cycle, actor=coordinator)
    reviewers = [ReviewerProfileFactory().user for _ in range(2)]
    for i in range(3):
        app = ApplicationFactory(cycle=cycle, amount_requested=1500)
        for k, reviewer in enumerate(reviewers):
            ReviewFactory(application=app, reviewer=reviewer, total=float(2 + (i + k) % 3))
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=4)
    decision.decision_freeze(record=record, actor=coordinator)
    cycle.refresh_from_db()
    return cycle


# --------------------------------------------------------------------------- letters


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("Dear {{ }}", "{{ }}"),
        ("Dear {{ name.__class__ }}", "name.__class__"),
        ("Dear {{ name }}", "{{ name }}"),
        ("Dear {name.__class__.__mro__}", "name.__class__.__mro__"),
        ("You get {money}", "money"),
        ("Half-open { brace", "{"),
    ],
)
def test_letter_bodies_with_unknown_placeholders_are_a_form_error_naming_them(
    client: Any, frozen_cycle: GrantCycle, coordinator: Any, body: str, named: str
) -> None:
    login(client, coordinator)
    url = reverse("grants:letters", args=[frozen_cycle.pk])
    response = client.post(url, {"kind": "award", "award-subject": "Your grant", "award-body": body})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Letter text" in page and named.replace("{", "&#x7B;") in page.replace("{", "&#x7B;")
    assert frozen_cycle.letter_templates.get(kind="award").body != body


def test_letters_use_simple_placeholders_and_never_the_template_engine(
    client: Any,
    frozen_cycle: GrantCycle,
    coordinator: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, coordinator)
    url = reverse("grants:letters", args=[frozen_cycle.pk])
    response = client.post(
        url,
        {
            "kind": "award",
            "award-subject": "Good news, {name}",
            "award-body": "You get {amount} from {cycle}: {decision}.",
        },
    )
    assert response.status_code == 302
    template = frozen_cycle.letter_templates.get(kind="award")
    assert template.subject == "Good news, {name}"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    awarded = Application.objects.filter(cycle=frozen_cycle, award_amount__gt=0).first()
    body = awarded.letter.body
    assert f"${awarded.award_amount:,}" in body and frozen_cycle.name in body
    assert "{" not in body


def test_render_text_substitutes_only_known_names() -> None:
    assert render_text("Hi {name}, {name}!", {"name": "Ana"}) == "Hi Ana, Ana!"
    assert render_text("{name}", {"name": "{amount}"}) == "{amount}"  # values are never re-read


def test_the_default_templates_use_the_simple_syntax(cycle: Any, coordinator: Any) -> None:
    applications.cycle_save(cycle=cycle, actor=coordinator)
    for template in LetterTemplate.objects.filter(cycle=cycle):
        assert "{{" not in template.body and "{name}" in template.body


# --------------------------------------------------------------------------- review comments


@pytest.mark.parametrize(
    ("comment", "message"),
    [("Fine\x00work", "invisible"), ("x" * 2001, "2,000")],
)
def test_a_bad_review_comment_is_a_form_error_not_dropped(
    client: Any, assigned: Any, reviewer: Any, comment: str, message: str
) -> None:
    login(client, reviewer)
    url = reverse("grants:review_application", args=[assigned.application_id])
    data = {f"score_{k}": "4" for k in ("story", "community", "need", "plan")}
    data["comment_story"] = comment
    data["save"] = "1"
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Comments on Personal story and resilience" in page and message in page
    assert not Review.objects.filter(application_id=assigned.application_id).exists()


# --------------------------------------------------------------------------- attachments


def test_the_same_file_uploaded_twice_is_stored_once(draft: Any) -> None:
    first = applications.attachment_add(
        application=draft, label="Enrolment letter", upload=SimpleUploadedFile("a.pdf", PDF_BYTES)
    )
    second = applications.attachment_add(
        application=draft, label="Enrolment letter", upload=SimpleUploadedFile("b.pdf", PDF_BYTES)
    )
    assert first.pk == second.pk
    assert GrantAttachment.objects.filter(application=draft).count() == 1


def test_the_database_refuses_a_duplicate_attachment_row(draft: Any) -> None:
    applications.attachment_add(
        application=draft, label="Enrolment letter", upload=SimpleUploadedFile("a.pdf", PDF_BYTES)
    )
    digest = GrantAttachment.objects.get(application=draft).sha256
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantAttachment.objects.create(
            application=draft, label="Other", original_name="c.pdf", size=1, sha256=digest, file="x.pdf"
        )


# --------------------------------------------------------------------------- booleans


@pytest.fixture
def draft(cycle: Any, applicant: Any) -> Any:
    return ApplicationFactory(
        cycle=cycle, applicant=applicant, status=Application.Status.DRAFT, submitted_at=None
    )


@pytest.mark.parametrize("value", ["invalid", "1e309", "yes please", "2"])
def test_a_malformed_yes_no_value_is_a_form_error_never_stored(
    client: Any, draft: Any, applicant: Any, value: str
) -> None:
    login(client, applicant)
    data = {
        "personal_statement": "My story",
        "financial_need": "Rent",
        "need_level": "2",
        "amount_requested": "1500",
        "budget_purpose": "Books",
        "is_rural": value,
    }
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert "I grew up in a rural area: choose yes or no" in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_rural is False and draft.personal_statement != "My story"
    autosave = client.post(reverse("grants:application_autosave", args=[draft.pk]), data)
    assert autosave.status_code == 200
    draft.refresh_from_db()
    assert draft.is_rural is False and draft.personal_statement == "My story"


@pytest.mark.parametrize(("value", "stored"), [("on", True), ("true", True), ("", False), (None, False)])
def test_checkbox_values_a_browser_sends_still_work(
    client: Any, draft: Any, applicant: Any, value: str | None, stored: bool
) -> None:
    login(client, applicant)
    data = {"personal_statement": "x", "need_level": "2", "amount_requested": "1500"}
    if value is not None:
        data["is_first_year"] = value
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_first_year is stored


def test_a_malformed_cycle_switch_is_a_form_error(client: Any, coordinator: Any, cycle: Any) -> None:
    login(client, coordinator)
    response = client.get(reverse("grants:cycle_edit", args=[cycle.pk]))
    form = response.context["form"]
    data = {k: form[k].value() for k in form.fields}
    data = {k: v for k, v in data.items() if v is not None and not isinstance(v, bool)}
    data.update(opens_at="2027-01-01T09:00", closes_at="2027-02-01T17:00", use_lottery="1e309")
    for key in ("rubric", "eligibility_questions", "required_attachments", "floors"):
        data[key] = form[key].value()
    response = client.post(reverse("grants:cycle_edit", args=[cycle.pk]), data)
    assert response.status_code == 200
    assert "choose yes or no" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.use_lottery is True and cycle.opens_at.year != 2027


@pytest.mark.parametrize("reason", ["I know her\x00", "x" * 301])
def test_a_bad_conflict_reason_is_refused_with_a_message(
    client: Any, assigned: Any, reviewer: Any, reason: str
) -> None:
    login(client, reviewer)
    url = reverse("grants:review_conflict", args=[assigned.application_id])
    response = client.post(url, {"reason": reason}, follow=True)
    assert response.status_code == 200
    assert "How you know them" in response.content.decode()
    assert Assignment.objects.filter(pk=assigned.pk).exists()


# --------------------------------------------------------------------------- values that used to be ignored


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1e309", "99999999999999999999", "2\x00"])
@pytest.mark.parametrize("name", ["grants:cycle_applications", "grants:assignment"])
def test_a_page_number_that_is_not_one_is_refused_not_replaced_by_page_one(
    client: Any, coordinator: Any, cycle: Any, name: str, page: str
) -> None:
    login(client, coordinator)
    url = reverse(name, args=[cycle.pk])
    assert client.get(url, {"page": "1"}).status_code == 200
    assert client.get(url, {"page": page}).status_code == 400


@pytest.mark.parametrize("action", ["", "delete", "freeze\x00", "x" * 5000])
def test_an_unknown_decision_action_is_refused_not_silently_ignored(
    client: Any, coordinator: Any, cycle: Any, action: str
) -> None:
    login(client, coordinator)
    response = client.post(reverse("grants:decision", args=[cycle.pk]), {"action": action, "seed": "3"})
    assert response.status_code == 400
    assert not cycle.decisions.exists()


def test_saving_an_unknown_letter_kind_is_refused_not_silently_ignored(
    client: Any, frozen_cycle: GrantCycle, coordinator: Any
) -> None:
    login(client, coordinator)
    before = list(LetterTemplate.objects.filter(cycle=frozen_cycle).values_list("kind", "subject", "body"))
    response = client.post(
        reverse("grants:letters", args=[frozen_cycle.pk]),
        {"kind": "nonsense", "nonsense-subject": "Hi", "nonsense-body": "Hello"},
    )
    assert response.status_code == 400
    assert (
        list(LetterTemplate.objects.filter(cycle=frozen_cycle).values_list("kind", "subject", "body"))
        == before
    )
