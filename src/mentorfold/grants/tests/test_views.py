from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from mentorfold.accounts.tests.factories import ReviewerProfileFactory

from .. import applications, decision
from .. import review as reviews
from ..models import Application, Assignment, Conflict, DecisionRecord, GrantAttachment, GrantCycle, Review
from .factories import PDF_BYTES, ApplicationFactory, AssignmentFactory, GrantCycleFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def login(client: Any, who: Any) -> None:
    client.force_login(getattr(who, "user", who))


@pytest.fixture
def attachment(application: Any) -> GrantAttachment:
    item = GrantAttachment(
        application=application,
        label="Enrolment letter",
        original_name="enrolment.pdf",
        size=len(PDF_BYTES),
        sha256="x",
    )
    item.file.save("enrolment.pdf", ContentFile(PDF_BYTES), save=False)
    item.save()
    return item


@pytest.fixture
def draft_application(cycle: Any, applicant: Any) -> Any:
    return ApplicationFactory(
        cycle=cycle, applicant=applicant, status=Application.Status.DRAFT, submitted_at=None
    )


@pytest.fixture
def decided(coordinator: Any) -> tuple[GrantCycle, Any]:
    """A frozen cycle with 6 applications, 3 reviewers each, and an evil applicant name for the export."""
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, total_budget=5000)
    applications.cycle_save(cycle=cycle, actor=coordinator)
    reviewers = [ReviewerProfileFactory().user for _ in range(4)]
    apps = [ApplicationFactory(cycle=cycle, amount_requested=1500) for _ in range(6)]
    apps[0].applicant.user.full_name = '=HYPERLINK("http://evil")'
    apps[0].applicant.user.save()
    for i, app in enumerate(apps):
        for k in range(3):
            ReviewFactory(application=app, reviewer=reviewers[(i + k) % 4], total=float(1 + (i + k) % 5))
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=11)
    decision.decision_freeze(record=record, actor=coordinator)
    cycle.refresh_from_db()
    return cycle, apps


# --------------------------------------------------------------------------- applicant


def test_anonymous_visitors_are_sent_to_log_in(client: Any, application: Any) -> None:
    for url in [
        reverse("grants:home"),
        reverse("grants:application_detail", args=[application.pk]),
        reverse("grants:review_list"),
        reverse("grants:manage"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_applicant_sees_open_cycles_and_their_applications(
    client: Any, application: Any, applicant: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, applicant)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("grants:home"))
    assert application.cycle.name in response.content.decode()
    assert application.code in response.content.decode()


def test_eligibility_shows_the_rules_and_starts_a_draft(
    client: Any, cycle: Any, applicant: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, applicant)
    url = reverse("grants:eligibility", args=[cycle.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "Who can apply" in response.content.decode()
    response = client.post(url, {"q_good_standing": "yes", "q_not_funded_before": "yes"})
    application = Application.objects.get(applicant=applicant)
    assert response["Location"] == reverse("grants:application_edit", args=[application.pk])


def test_an_undergraduate_is_told_why_they_cannot_apply(client: Any, cycle: Any, learner: Any) -> None:
    login(client, learner)
    response = client.get(reverse("grants:eligibility", args=[cycle.pk]))
    assert "for medical students" in response.content.decode()
    client.post(
        reverse("grants:eligibility", args=[cycle.pk]),
        {"q_good_standing": "yes", "q_not_funded_before": "yes"},
    )
    assert not Application.objects.filter(applicant=learner).exists()


def test_eligibility_is_not_found_for_people_without_a_learner_profile(
    client: Any, cycle: Any, mentor: Any
) -> None:
    login(client, mentor)
    assert client.get(reverse("grants:eligibility", args=[cycle.pk])).status_code == 404


def test_the_owner_edits_and_autosaves_a_draft(
    client: Any, draft_application: Any, applicant: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, applicant)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("grants:application_edit", args=[draft_application.pk]))
    assert response.status_code == 200
    response = client.post(
        reverse("grants:application_autosave", args=[draft_application.pk]),
        {"personal_statement": "Autosaved words", "need_level": "3", "amount_requested": "not a number"},
    )
    assert response.status_code == 200 and "Draft saved" in response.content.decode()
    draft_application.refresh_from_db()
    assert draft_application.personal_statement == "Autosaved words"


@pytest.mark.parametrize("who", ["other_learner", "coordinator", "reviewer"])
def test_others_cannot_edit_a_draft(client: Any, draft_application: Any, who: str, request: Any) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("grants:application_edit", args=[draft_application.pk])).status_code == 404
    assert (
        client.post(reverse("grants:application_autosave", args=[draft_application.pk]), {}).status_code
        == 404
    )
    assert client.post(reverse("grants:application_withdraw", args=[draft_application.pk])).status_code == 404


def test_upload_and_submit_from_the_form(
    client: Any,
    draft_application: Any,
    applicant: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, applicant)
    response = client.post(
        reverse("grants:attachment_upload", args=[draft_application.pk]),
        {"label": "Enrolment letter", "file": SimpleUploadedFile("letter.pdf", PDF_BYTES)},
    )
    assert response.status_code == 302
    assert draft_application.attachments.count() == 1
    form = {
        "personal_statement": "My story",
        "financial_need": "Rent",
        "need_level": "2",
        "community_involvement": "Clinic",
        "amount_requested": "1500",
        "budget_purpose": "Books",
        "topics": "rural medicine",
        "mailing_address": "",
        "submit": "1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:application_edit", args=[draft_application.pk]), form)
    assert response["Location"] == reverse("grants:application_detail", args=[draft_application.pk])
    assert Application.objects.get(pk=draft_application.pk).status == Application.Status.SUBMITTED
    assert len(mailoutbox) == 1


