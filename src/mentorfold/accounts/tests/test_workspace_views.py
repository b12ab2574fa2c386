"""The coordinator's people workspace pages: mentors list and checklist, learner detail actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts.models import GuardianLink, Invitation, MentorProfile
from mentorfold.accounts.tests.factories import (
    GuardianLinkFactory,
    LanguageFactory,
    LearnerProfileFactory,
    MentorProfileFactory,
)
from mentorfold.programs.models import Enrollment
from mentorfold.programs.tests.factories import SiteFactory
from mentorfold.shadowing.tests.factories import (
    BookingFactory,
    EnrollmentFactory,
    RequirementFactory,
    RequirementRecordFactory,
)

pytestmark = pytest.mark.django_db

NON_COORDINATORS = ["mentor", "learner", "reviewer", "guardian"]


def _mentors(n: int) -> list[MentorProfile]:
    spanish = LanguageFactory(code="es", name="Spanish")
    site = SiteFactory()
    mentors = MentorProfileFactory.create_batch(n)
    for m in mentors:
        m.languages.add(spanish)
        site.mentors.add(m)
    return mentors


# --- Mentors list -------------------------------------------------------------------------------------------


def test_mentor_list_shows_mentors_in_a_fixed_number_of_queries(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _mentors(5)
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("workspace_mentors")).status_code == 200
    _mentors(35)
    with django_assert_max_num_queries(14) as big:
        response = client.get(reverse("workspace_mentors"))
    assert len(big.captured_queries) == len(small.captured_queries)
    assert response.context["page"].paginator.count == 40
    assert len(response.context["page"].object_list) == 25
    assert "Spanish" in response.content.decode()


def test_mentor_list_filters(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    spanish = LanguageFactory(code="es", name="Spanish")
    site = SiteFactory()
    speaks = MentorProfileFactory(specialty="Pediatrics")
    speaks.languages.add(spanish)
    site.mentors.add(speaks)
    onboarding_mentor = MentorProfileFactory(onboarding=True, specialty="Surgery")
    paused = MentorProfileFactory(paused_until=timezone.localdate() + timedelta(days=9))

    def shown(**params: Any) -> set[int]:
        response = client.get(reverse("workspace_mentors"), params)
        assert response.status_code == 200
        return {m.pk for m in response.context["page"]}

    assert shown(status="onboarding") == {onboarding_mentor.pk}
    assert shown(specialty="pediat") == {speaks.pk}
    assert shown(language=spanish.pk) == {speaks.pk}
    assert shown(site=site.pk) == {speaks.pk}
    assert shown(accepting="no") == {paused.pk}
    assert shown(accepting="yes") == {speaks.pk, onboarding_mentor.pk}
    assert shown(q=speaks.user.email) == {speaks.pk}
    expiring = MentorProfileFactory(background_check_expires_on=timezone.localdate() + timedelta(days=20))
    no_check = MentorProfileFactory(without_background_check=True)
    assert shown(clearance="not_cleared") == {onboarding_mentor.pk}
    assert shown(clearance="expiring") == {expiring.pk}
    assert no_check.pk not in shown(clearance="minors")
    assert shown(clearance="cleared") == {speaks.pk, paused.pk, expiring.pk, no_check.pk}


@pytest.mark.parametrize(
    "params",
    [
        {"site": "abc"},
        {"language": "1 OR 1=1"},
        {"site": "99999999999999999999999"},
        {"language": "-1"},
        {"status": "deleted"},
        {"accepting": "maybe"},
        {"clearance": "all'--"},
        {"page": "last'"},
        {"page": "99999999999"},
        {"q": "x" * 500},
    ],
)
def test_hostile_filters_are_form_errors_not_crashes(
    client: Any, coordinator: Any, params: dict[str, str]
) -> None:
    client.force_login(coordinator)
    mentor = MentorProfileFactory()
    response = client.get(reverse("workspace_mentors"), params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert mentor in list(response.context["page"])


# --- Permissions ----------------------------------------------------------------------------------------------


def _workspace_urls(mentor: MentorProfile, learner: Any) -> list[tuple[str, str]]:
    return [
        ("get", reverse("workspace_mentors")),
        ("get", reverse("workspace_mentor_detail", args=[mentor.pk])),
        ("post", reverse("workspace_mentor_step", args=[mentor.pk, "activate"])),
        ("post", reverse("workspace_mentor_step", args=[mentor.pk, "orientation"])),
        ("post", reverse("workspace_learner_decide", args=[learner.pk])),
        ("post", reverse("workspace_guardian_resend", args=[learner.pk])),
    ]


@pytest.mark.parametrize("role", NON_COORDINATORS)
def test_workspace_pages_refuse_everyone_but_coordinators(client: Any, request: Any, role: str) -> None:
    fixture = request.getfixturevalue(role)
    client.force_login(getattr(fixture, "user", fixture))
    target = MentorProfileFactory(onboarding=True)
    learner = LearnerProfileFactory()
    for method, url in _workspace_urls(target, learner):
        assert getattr(client, method)(url, {"orientation-completed_on": "2026-01-01"}).status_code == 403, (
            url
        )
    target.refresh_from_db()
    assert target.orientation_completed_on is None and target.status == MentorProfile.Status.ONBOARDING


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    for method, url in _workspace_urls(MentorProfileFactory(), LearnerProfileFactory()):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_missing_mentor_or_learner_is_404(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("workspace_mentor_detail", args=[999999])).status_code == 404
    assert client.post(reverse("workspace_learner_decide", args=[999999])).status_code == 404
    mentor = MentorProfileFactory()
    assert client.post(reverse("workspace_mentor_step", args=[mentor.pk, "delete"])).status_code == 404
    assert client.get(reverse("workspace_mentor_step", args=[mentor.pk, "activate"])).status_code == 405


# --- Mentor detail and checklist --------------------------------------------------------------------------------


def test_mentor_detail_shows_checklist_in_bounded_queries(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    mentor = _mentors(1)[0]
    with django_assert_max_num_queries(12):
        response = client.get(reverse("workspace_mentor_detail", args=[mentor.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Onboarding checklist" in body and mentor.licence_number in body
    assert "/admin/" not in body


def test_coordinator_ticks_the_checklist_and_activates(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    mentor = MentorProfileFactory(onboarding=True)
    today = timezone.localdate().isoformat()

    def step(name: str, data: dict[str, str]) -> Any:
        return client.post(reverse("workspace_mentor_step", args=[mentor.pk, name]), data)

    refused = step("activate", {})
    assert refused.status_code == 400
    assert "cannot be activated yet" in refused.content.decode()
    assert step("orientation", {"orientation-completed_on": today}).status_code == 302
    assert (
        step(
            "licence", {"licence-state": "OR", "licence-number": "MD-4411", "licence-verified_on": today}
        ).status_code
        == 302
    )
    assert step("activate", {}).status_code == 302
    mentor.refresh_from_db()
    assert mentor.is_cleared and mentor.licence_state == "OR"
    response = step("deactivate", {"deactivate-reason": ""})
    assert response.status_code == 400 and "Reason: say why" in response.content.decode()
    assert step("deactivate", {"deactivate-reason": "Retired"}).status_code == 302
    mentor.refresh_from_db()
    assert mentor.status == MentorProfile.Status.INACTIVE


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("orientation", {"orientation-completed_on": "2999-01-01"}, "in the future"),
        ("orientation", {"orientation-completed_on": "yesterday"}, "use the format"),
        (
            "licence",
            {"licence-state": "XX", "licence-number": "1", "licence-verified_on": "2026-01-01"},
            "two-letter",
        ),
        (
            "licence",
            {"licence-state": "WA", "licence-number": "", "licence-verified_on": "2026-01-01"},
            "as printed",
        ),
        (
            "background_check",
            {"background_check-verified_on": "2026-01-01", "background_check-expires_on": "2025-12-01"},
            "after the day it was verified",
        ),
        (
            "background_check",
            {"background_check-verified_on": "2999-01-01", "background_check-expires_on": "2999-06-01"},
            "in the future",
        ),
    ],
)
def test_checklist_forms_validate_every_value(
    client: Any, coordinator: Any, name: str, data: dict[str, str], message: str
) -> None:
    client.force_login(coordinator)
    mentor = MentorProfileFactory(onboarding=True)
    response = client.post(reverse("workspace_mentor_step", args=[mentor.pk, name]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    fresh = MentorProfile.objects.get(pk=mentor.pk)
    assert (
        fresh.orientation_completed_on,
        fresh.licence_verified_on,
        fresh.background_check_verified_on,
    ) == (
        None,
        None,
        None,
    )


# --- Learner detail and actions ---------------------------------------------------------------------------------


def test_learner_detail_shows_programs_match_bookings_and_hours(
    client: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    enrollment = EnrollmentFactory(learner=LearnerProfileFactory(age=20))
    learner = enrollment.learner
    RequirementRecordFactory(person=learner.user, requirement__program=enrollment.term.program)
    RequirementFactory(program=enrollment.term.program, name="Orientation")
    for _i in range(3):
        BookingFactory(learner=learner, verified_minutes=90, verified_at=timezone.now())
    url = reverse("learner_detail", args=[learner.pk])
    with django_assert_max_num_queries(20) as few:
        response = client.get(url)
    for _i in range(10):
        BookingFactory(learner=learner)
    with django_assert_max_num_queries(20) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    body = response.content.decode()
    assert enrollment.term.program.name in body
    assert "Still to do" in body and "not done yet" in body
    assert "Verified hours: 4.5" in body
    assert reverse("people") in body


def test_learner_sees_own_page_without_coordinator_panels(client: Any, learner: Any) -> None:
    client.force_login(learner.user)
    response = client.get(reverse("learner_detail", args=[learner.pk]))
    assert response.status_code == 200
    assert "decision_form" not in response.context


def test_coordinator_decides_an_application(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    enrollment = EnrollmentFactory(learner=LearnerProfileFactory(age=20), status=Enrollment.Status.APPLIED)
    url = reverse("workspace_learner_decide", args=[enrollment.learner.pk])
    refused = client.post(url, {"decide-enrollment": enrollment.pk, "decide-decision": "decline"})
    assert refused.status_code == 400 and "Reason: say why" in refused.content.decode()
    response = client.post(
        url,
        {
            "decide-enrollment": enrollment.pk,
            "decide-decision": "decline",
            "decide-reason": "Program is full",
        },
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.DECLINED and enrollment.decision_reason == "Program is full"
    assert enrollment.decided_by == coordinator


def test_a_minor_without_consent_is_not_accepted(client: Any, coordinator: Any, minor_learner: Any) -> None:
    client.force_login(coordinator)
    enrollment = EnrollmentFactory(learner=minor_learner, status=Enrollment.Status.APPLIED)
    response = client.post(
        reverse("workspace_learner_decide", args=[minor_learner.pk]),
        {"decide-enrollment": enrollment.pk, "decide-decision": "accept"},
    )
    assert response.status_code == 400
    assert "has not signed consent" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.APPLIED


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-3"])
def test_decision_rejects_hostile_or_foreign_enrollment_ids(
    client: Any, coordinator: Any, value: str
) -> None:
    client.force_login(coordinator)
    learner = LearnerProfileFactory()
    other = EnrollmentFactory(status=Enrollment.Status.APPLIED)
    url = reverse("workspace_learner_decide", args=[learner.pk])
    assert client.post(url, {"decide-enrollment": value, "decide-decision": "accept"}).status_code == 400
    assert client.post(url, {"decide-enrollment": other.pk, "decide-decision": "accept"}).status_code == 400
    other.refresh_from_db()
    assert other.status == Enrollment.Status.APPLIED


def test_coordinator_resends_a_guardian_invite_once_an_hour(
    client: Any, coordinator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(coordinator)
    learner = LearnerProfileFactory(age=15)
    link = GuardianLinkFactory(
        learner=learner, guardian=None, invited_email="dad@example.org", status=GuardianLink.Status.INVITED
    )
    Invitation.objects.create(
        email=link.invited_email, role="guardian", invited_by=learner.user, guardian_link=link
    )
    Invitation.objects.filter(guardian_link=link).update(created_at=timezone.now() - timedelta(hours=2))
    page = client.get(reverse("learner_detail", args=[learner.pk])).content.decode()
    assert "Send the invitation again" in page
    url = reverse("workspace_guardian_resend", args=[learner.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"link": link.pk}, follow=True)
    assert "Invitation sent again" in first.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, {"link": link.pk}, follow=True)
    assert "less than an hour" in second.content.decode()
    assert [m.to for m in mail.outbox] == [["dad@example.org"]]
    assert client.post(url, {"link": "x"}).status_code == 400


def test_resend_refuses_another_learners_link(client: Any, coordinator: Any, guardian_link: Any) -> None:
    client.force_login(coordinator)
    other = LearnerProfileFactory()
    assert (
        client.post(
            reverse("workspace_guardian_resend", args=[other.pk]), {"link": guardian_link.pk}
        ).status_code
        == 400
    )


# --- Mentor's own availability ----------------------------------------------------------------------------------


def test_mentor_sets_hosting_days_and_a_pause_on_their_profile(client: Any, mentor: Any) -> None:
    client.force_login(mentor.user)
    page = client.get(reverse("profile_edit")).content.decode()
    assert "Days you can host learners" in page and "paused_until" in page
    pause = (timezone.localdate() + timedelta(days=20)).isoformat()
    data = {
        "specialty": "Family medicine",
        "career_stage": "attending",
        "capacity": 2,
        "years_in_practice": 5,
        "accepting_learners": "on",
        "hosting_weekdays": ["tue", "thu"],
        "paused_until": pause,
    }
    assert client.post(reverse("profile_edit"), data).status_code == 302
    mentor.refresh_from_db()
    assert mentor.hosting_weekdays == ["tue", "thu"]
    assert not mentor.is_accepting_on(timezone.localdate())
    assert not MentorProfile.objects.accepting().filter(pk=mentor.pk).exists()
    for bad in ({"hosting_weekdays": []}, {"hosting_weekdays": ["funday"]}, {"paused_until": "2999-01-01"}):
        response = client.post(reverse("profile_edit"), {**data, **bad})
        assert response.status_code == 200 and response.context["form"].errors
    mentor.refresh_from_db()
    assert mentor.hosting_weekdays == ["tue", "thu"]


def test_an_onboarding_mentor_is_told_why_they_cannot_publish_slots(client: Any) -> None:
    mentor = MentorProfileFactory(onboarding=True)
    client.force_login(mentor.user)
    for url in (reverse("shadowing:slot_new"), reverse("dashboard")):
        body = client.get(url).content.decode()
        assert "once a coordinator has finished your onboarding" in body, url
        assert "Orientation is not recorded yet." in body
    cleared = MentorProfileFactory(paused_until=timezone.localdate() + timedelta(days=3))
    client.force_login(cleared.user)
    assert "finished your onboarding" not in client.get(reverse("shadowing:slot_new")).content.decode()
    assert "You are not taking new learners until" in client.get(reverse("dashboard")).content.decode()


# --- The admin does not bypass the services --------------------------------------------------------------------


def test_admin_shows_mentor_status_and_onboarding_read_only() -> None:
    from django.contrib import admin

    from mentorfold.programs.models import RequirementRecord

    mentor_admin = admin.site._registry[MentorProfile]
    readonly = set(mentor_admin.get_readonly_fields(None))
    assert {
        "status",
        "orientation_completed_on",
        "licence_verified_on",
        "background_check_expires_on",
    } <= readonly
    record_admin = admin.site._registry[RequirementRecord]
    assert {"status", "reviewed_by", "reviewed_at"} <= set(record_admin.get_readonly_fields(None))


def test_people_page_links_mentors_to_the_workspace_not_the_admin(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    mentor = MentorProfileFactory()
    body = client.get(reverse("people"), {"kind": "mentors"}).content.decode()
    assert reverse("workspace_mentor_detail", args=[mentor.pk]) in body
    assert reverse("workspace_mentors") in body
    main = body.split('<main id="main"', 1)[1]
    assert "/admin/" not in main


def test_coordinator_dashboard_links_onboarding_mentors_to_the_workspace(
    client: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    MentorProfileFactory(onboarding=True)
    body = client.get(reverse("dashboard")).content.decode()
    assert f"{reverse('workspace_mentors')}?status=onboarding" in body
