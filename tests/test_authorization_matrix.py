"""Every URL of the site, asked by every role, on the demo society: nobody sees what is not theirs.

The URL list comes from the resolver, so a new view is covered the day it is added: anonymous visitors get
the login page (or 404/405) unless the view is public, only coordinators open management pages, no role
ever gets a server error, and nobody but a coordinator opens a page about a stranger's record. URL arguments
are real records owned by people outside each demo login's circle, never made-up ids like ``pk=1``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import GuardianLink, Invitation, LearnerProfile, MentorProfile, Role, User
from mentorfold.accounts.tests.factories import GuardianLinkFactory
from mentorfold.core.models import TaskRun
from mentorfold.grants.models import (
    Application,
    Assignment,
    Conflict,
    DecisionRecord,
    GrantAttachment,
    GrantCycle,
)
from mentorfold.grants.tests.factories import ApplicationFactory
from mentorfold.learning.models import Reflection
from mentorfold.learning.tests.factories import (
    FlashcardFactory,
    GlossaryEntryFactory,
    QuestionFactory,
    ReflectionFactory,
)
from mentorfold.matching.models import MatchRun, Mentorship
from mentorfold.matching.tests.factories import MentorshipFactory
from mentorfold.programs.models import (
    Document,
    Enrollment,
    ImportBatch,
    Program,
    Requirement,
    RequirementRecord,
    Site,
)
from mentorfold.programs.tests.factories import RequirementRecordFactory
from mentorfold.shadowing.models import Booking, CalendarFeedToken, HoursCertificate, PatientFeedback
from mentorfold.shadowing.tests.factories import BookingFactory, HoursCertificateFactory, SlotFactory

# Views anyone may open without logging in.
PUBLIC = {
    "home",
    "about",
    "privacy",
    "become_mentor",
    "healthz",
    "certificate_verify",
    "invitation_accept",
    "programs:list",
    "programs:detail",
    "shadowing:verify",
    "shadowing:feed",
    "shadowing:feedback",
    "grants:decision_public",
    "outcomes:survey",
    "outcomes:pipeline_checkin",
    "outcomes:impact",
    "outcomes:recognition_verify",
}
# Management pages: only coordinators.
COORDINATOR_ONLY = re.compile(
    r"^(people/$|people/invite/|programs/manage/|matching/terms/<int:term_pk>/(runs|settings|place)/|"
    r"matching/runs/|grants/manage/|shadowing/patients/sites/|shadowing/feedback/(moderate|comments)/|"
    r"outcomes/$|outcomes/(export|terms|instruments|report|pipeline-import)/?)"
)
ROLES = {
    "learner": f"amina.hassan@{DEMO_DOMAIN}",
    "minor learner": f"minh.tran@{DEMO_DOMAIN}",
    "guardian": f"lan.tran@{DEMO_DOMAIN}",
    "mentor": f"dr.rivera@{DEMO_DOMAIN}",
    "reviewer": f"reviewer@{DEMO_DOMAIN}",
}
COORDINATOR = f"coordinator@{DEMO_DOMAIN}"


# Pages about one person's records. Every id below belongs to someone outside the demo logins' circle (not
# their own record, not their child's, not their mentee's, not assigned to them), so a learner, guardian,
# mentor or reviewer who gets a page here is looking at a stranger's data.
OTHER_PEOPLES_RECORDS = {
    "task_progress",
    "learner_detail",
    "guardian_link_revoke",
    "workspace_mentor_detail",
    "workspace_mentor_step",
    "workspace_learner_decide",
    "workspace_guardian_resend",
    "guardian_link_confirm",
    "learner_birth_date_correct",
    "programs:document",
    "programs:consent",
    "programs:consent_revoke",
    "programs:review",
    "programs:enrollment_decide",
    "programs:import_preview",
    "matching:run_detail",
    "matching:run_publish",
    "matching:mentorship",
    "shadowing:booking_detail",
    "shadowing:booking_cancel",
    "shadowing:booking_check_in",
    "shadowing:booking_check_out",
    "shadowing:booking_verify",
    "shadowing:booking_no_show",
    "shadowing:booking_correct",
    "shadowing:booking_ics",
    "shadowing:certificate_download",
    "shadowing:certificate_revoke",
    "grants:application_detail",
    "grants:application_edit",
    "grants:application_autosave",
    "grants:attachment_upload",
    "grants:application_withdraw",
    "grants:letter_pdf",
    "grants:attachment_download",
    "grants:attachment_delete",
    "grants:review_application",
    "grants:review_conflict",
    "grants:conflict_status",
    "grants:assignment_swap",
    "learning:question",
    "learning:question_answer",
    "learning:question_helpful",
    "learning:question_promote",
    "learning:mentorship",
    "learning:glossary_add",
    "learning:moment_add",
    "learning:glossary_promote",
    "learning:review_rate",
    "learning:reflection_write",
    "learning:reflection",
    "messaging:mentorship",
    "messaging:thread_new",
    "messaging:meeting_propose",
    "messaging:thread",
    "messaging:message_post",
    "messaging:thread_lock",
    "messaging:thread_unlock",
    "messaging:message_report",
    "messaging:attachment",
    "messaging:meeting_respond",
    "messaging:meeting_log",
    "outcomes:recognition_pdf",
}


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            found += _routes(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            found.append((prefix + str(p.pattern), f"{namespace}:{p.name}".strip(":")))
    return found


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 a stranger's file", content_type="application/pdf")


def _strangers_records() -> dict[str, Any]:
    """One real record of each kind, owned by people unrelated to every demo login.

    The demo's own records are used where it has one; the small demo centres its stories on the demo logins,
    so a few kinds (a booking between two strangers, say) are added here with the apps' factories.
    """
    logins = {email: User.objects.get(email=email) for email in [*ROLES.values(), COORDINATOR]}
    circle_users = [user.pk for user in logins.values()]
    children = list(
        GuardianLink.objects.filter(guardian__email=ROLES["guardian"]).values_list("learner_id", flat=True)
    )
    circle_learners = LearnerProfile.objects.filter(Q(user_id__in=circle_users) | Q(pk__in=children))
    rivera = MentorProfile.objects.get(user__email=ROLES["mentor"])
    reviewer = logins[ROLES["reviewer"]]
    coordinator = logins[COORDINATOR]
    strangers = LearnerProfile.objects.exclude(pk__in=circle_learners).select_related("user").order_by("pk")
    stranger = strangers.first()
    other_mentor = (
        MentorProfile.objects.exclude(pk=rivera.pk).exclude(user_id__in=circle_users).order_by("pk").first()
    )
    site = Site.objects.order_by("pk").first()
    program = Program.objects.order_by("pk").first()
    match_run = MatchRun.objects.select_related("term__program").order_by("pk").first()
    assert match_run is not None, "the demo society has no match run"

    minor_link = (
        GuardianLink.objects.exclude(learner__in=circle_learners)
        .exclude(guardian_id__in=circle_users)
        .exclude(guardian=None)
        .select_related("learner")
        .order_by("pk")
        .first()
    ) or GuardianLinkFactory(learner=strangers.last(), status=GuardianLink.Status.VERIFIED)
    booking = Booking.objects.exclude(learner__in=circle_learners).exclude(slot__mentor=rivera).order_by(
        "pk"
    ).first() or BookingFactory(
        slot=SlotFactory(mentor=other_mentor, site=site, program=program), learner=stranger
    )
    consent_requirement = Requirement.objects.filter(kind=Requirement.Kind.GUARDIAN_CONSENT).first()
    consent = (
        RequirementRecord.objects.filter(requirement__kind=Requirement.Kind.GUARDIAN_CONSENT)
        .exclude(person_id__in=circle_users)
        .exclude(signed_by_id__in=circle_users)
        .order_by("pk")
        .first()
    ) or RequirementRecordFactory(
        requirement=consent_requirement,
        person=minor_link.learner.user,
        signed_by=minor_link.guardian,
        signed_name=minor_link.guardian.full_name,
    )
    submission = RequirementRecord.objects.exclude(person_id__in=circle_users).exclude(
        pk=consent.pk
    ).order_by("pk").first() or RequirementRecordFactory(
        person=stranger.user, status=RequirementRecord.Status.SUBMITTED
    )
    document = Document.objects.exclude(owner_id__in=circle_users).order_by("pk").first()
    if document is None:
        document = Document.objects.create(
            owner=stranger.user,
            uploaded_by=stranger.user,
            file=_pdf("record.pdf"),
            original_name="record.pdf",
            content_type="application/pdf",
            size=26,
            sha256="0" * 64,
        )
    cycle = GrantCycle.objects.order_by("pk").first()
    application = (
        Application.objects.exclude(applicant__in=circle_learners)
        .exclude(assignments__reviewer=reviewer)
        .order_by("pk")
        .first()
    ) or ApplicationFactory(cycle=cycle)
    attachment = GrantAttachment.objects.filter(
        application=application
    ).first() or GrantAttachment.objects.create(
        application=application,
        label="Budget",
        file=_pdf("budget.pdf"),
        original_name="budget.pdf",
        size=26,
        sha256="0" * 64,
    )
    certificate = HoursCertificate.objects.exclude(learner__in=circle_learners).order_by(
        "pk"
    ).first() or HoursCertificateFactory(learner=stranger)
    # An active mentorship: an ended one is read-only, and its threads and meetings are what we probe.
    mentorship = (
        Mentorship.objects.filter(status=Mentorship.Status.ACTIVE)
        .exclude(learner__in=circle_learners)
        .exclude(mentor=rivera)
        .order_by("pk")
        .first()
    ) or MentorshipFactory(term=match_run.term, mentor=other_mentor, learner=stranger)
    decided = DecisionRecord.objects.filter(status=DecisionRecord.Status.FROZEN).order_by("pk").first()
    # Learning records are private to one mentorship or one learner; made fresh so none is promoted to a
    # program's shared knowledge base.
    glossary_entry = GlossaryEntryFactory(mentorship=mentorship)
    reflection = Reflection.objects.filter(booking=booking).first() or ReflectionFactory(booking=booking)
    return {
        **_messaging_records(mentorship),
        "question": QuestionFactory(mentorship=mentorship),
        "glossary_entry": glossary_entry,
        "flashcard": FlashcardFactory(glossary_entry=glossary_entry),
        "reflection": reflection,
        "booking": booking,
        "stranger": stranger,
        "mentor": other_mentor,
        "minor_link": minor_link,
        "consent": consent,
        "consent_learner": LearnerProfile.objects.get(user_id=consent.person_id),
        "submission": submission,
        "document": document,
        "enrollment": Enrollment.objects.exclude(learner__in=circle_learners).order_by("pk").first(),
        "application": application,
        "attachment": attachment,
        "certificate": certificate,
        "mentorship": mentorship,
        "match_run": match_run,
        "term": match_run.term,
        "batch": ImportBatch.objects.order_by("pk").first()
        or ImportBatch.objects.create(
            kind=ImportBatch.Kind.LEARNERS, original_name="learners.csv", created_by=coordinator
        ),
        "task": TaskRun.objects.create(kind="check", label="A coordinator's job", created_by=coordinator),
        "invitation": Invitation.objects.create(
            email="stranger@example.org", role=Role.MENTOR, invited_by=coordinator
        ),
        "cycle": cycle,
        "decided_cycle_pk": decided.cycle_id if decided else getattr(cycle, "pk", None),
        "conflict": Conflict.objects.order_by("pk").first(),
        "assignment": Assignment.objects.exclude(reviewer=reviewer).order_by("pk").first(),
        "program": (consent.requirement.program if consent.requirement else None) or program,
        "requirement": Requirement.objects.order_by("pk").first(),
        "site": booking.slot.site,
        "feed_token": CalendarFeedToken.objects.get_or_create(user=stranger.user)[0].token,
        "feedback": PatientFeedback.objects.order_by("pk").first()
        or PatientFeedback.objects.create(
            site=booking.slot.site, q1_learner_ok="yes", q2_enough_time="yes", comment="Kind student."
        ),
    }


def _messaging_records(mentorship: Mentorship) -> dict[str, Any]:
    """A thread, a message and a meeting inside a stranger's mentorship (when messaging is installed)."""
    if not apps.is_installed("mentorfold.messaging"):
        return {}
    from mentorfold.messaging import services as messaging
    from mentorfold.messaging.models import Meeting, Side

    thread = messaging.thread_create(
        mentorship=mentorship, actor=mentorship.mentor.user, subject="Next visit", body="See you Tuesday."
    )
    meeting = Meeting.objects.create(
        mentorship=mentorship,
        kind=Meeting.Kind.VIDEO,
        starts_at=timezone.now() + timedelta(days=3),
        proposed_by=mentorship.mentor.user,
        proposed_side=Side.MENTOR,
    )
    return {"thread": thread, "message": thread.messages.order_by("pk").first(), "meeting": meeting}