def test_a_fake_pdf_upload_is_refused_with_a_message(
    client: Any, draft_application: Any, applicant: Any
) -> None:
    login(client, applicant)
    response = client.post(
        reverse("grants:attachment_upload", args=[draft_application.pk]),
        {
            "label": "Enrolment letter",
            "file": SimpleUploadedFile("letter.pdf", b"<html>not a pdf</html>" * 10),
        },
        follow=True,
    )
    assert "is not a PDF file" in response.content.decode()
    assert not draft_application.attachments.exists()


def test_another_learner_cannot_upload_to_an_application(
    client: Any, draft_application: Any, other_learner: Any
) -> None:
    login(client, other_learner)
    response = client.post(
        reverse("grants:attachment_upload", args=[draft_application.pk]),
        {"label": "Enrolment letter", "file": SimpleUploadedFile("letter.pdf", PDF_BYTES)},
    )
    assert response.status_code == 404


def test_the_applicant_sees_their_application_and_can_withdraw(
    client: Any, application: Any, applicant: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, applicant)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("grants:application_detail", args=[application.pk]))
    assert application.personal_statement in response.content.decode()
    client.post(reverse("grants:application_withdraw", args=[application.pk]))
    assert Application.objects.get(pk=application.pk).status == Application.Status.WITHDRAWN


@pytest.mark.parametrize("who", ["other_learner", "reviewer", "mentor", "guardian"])
def test_others_cannot_see_an_application(client: Any, application: Any, who: str, request: Any) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("grants:application_detail", args=[application.pk])).status_code == 404


# --------------------------------------------------------------------------- attachments


