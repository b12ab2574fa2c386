"""The coordinator workspace for programs, terms and clinic sites: happy paths, denials, hostile input."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from mentorfold.core.models import AuditEvent
from mentorfold.matching.models import MatchRun
from mentorfold.programs import services, setup
from mentorfold.programs.models import Program, Requirement, Site, Term

from .factories import (
    EnrollmentFactory,
    RequirementFactory,
    RequirementRecordFactory,
    SiteFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db


def _program_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Undergraduate clinic shadowing",
        "slug": "undergrad-shadowing",
        "description": "Shadow a family physician for a semester.",
        "eligible_stages": ["undergraduate"],
        "min_age": "18",
        "max_hours_per_experience": "40",
        "max_bookings_per_week": "2",
        "region": "King County",
        "is_public": "on",
    }
    data.update(overrides)
    return data


def _term_post(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "name": "Spring 2027",
        "application_opens": (today - timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
        "application_closes": (today + timedelta(days=20)).strftime("%Y-%m-%dT17:00"),
        "preferences_close": "",
        "starts_on": (today + timedelta(days=40)).isoformat(),
        "ends_on": (today + timedelta(days=100)).isoformat(),
        "max_preferences": "5",
    }
    data.update(overrides)
    return data


def _site_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site-name": "Rainier Beach Clinic",
        "site-address": "9000 Rainier Ave S",
        "site-city": "Seattle",
        "site-contact_name": "Pat Lee",
        "site-contact_phone": "206-555-0100",
        "site-contact_email": "pat@example.org",
        "site-min_age": "16",
        "site-max_learners_at_once": "2",
        "site-max_hours_per_day": "6",
        "site-is_active": "on",
        "requirements-TOTAL_FORMS": "1",
        "requirements-INITIAL_FORMS": "0",
        "requirements-MIN_NUM_FORMS": "0",
        "requirements-MAX_NUM_FORMS": "20",
        "requirements-0-name": "Flu shot",
        "requirements-0-kind": "immunization",
        "requirements-0-applies_to": "learner",
        "requirements-0-requires_document": "on",
        "requirements-0-valid_for_days": "365",
    }
    data.update(overrides)
    return data


# --- who may come in ---------------------------------------------------------------------------------------


@pytest.fixture
def workspace_urls(program: Any, term: Any, site: Any) -> list[tuple[str, str]]:
    return [
        ("get", reverse("programs:workspace_programs")),
        ("get", reverse("programs:workspace_program_new")),
        ("get", reverse("programs:workspace_program", args=[program.pk])),
        ("post", reverse("programs:workspace_program_archive", args=[program.pk])),
        ("get", reverse("programs:workspace_term_new", args=[program.pk])),
        ("get", reverse("programs:workspace_term", args=[term.pk])),
        ("post", reverse("programs:workspace_term_advance", args=[term.pk])),
        ("get", reverse("programs:workspace_site_new")),
        ("get", reverse("programs:workspace_site", args=[site.pk])),
    ]


@pytest.mark.parametrize("role", ["learner", "minor_learner", "guardian", "mentor", "reviewer"])
def test_only_coordinators_open_the_workspace(
    client: Any, request: pytest.FixtureRequest, role: str, workspace_urls: list[tuple[str, str]]
) -> None:
    person = request.getfixturevalue(role)
    client.force_login(getattr(person, "user", person))
    for method, url in workspace_urls:
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client: Any, workspace_urls: list[tuple[str, str]]) -> None:
    for method, url in workspace_urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_every_workspace_page_opens_for_a_coordinator_in_few_queries(
    client: Any, coordinator: Any, program: Any, term: Any, site: Any, django_assert_max_num_queries: Any
) -> None:
    for extra in range(3):
        TermFactory(program=program, name=f"Extra {extra}")
        RequirementFactory(site=site, name=f"Rule {extra}")
    client.force_login(coordinator)
    for name, args in [
        ("programs:workspace_programs", []),
        ("programs:workspace_program_new", []),
        ("programs:workspace_program", [program.pk]),
        ("programs:workspace_term_new", [program.pk]),
        ("programs:workspace_term", [term.pk]),
        ("programs:workspace_site_new", []),
        ("programs:workspace_site", [site.pk]),
        ("programs:sites", []),
    ]:
        with django_assert_max_num_queries(12):
            response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert "/admin/" not in response.content.decode(), name


# --- programs --------------------------------------------------------------------------------------------


def test_a_coordinator_creates_a_program_with_stage_checkboxes_and_sites(
    client: Any, coordinator: Any, site: Any
) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("programs:workspace_program_new"), _program_post(sites=[site.pk]))
    program = Program.objects.get(slug="undergrad-shadowing")
    assert response["Location"] == reverse("programs:workspace_program", args=[program.pk])
    assert program.eligible_stages == ["undergraduate"] and list(program.sites.all()) == [site]
    assert program.requirements.filter(kind="confidentiality").exists()  # the standard requirements
    assert AuditEvent.objects.filter(action="program.create", actor=coordinator).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("eligible_stages", ["astronaut"], "not one of the available choices"),
        ("eligible_stages", [], "tick at least one learner stage"),
        ("slug", "no spaces/allowed", "letters, numbers, underscores or hyphens"),
        ("min_age", "sixteen", "Enter a whole number"),
        ("min_age", "99999999999999999999", "less than or equal to 30"),
        ("name", "x" * 5000, "at most 200 characters"),
    ],
)
def test_hostile_program_input_is_a_form_error(
    client: Any, coordinator: Any, field: str, value: Any, message: str
) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("programs:workspace_program_new"), _program_post(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Program.objects.filter(slug="undergrad-shadowing").exists()


def test_a_taken_web_address_is_a_form_error(client: Any, coordinator: Any, program: Any) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("programs:workspace_program_new"), _program_post(slug=program.slug))
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_a_coordinator_edits_a_program(client: Any, coordinator: Any, program: Any, site: Any) -> None:
    client.force_login(coordinator)
    url = reverse("programs:workspace_program", args=[program.pk])
    response = client.post(
        url, _program_post(slug=program.slug, eligible_stages=["high_school", "medical_student"], sites=[])
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.eligible_stages == ["high_school", "medical_student"] and not program.sites.exists()


def test_an_archived_program_leaves_the_public_list_and_takes_no_applications(
    client: Any, coordinator: Any, program: Any, learner: Any
) -> None:
    term = TermFactory(program=program, status=Term.Status.DRAFT)
    client.force_login(coordinator)
    url = reverse("programs:workspace_program_archive", args=[program.pk])
    client.post(url, {"archive": "1"})
    program.refresh_from_db()
    assert program.archived_at is not None
    assert AuditEvent.objects.filter(action="program.archive").exists()
    client.logout()
    assert program.name not in client.get(reverse("programs:list")).content.decode()
    assert client.get(reverse("programs:detail", args=[program.slug])).status_code == 404
    Term.objects.filter(pk=term.pk).update(status=Term.Status.OPEN)
    client.force_login(learner.user)
    response = client.post(reverse("programs:apply", args=[program.slug, term.pk]), {"statement": "Hi"})
    assert response.status_code == 404 and not learner.enrollments.exists()
    term.refresh_from_db()
    with pytest.raises(ValidationError, match="not taking applications"):
        services.enrollment_apply(learner=learner, term=term, statement="Hi")


def test_a_program_with_an_open_term_cannot_be_archived(
    client: Any, coordinator: Any, program: Any, term: Any
) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:workspace_program_archive", args=[program.pk]), {"archive": "1"}, follow=True
    )
    assert "Close these terms before archiving" in response.content.decode()
    program.refresh_from_db()
    assert program.archived_at is None
    assert (
        client.post(
            reverse("programs:workspace_program_archive", args=[program.pk]), {"archive": "x"}
        ).status_code
        == 400
    )


def test_the_public_list_shows_only_public_active_programs(client: Any, program: Any) -> None:
    Program.objects.create(
        name="Hidden", slug="hidden", description="x", eligible_stages=["resident"], is_public=False
    )
    Program.objects.create(
        name="Old one", slug="old", description="x", eligible_stages=["resident"], archived_at=timezone.now()
    )
    body = client.get(reverse("programs:list")).content.decode()
    assert program.name in body and "Hidden" not in body and "Old one" not in body


# --- terms ----------------------------------------------------------------------------------------------


def test_a_coordinator_creates_a_draft_term(client: Any, coordinator: Any, program: Any) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:workspace_term_new", args=[program.pk]), _term_post(status="active")
    )
    term = Term.objects.get(name="Spring 2027")
    assert response["Location"] == reverse("programs:workspace_term", args=[term.pk])
    assert term.status == Term.Status.DRAFT and term.program == program  # the status never comes from a form


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": (timezone.localdate() + timedelta(days=30)).isoformat()}, "Ends on: pick a day after"),
        (
            {"application_closes": (timezone.localdate() + timedelta(days=50)).strftime("%Y-%m-%dT17:00")},
            "pick a day before the term starts",
        ),
        (
            {"application_opens": (timezone.localdate() + timedelta(days=25)).strftime("%Y-%m-%dT09:00")},
            "pick a moment after applications open",
        ),
        ({"starts_on": "2027-02-30"}, "Enter a valid date"),
        ({"application_opens": "<script>"}, "Enter a valid date/time"),
        ({"max_preferences": "0"}, "greater than or equal to 1"),
    ],
)
def test_term_dates_are_validated(
    client: Any, coordinator: Any, program: Any, overrides: dict[str, str], message: str
) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("programs:workspace_term_new", args=[program.pk]), _term_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Term.objects.filter(name="Spring 2027").exists()


def test_a_coordinator_edits_a_terms_dates_but_not_its_status(
    client: Any, coordinator: Any, term: Any
) -> None:
    client.force_login(coordinator)
    url = reverse("programs:workspace_term", args=[term.pk])
    assert "Move to: Matching" in client.get(url).content.decode()
    response = client.post(url, _term_post(name="Summer 2027 (extended)", status="closed"))
    assert response["Location"] == url
    term.refresh_from_db()
    assert term.name == "Summer 2027 (extended)" and term.status == Term.Status.OPEN
    assert term.max_preferences == 5
    assert AuditEvent.objects.filter(action="term.update", target_id=str(term.pk)).exists()


def test_a_closed_term_cannot_be_edited(client: Any, coordinator: Any, term: Any) -> None:
    Term.objects.filter(pk=term.pk).update(status=Term.Status.CLOSED)
    client.force_login(coordinator)
    response = client.post(reverse("programs:workspace_term", args=[term.pk]), _term_post(name="Renamed"))
    assert response.status_code == 400 and "is closed" in response.content.decode()


def _advance(client: Any, term: Any, expected: str) -> str:
    response = client.post(
        reverse("programs:workspace_term_advance", args=[term.pk]), {"expected": expected}, follow=True
    )
    return response.content.decode()


def test_a_term_moves_one_step_at_a_time_with_its_checks(
    client: Any, coordinator: Any, program: Any, learner: Any
) -> None:
    term = TermFactory(program=program, status=Term.Status.DRAFT)
    client.force_login(coordinator)
    _advance(client, term, "draft")
    term.refresh_from_db()
    assert term.status == Term.Status.OPEN
    assert "already open for applications" in _advance(client, term, "draft")  # a double click
    term.refresh_from_db()
    assert term.status == Term.Status.OPEN
    assert "Nobody has applied yet" in _advance(client, term, "open")
    EnrollmentFactory(term=term, learner=learner)
    _advance(client, term, "open")
    term.refresh_from_db()
    assert term.status == Term.Status.MATCHING
    assert "Publish a match for this term first" in _advance(client, term, "matching")
    MatchRun.objects.create(term=term, status=MatchRun.Status.PUBLISHED)
    _advance(client, term, "matching")
    _advance(client, term, "active")
    term.refresh_from_db()
    assert term.status == Term.Status.CLOSED
    assert list(
        AuditEvent.objects.filter(action="term.advance", target_id=str(term.pk))
        .order_by("created_at", "pk")
        .values_list("data__to", flat=True)
    ) == ["open", "matching", "active", "closed"]
    assert (
        client.post(
            reverse("programs:workspace_term_advance", args=[term.pk]), {"expected": "nonsense"}
        ).status_code
        == 400
    )


def test_learners_apply_only_while_the_term_is_open(client: Any, learner: Any, program: Any) -> None:
    term = TermFactory(program=program, status=Term.Status.DRAFT)
    url = reverse("programs:apply", args=[program.slug, term.pk])
    client.force_login(learner.user)
    assert client.get(url).status_code == 404  # a draft term is not published yet
    Term.objects.filter(pk=term.pk).update(status=Term.Status.MATCHING)
    body = client.get(url).content.decode()
    assert "Applications for this term are closed" in body and "Send my application" not in body
    client.post(url, {"statement": "Hi"})
    assert not learner.enrollments.exists()
    Term.objects.filter(pk=term.pk).update(status=Term.Status.OPEN)
    assert "Send my application" in client.get(url).content.decode()


def test_mentors_take_part_only_in_published_terms(client: Any, mentor: Any, program: Any) -> None:
    term = TermFactory(program=program, status=Term.Status.DRAFT)
    url = reverse("programs:opt_in", args=[term.pk])
    client.force_login(mentor.user)
    assert client.get(url).status_code == 404
    Term.objects.filter(pk=term.pk).update(status=Term.Status.CLOSED)
    assert "no longer takes mentors" in client.get(url).content.decode()
    client.post(url, {"capacity": "2"})
    assert not term.mentor_opt_ins.exists()
    Term.objects.filter(pk=term.pk).update(status=Term.Status.OPEN)
    assert client.post(url, {"capacity": "2"}).status_code == 302
    assert term.mentor_opt_ins.get().capacity == 2


# --- sites ----------------------------------------------------------------------------------------------


def test_a_coordinator_creates_a_site_with_its_own_requirement(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("programs:workspace_site_new"), _site_post())
    site = Site.objects.get(name="Rainier Beach Clinic")
    assert response["Location"] == reverse("programs:workspace_site", args=[site.pk])
    assert (site.contact_email, site.max_hours_per_day, site.max_learners_at_once) == (
        "pat@example.org",
        6,
        2,
    )
    requirement = site.requirements.get()
    assert (requirement.name, requirement.valid_for_days, requirement.program) == ("Flu shot", 365, None)


def test_the_site_list_shows_contact_and_rules_and_links_to_editing(client: Any, coordinator: Any) -> None:
    site = SiteFactory(name="Rainier Beach Clinic", contact_phone="206-555-0100", max_hours_per_day=5)
    client.force_login(coordinator)
    body = client.get(reverse("programs:sites")).content.decode()
    assert reverse("programs:workspace_site", args=[site.pk]) in body
    assert "206-555-0100" in body and reverse("programs:workspace_site_new") in body


def test_a_coordinator_edits_a_site_and_its_requirements(client: Any, coordinator: Any, site: Any) -> None:
    flu = RequirementFactory(site=site, name="Flu shot")
    tb = RequirementFactory(site=site, name="TB test", kind="tb_test")
    client.force_login(coordinator)
    data = _site_post(
        **{
            "site-name": site.name,
            "site-is_active": "",
            "requirements-TOTAL_FORMS": "3",
            "requirements-INITIAL_FORMS": "2",
            "requirements-0-id": str(flu.pk),
            "requirements-0-name": "Flu shot this season",
            "requirements-0-needs_own_document": "on",
            "requirements-1-id": str(tb.pk),
            "requirements-1-name": "TB test",
            "requirements-1-kind": "tb_test",
            "requirements-1-applies_to": "learner",
            "requirements-1-DELETE": "on",
        }
    )
    response = client.post(reverse("programs:workspace_site", args=[site.pk]), data)
    assert response.status_code == 302
    site.refresh_from_db()
    assert not site.is_active
    assert [(r.name, r.needs_own_document) for r in site.requirements.all()] == [
        ("Flu shot this season", True)
    ]


def test_a_requirement_with_submissions_is_not_deleted(
    client: Any, coordinator: Any, site: Any, learner: Any
) -> None:
    flu = RequirementFactory(site=site, name="Flu shot")
    RequirementRecordFactory(requirement=flu, person=learner.user)
    client.force_login(coordinator)
    data = _site_post(
        **{
            "site-name": site.name,
            "requirements-INITIAL_FORMS": "1",
            "requirements-0-id": str(flu.pk),
            "requirements-0-DELETE": "on",
        }
    )
    response = client.post(reverse("programs:workspace_site", args=[site.pk]), data)
    assert response.status_code == 400 and "already has submissions" in response.content.decode()
    assert Requirement.objects.filter(pk=flu.pk).exists()


def test_hostile_site_input_is_a_form_error(client: Any, coordinator: Any, site: Any) -> None:
    other = RequirementFactory(site=SiteFactory(), name="Someone else's rule")
    client.force_login(coordinator)
    cases = [
        {"site-min_age": "-5"},
        {"site-max_hours_per_day": "99"},
        {"site-contact_email": "not-an-email"},
        {"requirements-0-kind": "guardian_consent"},
        {"requirements-0-valid_for_days": "999999"},
        {"requirements-INITIAL_FORMS": "1", "requirements-0-id": str(other.pk)},
        {"requirements-TOTAL_FORMS": "5000"},
        {"requirements-TOTAL_FORMS": "lots"},
    ]
    for overrides in cases:
        response = client.post(reverse("programs:workspace_site", args=[site.pk]), _site_post(**overrides))
        assert response.status_code == 400, overrides
    other.refresh_from_db()
    assert other.name == "Someone else's rule" and other.site_id != site.pk
    assert not Site.objects.filter(name="Rainier Beach Clinic").exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_advancing_a_term_at_once_move_it_one_step(coordinator: Any, program: Any) -> None:
    term = TermFactory(program=program, status=Term.Status.DRAFT)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def advance() -> None:
        barrier.wait()
        try:
            setup.term_advance(actor=coordinator, term=term, expected="draft")
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=advance) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    term.refresh_from_db()
    assert sorted(outcomes) == ["moved", "refused"] and term.status == Term.Status.OPEN