def _cycle(r: dict[str, Any]) -> dict[str, Any]:
    return {"pk": r["cycle"].pk}


def _booking(r: dict[str, Any]) -> dict[str, Any]:
    return {"pk": r["booking"].pk}


def _application(r: dict[str, Any]) -> dict[str, Any]:
    return {"pk": r["application"].pk}


def _term(r: dict[str, Any]) -> dict[str, Any]:
    return {"term_pk": r["term"].pk}


def _recognition_code(r: dict[str, Any]) -> str:
    statements = apps.get_model("outcomes", "RecognitionStatement").objects
    return statements.get_or_create(mentor=r["mentor"], year=2026, defaults={"totals": {"hours": 1}})[0].code


# URL arguments of every view that takes some, built from real records rather than made-up ids: with
# ``pk=1`` a view answers 404 because nothing is there, which proves nothing about who may see it.
KWARGS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "certificate_verify": lambda r: {"code": r["certificate"].code},
    "task_progress": lambda r: {"pk": r["task"].pk},
    "learner_detail": lambda r: {"pk": r["stranger"].pk},
    "guardian_link_revoke": lambda r: {"pk": r["minor_link"].pk},
    "invitation_accept": lambda r: {"token": r["invitation"].token},
    "workspace_mentor_detail": lambda r: {"pk": r["mentor"].pk},
    "workspace_mentor_step": lambda r: {"pk": r["mentor"].pk, "step": "orientation"},
    "workspace_learner_decide": lambda r: {"pk": r["stranger"].pk},
    "workspace_guardian_resend": lambda r: {"pk": r["minor_link"].learner_id},
    "guardian_link_confirm": lambda r: {"pk": r["minor_link"].learner_id, "link_pk": r["minor_link"].pk},
    "learner_birth_date_correct": lambda r: {"pk": r["stranger"].pk},
    "programs:requirement_sign": lambda r: {"pk": r["requirement"].pk},
    "programs:requirement_upload": lambda r: {"pk": r["requirement"].pk},
    "programs:document": lambda r: {"pk": r["document"].pk},
    "programs:consent": lambda r: {"learner_pk": r["consent_learner"].pk, "slug": r["program"].slug},
    "programs:consent_revoke": lambda r: {"pk": r["consent"].pk},
    "programs:opt_in": lambda r: {"pk": r["term"].pk},
    "programs:review": lambda r: {"pk": r["submission"].pk},
    "programs:enrollment_decide": lambda r: {"pk": r["enrollment"].pk},
    "programs:import_preview": lambda r: {"pk": r["batch"].pk},
    "programs:export_download": lambda r: {"pk": r["task"].pk},
    "programs:workspace_program": lambda r: {"pk": r["program"].pk},
    "programs:workspace_program_archive": lambda r: {"pk": r["program"].pk},
    "programs:workspace_term_new": lambda r: {"pk": r["program"].pk},
    "programs:workspace_term": lambda r: {"pk": r["term"].pk},
    "programs:workspace_term_advance": lambda r: {"pk": r["term"].pk},
    "programs:workspace_site": lambda r: {"pk": r["site"].pk},
    "programs:export": lambda r: {"kind": "learners", "fmt": "csv"},
    "programs:detail": lambda r: {"slug": r["program"].slug},
    "programs:apply": lambda r: {"slug": r["term"].program.slug, "term_pk": r["term"].pk},
    "matching:preferences": _term,
    "matching:my_match": _term,
    "matching:mentor_requests": _term,
    "matching:runs": _term,
    "matching:settings": _term,
    "matching:place": _term,
    "matching:run_detail": lambda r: {"pk": r["match_run"].pk},
    "matching:run_publish": lambda r: {"pk": r["match_run"].pk},
    "matching:mentorship": lambda r: {"pk": r["mentorship"].pk},
    "shadowing:slot_detail": lambda r: {"pk": r["booking"].slot_id},
    "shadowing:slot_book": lambda r: {"pk": r["booking"].slot_id},
    "shadowing:booking_detail": _booking,
    "shadowing:booking_cancel": _booking,
    "shadowing:booking_check_in": _booking,
    "shadowing:booking_check_out": _booking,
    "shadowing:booking_verify": _booking,
    "shadowing:booking_no_show": _booking,
    "shadowing:booking_correct": _booking,
    "shadowing:booking_ics": _booking,
    "shadowing:certificate_download": lambda r: {"code": r["certificate"].code},
    "shadowing:certificate_revoke": lambda r: {"code": r["certificate"].code},
    "shadowing:verify": lambda r: {"code": r["certificate"].code},
    "shadowing:feed": lambda r: {"token": r["feed_token"]},
    "shadowing:feedback": lambda r: {"site_pk": r["site"].pk},
    "shadowing:feedback_poster": lambda r: {"site_pk": r["site"].pk},
    "shadowing:feedback_qr": lambda r: {"site_pk": r["site"].pk},
    "shadowing:feedback_hide": lambda r: {"pk": r["feedback"].pk},
    "grants:eligibility": lambda r: {"cycle_pk": r["cycle"].pk},
    "grants:application_detail": _application,
    "grants:application_edit": _application,
    "grants:application_autosave": _application,
    "grants:attachment_upload": _application,
    "grants:application_withdraw": _application,
    "grants:letter_pdf": _application,
    "grants:attachment_download": lambda r: {"pk": r["attachment"].pk},
    "grants:attachment_delete": lambda r: {"pk": r["attachment"].pk},
    "grants:decision_public": lambda r: {"pk": r["decided_cycle_pk"]},
    "grants:review_application": _application,
    "grants:review_conflict": _application,
    "grants:declaration": lambda r: {"cycle_pk": r["cycle"].pk},
    "grants:conflict_status": lambda r: {"pk": r["conflict"].pk},
    "grants:assignment_swap": lambda r: {"pk": r["assignment"].pk},
    "grants:decision_export": lambda r: {"pk": r["cycle"].pk, "fmt": "csv"},
    "grants:cycle": _cycle,
    "grants:cycle_edit": _cycle,
    "grants:cycle_applications": _cycle,
    "grants:conflicts": _cycle,
    "grants:assignment_start": _cycle,
    "grants:assignment": _cycle,
    "grants:reminders": _cycle,
    "grants:decision": _cycle,
    "grants:decision_replay": _cycle,
    "grants:letters": _cycle,
    "learning:question": lambda r: {"pk": r["question"].pk},
    "learning:question_answer": lambda r: {"pk": r["question"].pk},
    "learning:question_helpful": lambda r: {"pk": r["question"].pk},
    "learning:question_promote": lambda r: {"pk": r["question"].pk},
    "learning:mentorship": lambda r: {"pk": r["mentorship"].pk},
    "learning:glossary_add": lambda r: {"pk": r["mentorship"].pk},
    "learning:moment_add": lambda r: {"pk": r["mentorship"].pk},
    "learning:glossary_promote": lambda r: {"pk": r["glossary_entry"].pk},
    "learning:program": lambda r: {"slug": r["program"].slug},
    "learning:learned_year": lambda r: {"year": r["booking"].slot.starts_at.year},
    "learning:review_rate": lambda r: {"pk": r["flashcard"].pk},
    "learning:reflection_write": lambda r: {"booking_pk": r["booking"].pk},
    "learning:reflection": lambda r: {"pk": r["reflection"].pk},
    "messaging:mentorship": lambda r: {"pk": r["mentorship"].pk},
    "messaging:thread_new": lambda r: {"pk": r["mentorship"].pk},
    "messaging:meeting_propose": lambda r: {"pk": r["mentorship"].pk},
    "messaging:thread": lambda r: {"pk": r["thread"].pk},
    "messaging:message_post": lambda r: {"pk": r["thread"].pk},
    "messaging:thread_lock": lambda r: {"pk": r["thread"].pk},
    "messaging:thread_unlock": lambda r: {"pk": r["thread"].pk},
    "messaging:message_report": lambda r: {"pk": r["message"].pk},
    "messaging:attachment": lambda r: {"pk": r["message"].pk},
    "messaging:meeting_respond": lambda r: {"pk": r["meeting"].pk},
    "messaging:meeting_log": lambda r: {"pk": r["meeting"].pk},
    "outcomes:export": lambda r: {"chart": "burnout", "fmt": "csv"},
    "outcomes:term_surveys": _term,
    "outcomes:instrument_wording": lambda r: {
        "pk": apps.get_model("outcomes", "InstrumentVersion").objects.get(key="mbi_single_items").pk
    },
    "outcomes:survey": lambda r: {"token": "not-a-real-survey-link"},
    "outcomes:pipeline_checkin": lambda r: {"token": "not-a-real-yearly-link"},
    "outcomes:pipeline_import_preview": lambda r: {
        "pk": apps.get_model("outcomes", "PipelineImport").objects.get_or_create(original_name="m.csv")[0].pk
    },
    "outcomes:recognition_pdf": lambda r: {"code": _recognition_code(r)},
    "outcomes:recognition_verify": lambda r: {"code": _recognition_code(r)},
}