def test_attachment_download_for_owner_coordinator_and_assigned_reviewer(
    client: Any,
    attachment: Any,
    applicant: Any,
    coordinator: Any,
    assigned: Any,
    reviewer: Any,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("grants:attachment_download", args=[attachment.pk])
    for who in (applicant, coordinator, reviewer):
        login(client, who)
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("who", ["other_learner", "conflicted_reviewer", "mentor"])
def test_attachment_is_hidden_from_people_without_a_reason_to_see_it(
    client: Any, attachment: Any, who: str, request: Any
) -> None:
    person = request.getfixturevalue(who)
    if who == "conflicted_reviewer":
        AssignmentFactory(application=attachment.application, reviewer=person.user)
        reviews.conflict_add(
            cycle=attachment.application.cycle,
            reviewer=person.user,
            application=attachment.application,
            reason="Aunt",
            actor=None,
        )
    login(client, person)
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404


def test_blind_review_hides_attachments_names_and_schools_from_reviewers(
    client: Any, attachment: Any, assigned: Any, reviewer: Any
) -> None:
    cycle = attachment.application.cycle
    cycle.blind_review = True
    cycle.save()
    login(client, reviewer)
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404
    page = client.get(reverse("grants:review_application", args=[assigned.application_id])).content.decode()
    listing = client.get(reverse("grants:review_list")).content.decode()
    for text in (page, listing):
        assert "Nora Begay" not in text
        assert f"Applicant #{assigned.application.code}" in text
    assert assigned.application.applicant.school.name not in page


# --------------------------------------------------------------------------- reviewer


def test_the_reviewer_list_shows_assigned_applications_only(
    client: Any, assigned: Any, reviewer: Any, cycle: Any, django_assert_max_num_queries: Any
) -> None:
    other = ApplicationFactory(cycle=cycle)
    conflicted = ApplicationFactory(cycle=cycle)
    AssignmentFactory(application=conflicted, reviewer=reviewer.user)
    Conflict.objects.create(
        cycle=cycle, reviewer=reviewer.user, application=conflicted, source="declared", reason="Friend"
    )
    login(client, reviewer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("grants:review_list"))
    content = response.content.decode()
    assert assigned.application.code in content
    assert other.code not in content
    assert conflicted.code not in content


@pytest.mark.parametrize("who", ["learner", "mentor"])
def test_non_reviewers_cannot_open_the_review_list(client: Any, who: str, request: Any) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("grants:review_list")).status_code == 403


def test_a_reviewer_scores_an_assigned_application(
    client: Any, assigned: Any, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, reviewer)
    url = reverse("grants:review_application", args=[assigned.application_id])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert "Personal story and resilience" in response.content.decode()
    data = {f"score_{k}": "4" for k in ("story", "community", "need", "plan")}
    data.update({"comment_story": "Moving story", "submit": "1"})
    response = client.post(url, data)
    assert response.status_code == 302
    review = Review.objects.get(reviewer=reviewer.user)
    assert review.status == Review.Status.SUBMITTED and review.total == 4.0


def test_a_reviewer_never_sees_other_reviewers_scores(client: Any, assigned: Any, reviewer: Any) -> None:
    colleague = ReviewerProfileFactory().user
    AssignmentFactory(application=assigned.application, reviewer=colleague)
    ReviewFactory(
        application=assigned.application,
        reviewer=colleague,
        comments={"story": "SECRET-COLLEAGUE-NOTE"},
        total=1.25,
    )
    login(client, reviewer)
    content = client.get(
        reverse("grants:review_application", args=[assigned.application_id])
    ).content.decode()
    assert "SECRET-COLLEAGUE-NOTE" not in content
    assert "1.25" not in content


def test_a_conflicted_reviewer_gets_not_found_even_with_a_guessed_url(
    client: Any, application: Any, conflicted_reviewer: Any, reviewer: Any
) -> None:
    AssignmentFactory(application=application, reviewer=conflicted_reviewer.user)
    Conflict.objects.create(
        cycle=application.cycle,
        reviewer=conflicted_reviewer.user,
        application=application,
        source="organization",
        status="flagged",
        reason="Same address",
    )
    for who in (conflicted_reviewer, reviewer):  # conflicted, and simply not assigned
        login(client, who)
        assert client.get(reverse("grants:review_application", args=[application.pk])).status_code == 404
        assert client.post(reverse("grants:review_conflict", args=[application.pk])).status_code == 404
        assert client.get(reverse("grants:application_detail", args=[application.pk])).status_code == 404


def test_marking_a_conflict_removes_the_assignment(client: Any, assigned: Any, reviewer: Any) -> None:
    login(client, reviewer)
    client.post(reverse("grants:review_conflict", args=[assigned.application_id]), {"reason": "My student"})
    assert not Assignment.objects.filter(pk=assigned.pk).exists()
    assert client.get(reverse("grants:review_application", args=[assigned.application_id])).status_code == 404


def test_a_reviewer_declares_people_they_know(
    client: Any, application: Any, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, reviewer)
    url = reverse("grants:declaration", args=[application.cycle_id])
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    client.post(url, {"known_people": "med@example.org", "mailing_address": ""})
    assert Conflict.objects.filter(
        reviewer=reviewer.user, application=application, source="declared"
    ).exists()


def test_a_learner_cannot_declare_conflicts(client: Any, cycle: Any, learner: Any) -> None:
    login(client, learner)
    assert client.get(reverse("grants:declaration", args=[cycle.pk])).status_code == 403


# --------------------------------------------------------------------------- coordinator


COORDINATOR_PAGES = [
    ("grants:manage", False),
    ("grants:cycle_new", False),
    ("grants:cycle", True),
    ("grants:cycle_edit", True),
    ("grants:cycle_applications", True),
    ("grants:conflicts", True),
    ("grants:assignment", True),
    ("grants:decision", True),
    ("grants:letters", True),
]


@pytest.mark.parametrize(("name", "with_cycle"), COORDINATOR_PAGES)
def test_coordinator_pages_open_within_a_query_budget(
    client: Any,
    assigned: Any,
    coordinator: Any,
    name: str,
    with_cycle: bool,
    django_assert_max_num_queries: Any,
) -> None:
    cycle = assigned.cycle
    applications.cycle_save(cycle=cycle, actor=coordinator)
    login(client, coordinator)
    url = reverse(name, args=[cycle.pk] if with_cycle else [])
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "with_cycle"), COORDINATOR_PAGES)
@pytest.mark.parametrize("who", ["reviewer", "learner", "mentor", "coordinator_without_mfa"])
def test_coordinator_pages_are_forbidden_to_others(
    client: Any, cycle: Any, name: str, with_cycle: bool, who: str, request: Any
) -> None:
    login(client, request.getfixturevalue(who))
    response = client.get(reverse(name, args=[cycle.pk] if with_cycle else []))
    # Coordinators without MFA are sent to set it up; everyone else is refused.
    assert response.status_code == (302 if who == "coordinator_without_mfa" else 403)


def test_coordinator_application_view_shows_reviewers_and_explanation(
    client: Any, cycle: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    apps = [ApplicationFactory(cycle=cycle) for _ in range(3)]
    for _ in range(4):
        ReviewerProfileFactory()
    reviews.assignment_run(cycle=cycle)
    login(client, coordinator)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("grants:application_detail", args=[apps[0].pk]))
    assert "Why not other reviewers?" in response.content.decode()


def test_coordinator_creates_a_cycle(client: Any, coordinator: Any) -> None:
    login(client, coordinator)
    response = client.get(reverse("grants:cycle_new"))
    form = response.context["form"]
    data = {k: form[k].value() for k in form.fields}
    data.update(
        name="Community Foundation 2027",
        opens_at="2027-01-01T09:00",
        closes_at="2027-02-01T17:00",
        status="open",
        partial_awards="on",
        use_lottery="on",
    )
    for key in ("rubric", "eligibility_questions", "required_attachments", "floors"):
        data[key] = form[key].value()
    for key in ("blind_review",):
        data.pop(key, None)
    response = client.post(reverse("grants:cycle_new"), data)
    cycle = GrantCycle.objects.get(name="Community Foundation 2027")
    assert response["Location"] == reverse("grants:cycle", args=[cycle.pk])
    assert cycle.letter_templates.count() == 2