@pytest.fixture
def site_urls(db: None) -> list[tuple[str, str, str]]:
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())
    records = _strangers_records()
    missing = sorted(kind for kind, record in records.items() if record is None)
    assert not missing, f"the demo society has no record of these kinds owned by a stranger: {missing}"
    urls = []
    for route, name in _routes(get_resolver().url_patterns):
        # Django admin and allauth are tested upstream; the API answers tokens, not sessions (own tests).
        if route.startswith(("admin/", "accounts/", "api/")):
            continue
        if "<" not in route:
            urls.append((route, name, reverse(name)))
            continue
        assert name in KWARGS, f"{name} ({route}) takes arguments: add real records for it to KWARGS"
        urls.append((route, name, reverse(name, kwargs=KWARGS[name](records))))
    return urls


def test_anonymous_visitors_only_reach_public_pages(site_urls: list[tuple[str, str, str]]) -> None:
    client = Client()
    problems = []
    for _route, name, url in site_urls:
        response = client.get(url)
        status = response.status_code
        to_login = status == 302 and "/accounts/login/" in response["Location"]
        ok = status in {200, 404, 410, 429} if name in PUBLIC else (to_login or status in {404, 405})
        if not ok:
            problems.append(f"{name} {url} -> {status}")
    assert not problems, "\n".join(problems)