def test_coordinator_runs_the_assignment_as_a_background_task(
    client: Any, cycle: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(3):
        ApplicationFactory(cycle=cycle)
    for _ in range(4):
        ReviewerProfileFactory()
    login(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:assignment_start", args=[cycle.pk]))
    assert "/tasks/" in response["Location"]
    assert Assignment.objects.filter(cycle=cycle).count() == 9
    page = client.get(reverse("grants:assignment", args=[cycle.pk])).content.decode()
    assert "Proven optimal" in page


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("grants:assignment_start", "cycle"),
        ("grants:reminders", "cycle"),
        ("grants:decision_replay", "cycle"),
        ("grants:assignment_swap", "assignment"),
        ("grants:conflict_status", "conflict"),
    ],
)
def test_coordinator_actions_are_forbidden_to_reviewers(
    client: Any, assigned: Any, reviewer: Any, name: str, arg: str
) -> None:
    conflict = Conflict.objects.create(
        cycle=assigned.cycle,
        reviewer=reviewer.user,
        application=assigned.application,
        source="declared",
        reason="x",
    )
    pk = {"cycle": assigned.cycle_id, "assignment": assigned.pk, "conflict": conflict.pk}[arg]
    login(client, reviewer)
    assert client.post(reverse(name, args=[pk]), {"status": "dismissed", "reason": "x"}).status_code == 403
    assert Conflict.objects.get(pk=conflict.pk).status == "active"


def test_coordinator_swaps_a_reviewer_and_conflicts_are_rechecked(
    client: Any, assigned: Any, coordinator: Any, conflicted_reviewer: Any
) -> None:
    Conflict.objects.create(
        cycle=assigned.cycle,
        reviewer=conflicted_reviewer.user,
        application=assigned.application,
        source="declared",
        reason="x",
    )
    login(client, coordinator)
    url = reverse("grants:assignment_swap", args=[assigned.pk])
    response = client.post(
        url, {"new_reviewer": conflicted_reviewer.user.pk, "reason": "balance"}, follow=True
    )
    assert "has a conflict" in response.content.decode()
    assert Assignment.objects.filter(pk=assigned.pk).exists()
    fresh = ReviewerProfileFactory()
    client.post(url, {"new_reviewer": fresh.user.pk, "reason": "balance"})
    assert Assignment.objects.filter(application=assigned.application, reviewer=fresh.user).exists()


def test_coordinator_adds_and_dismisses_conflicts(
    client: Any, application: Any, coordinator: Any, reviewer: Any
) -> None:
    login(client, coordinator)
    url = reverse("grants:conflicts", args=[application.cycle_id])
    client.post(
        url,
        {"reviewer": reviewer.user.pk, "application_code": application.code.lower(), "reason": "Colleague"},
    )
    conflict = Conflict.objects.get(source="coordinator")
    client.post(
        reverse("grants:conflict_status", args=[conflict.pk]),
        {"status": "dismissed", "reason": "Other person"},
    )
    assert Conflict.objects.get(pk=conflict.pk).status == "dismissed"
    response = client.post(url, {"detect": "1"})
    assert response.status_code == 302


def test_coordinator_sends_reminders(
    client: Any, assigned: Any, coordinator: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    login(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("grants:reminders", args=[assigned.cycle_id]))
    assert len(mailoutbox) == 1


def test_coordinator_calibrates_budgets_freezes_and_replays(client: Any, coordinator: Any) -> None:
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, total_budget=4000)
    reviewers = [ReviewerProfileFactory().user for _ in range(3)]
    for i in range(4):
        app = ApplicationFactory(cycle=cycle)
        for k, r in enumerate(reviewers):
            ReviewFactory(application=app, reviewer=r, total=float(2 + (i + k) % 3))
    login(client, coordinator)
    url = reverse("grants:decision", args=[cycle.pk])
    client.post(url, {"action": "calibrate", "seed": "7"})
    assert "Raw mean" in client.get(url).content.decode()
    client.post(url, {"action": "budget", "seed": "7"})
    client.post(url, {"action": "freeze", "seed": ""})
    record = DecisionRecord.objects.get(cycle=cycle, status="frozen")
    assert record.seed == 7
    response = client.post(reverse("grants:decision_replay", args=[cycle.pk]), follow=True)
    assert "reproduced the frozen decision bit for bit" in response.content.decode()