def test_only_coordinators_open_management_pages(site_urls: list[tuple[str, str, str]]) -> None:
    problems = []
    for role, email in ROLES.items():
        client = Client()
        client.force_login(User.objects.get(email=email))
        for route, name, url in site_urls:
            status = client.get(url).status_code
            if status >= 500:
                problems.append(f"{role}: {name} {url} -> {status}")
            elif COORDINATOR_ONLY.match(route) and status == 200:
                problems.append(f"{role} opened coordinator page {name} {url}")
    assert not problems, "\n".join(problems)


def test_coordinator_opens_every_management_page_without_errors(
    site_urls: list[tuple[str, str, str]],
) -> None:
    client = Client()
    client.force_login(User.objects.get(email=COORDINATOR))
    problems = []
    for route, name, url in site_urls:
        status = client.get(url).status_code
        if status >= 500 or (COORDINATOR_ONLY.match(route) and status in {401, 403}):
            problems.append(f"{name} {url} -> {status}")
    assert not problems, "\n".join(problems)


def test_the_strangers_records_are_real_pages(site_urls: list[tuple[str, str, str]]) -> None:
    """A coordinator opens them: so a denial to anyone else is a decision, not a missing row."""
    pages = {
        "learner_detail",
        "workspace_mentor_detail",
        "task_progress",
        "programs:document",
        "programs:consent",
        "matching:mentorship",
        "shadowing:booking_detail",
        "shadowing:certificate_download",
        "grants:application_detail",
        "grants:attachment_download",
    }
    client = Client()
    client.force_login(User.objects.get(email=COORDINATOR))
    statuses = {name: client.get(url).status_code for _route, name, url in site_urls if name in pages}
    assert statuses == dict.fromkeys(pages, 200)


@pytest.mark.parametrize("role", list(ROLES))
def test_nobody_opens_a_strangers_records(role: str, site_urls: list[tuple[str, str, str]]) -> None:
    """Real ids of other people's bookings, applications, documents...: never a page for an outsider."""
    client = Client()
    client.force_login(User.objects.get(email=ROLES[role]))
    opened = []
    for _route, name, url in site_urls:
        if name in OTHER_PEOPLES_RECORDS and client.get(url).status_code == 200:
            opened.append(f"{name} {url}")
    assert not opened, f"{role} opened a stranger's record:\n" + "\n".join(opened)