def test_the_export_neutralises_formulas_and_is_coordinator_only(
    client: Any,
    decided: Any,
    coordinator: Any,
    reviewer: Any,
    conflicted_reviewer: Any,
    django_assert_max_num_queries: Any,
) -> None:
    cycle, apps = decided
    AssignmentFactory(application=apps[0], reviewer=reviewer.user)
    AssignmentFactory(application=apps[1], reviewer=conflicted_reviewer.user)
    Conflict.objects.create(
        cycle=cycle, reviewer=conflicted_reviewer.user, application=apps[1], source="declared", reason="x"
    )
    for who in (reviewer, conflicted_reviewer):
        login(client, who)
        for fmt in ("csv", "xlsx"):
            assert client.get(reverse("grants:decision_export", args=[cycle.pk, fmt])).status_code == 403
    login(client, coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("grants:decision_export", args=[cycle.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in names
    assert len(rows) == 7
    response = client.get(reverse("grants:decision_export", args=[cycle.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_letters_are_edited_sent_and_downloaded_as_pdf(
    client: Any,
    decided: Any,
    coordinator: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
    other_learner: Any,
) -> None:
    cycle, apps = decided
    login(client, coordinator)
    url = reverse("grants:letters", args=[cycle.pk])
    client.post(
        url,
        {"kind": "award", "award-subject": "Good news, {name}", "award-body": "You get {amount}."},
    )
    assert cycle.letter_templates.get(kind="award").subject == "Good news, {name}"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    assert len(mailoutbox) == 6
    awarded = (
        Application.objects.filter(cycle=cycle, award_amount__gt=0).select_related("applicant__user").first()
    )
    login(client, awarded.applicant)
    response = client.get(reverse("grants:letter_pdf", args=[awarded.pk]))
    assert response.content.startswith(b"%PDF")
    detail = client.get(reverse("grants:application_detail", args=[awarded.pk])).content.decode()
    assert f"You are awarded ${awarded.award_amount:,}" in detail
    login(client, other_learner)
    assert client.get(reverse("grants:letter_pdf", args=[awarded.pk])).status_code == 404


def test_dashboard_panels_for_each_role(
    client: Any, assigned: Any, applicant: Any, reviewer: Any, coordinator: Any
) -> None:
    for who, text in (
        (applicant, "Go to grants"),
        (reviewer, "Open your reviews"),
        (coordinator, "All cycles"),
    ):
        login(client, who)
        assert text in client.get(reverse("dashboard")).content.decode()


def test_the_published_record_lets_anyone_redraw_the_lottery(
    client: Any, decided: Any, django_assert_max_num_queries: Any
) -> None:
    import numpy as np

    cycle, _apps = decided
    record = DecisionRecord.objects.get(cycle=cycle, status="frozen")
    with django_assert_max_num_queries(4):
        response = client.get(reverse("grants:decision_public", args=[cycle.pk]))
    content = response.content.decode()
    assert str(record.seed) in content and record.outputs_sha256 in content
    band = sorted(record.outputs["band"])
    assert band, "the fixture must put some applications in the band"
    redrawn = [band[p] for p in np.random.default_rng(record.seed).permutation(len(band))]
    assert redrawn == record.outputs["lottery_order"]
    assert "HYPERLINK" not in content  # codes only, no names


def test_a_draft_decision_is_not_published(client: Any, coordinator: Any) -> None:
    cycle = GrantCycleFactory()
    assert client.get(reverse("grants:decision_public", args=[cycle.pk])).status_code == 404
