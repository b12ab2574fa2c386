"""Messaging pages: who sees what (404 for strangers), crafted POSTs, XSS, and query-count bounds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts.models import GuardianLink
from mentorfold.core.models import AuditEvent
from mentorfold.messaging import services
from mentorfold.messaging.models import Meeting, MessageReport, Side, Thread

from .factories import add_messages, start_thread

pytestmark = pytest.mark.django_db


def _pages(thread: Thread) -> list[str]:
    return [
        reverse("messaging:mentorship", args=[thread.mentorship_id]),
        reverse("messaging:thread", args=[thread.pk]),
    ]


# --- Who sees what ----------------------------------------------------------------------------------------------


def test_learners_cannot_read_another_mentorships_threads_or_meetings(
    client: Any, mentorship: Any, other_learner: Any, other_mentorship: Any
) -> None:
    thread = start_thread(mentorship)
    meeting = services.meeting_propose(
        mentorship=mentorship,
        actor=mentorship.mentor.user,
        kind=Meeting.Kind.PHONE,
        starts_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(other_learner.user)
    for url in _pages(thread):
        assert client.get(url).status_code == 404
    message = thread.messages.get()
    for name, pk, data in [
        ("messaging:message_post", thread.pk, {"body": "hi"}),
        ("messaging:thread_new", mentorship.pk, {"subject": "x", "body": "hi"}),
        ("messaging:message_report", message.pk, {"reason": "x"}),
        ("messaging:meeting_respond", meeting.pk, {"answer": "accept"}),
        ("messaging:meeting_log", meeting.pk, {"discussed": "x"}),
        ("messaging:meeting_propose", mentorship.pk, {"kind": "phone"}),
    ]:
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    assert client.get(reverse("messaging:attachment", args=[message.pk])).status_code == 404
    # Their own list does not mention the stranger's conversation.
    home = client.get(reverse("messaging:home"))
    assert home.status_code == 200 and thread.subject not in home.content.decode()


@pytest.mark.parametrize("who", ["other_mentor", "other_learner", "other_guardian", "reviewer"])
def test_strangers_get_404_on_a_minors_thread(
    client: Any, minor_mentorship: Any, request: pytest.FixtureRequest, who: str
) -> None:
    thread = start_thread(minor_mentorship, subject="Essay plans")
    person = request.getfixturevalue(who)
    client.force_login(getattr(person, "user", person))
    for url in _pages(thread):
        assert client.get(url).status_code == 404, url


def test_a_guardian_sees_their_own_childs_threads_and_no_others(
    client: Any, minor_mentorship: Any, guardian: Any, other_family: Any, mentorship: Any
) -> None:
    mine = start_thread(minor_mentorship, subject="Minh's essay")
    theirs = start_thread(other_family, subject="Kim's visit")
    adult = start_thread(mentorship, subject="Amina's plans")
    client.force_login(guardian)
    home = client.get(reverse("messaging:home")).content.decode()
    assert "Minh&#x27;s essay" in home
    assert "Kim" not in home and "Amina" not in home
    page = client.get(reverse("messaging:thread", args=[mine.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Because Minh is under 18, Minh's guardian Lan Tran can read this conversation" in text
    assert "minor@example.org" not in text and "parent@example.org" not in text
    for thread in (theirs, adult):
        for url in _pages(thread):
            assert client.get(url).status_code == 404


def test_a_revoked_guardian_loses_access(client: Any, minor_mentorship: Any, guardian: Any) -> None:
    thread = start_thread(minor_mentorship)
    GuardianLink.objects.filter(guardian=guardian).update(status=GuardianLink.Status.REVOKED)
    client.force_login(guardian)
    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404


def test_coordinators_read_a_minors_thread_but_cannot_post(
    client: Any, minor_mentorship: Any, coordinator: Any
) -> None:
    thread = start_thread(minor_mentorship)
    client.force_login(coordinator)
    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 200
    response = client.post(reverse("messaging:message_post", args=[thread.pk]), {"body": "hello"})
    assert response.status_code == 403
    assert thread.messages.count() == 1


def test_reviewers_have_no_messages_page(client: Any, reviewer: Any) -> None:
    client.force_login(reviewer.user)
    assert client.get(reverse("messaging:home")).status_code == 403
    assert client.get(reverse("messaging:reports")).status_code == 403


# --- Youth protection through the request ------------------------------------------------------------------


def test_a_minors_new_thread_from_the_page_includes_the_guardian_even_if_the_post_says_otherwise(
    client: Any, minor_mentorship: Any, guardian: Any
) -> None:
    client.force_login(minor_mentorship.mentor.user)
    response = client.post(
        reverse("messaging:thread_new", args=[minor_mentorship.pk]),
        {
            "subject": "Just us",
            "body": "Hi Minh",
            "participants": [minor_mentorship.mentor.user_id, minor_mentorship.learner.user_id],
            "guardians": "",
            "include_guardians": "false",
        },
    )
    assert response.status_code == 302
    thread = Thread.objects.get(subject="Just us")
    assert thread.participants.filter(user=guardian, side=Side.GUARDIAN).exists()


def test_opening_a_minors_thread_without_a_verified_guardian_fails(
    client: Any, minor_mentorship: Any, guardian: Any
) -> None:
    GuardianLink.objects.filter(guardian=guardian).update(status=GuardianLink.Status.ACCEPTED)
    client.force_login(minor_mentorship.mentor.user)
    response = client.post(
        reverse("messaging:thread_new", args=[minor_mentorship.pk]), {"subject": "Just us", "body": "Hi"}
    )
    assert response.status_code == 400
    assert "confirmed a guardian" in response.content.decode()
    assert not Thread.objects.exists()
    response = client.post(
        reverse("messaging:meeting_propose", args=[minor_mentorship.pk]),
        {"kind": "video", "starts_at": "2030-01-05T16:00", "duration_minutes": "30"},
    )
    assert response.status_code == 400 and not Meeting.objects.exists()


# --- XSS -----------------------------------------------------------------------------------------------------


def test_scripts_javascript_links_and_event_handlers_are_neutralised(client: Any, mentorship: Any) -> None:
    hostile = (
        "<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
        '<img src=x onerror="alert(2)">\n\n<a href="javascript:alert(3)" onclick="alert(4)">link</a>\n\n'
        "**bold** and [safe](https://example.org)"
    )
    thread = start_thread(mentorship, body=hostile)
    client.force_login(mentorship.learner.user)
    html = client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    body = html[html.index('class="message-body"') :]
    body = body[: body.index("</div>")]
    assert "<script" not in body and "alert('x')" not in body
    assert "javascript:" not in body
    assert "onerror" not in body and "onclick" not in body and "<img" not in body
    assert "<strong>bold</strong>" in body
    assert 'href="https://example.org"' in body


# --- Happy paths per view --------------------------------------------------------------------------------------


def test_the_learner_replies_reports_and_the_coordinator_locks(
    client: Any, mentorship: Any, coordinator: Any
) -> None:
    thread = start_thread(mentorship)
    client.force_login(mentorship.learner.user)
    response = client.post(reverse("messaging:message_post", args=[thread.pk]), {"body": "Thank you!"})
    assert response.status_code == 302
    assert thread.messages.count() == 2
    first = thread.messages.order_by("pk").first()
    response = client.post(reverse("messaging:message_report", args=[first.pk]), {"reason": "Unkind"})
    assert response.status_code == 302 and MessageReport.objects.count() == 1
    # Hostile input: an empty reason is a form error, never a 500.
    assert client.post(reverse("messaging:message_report", args=[first.pk]), {}).status_code == 302
    assert client.post(reverse("messaging:thread_lock", args=[thread.pk]), {"reason": "x"}).status_code == 403

    client.force_login(coordinator)
    reports = client.get(reverse("messaging:reports"))
    assert reports.status_code == 200 and "Unkind" in reports.content.decode()
    response = client.post(reverse("messaging:thread_lock", args=[thread.pk]), {"reason": "Unkind words"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.is_locked
    assert AuditEvent.objects.filter(action="messaging.thread_lock", reason="Unkind words").exists()

    client.force_login(mentorship.mentor.user)
    page = client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert "A coordinator locked this conversation" in page
    response = client.post(reverse("messaging:message_post", args=[thread.pk]), {"body": "One more"})
    assert response.status_code == 400 and thread.messages.count() == 2

    client.force_login(coordinator)
    client.post(reverse("messaging:thread_unlock", args=[thread.pk]), {"reason": "Talked to both"})
    thread.refresh_from_db()
    assert not thread.is_locked


def test_meetings_through_the_pages(client: Any, minor_mentorship: Any, guardian: Any) -> None:
    client.force_login(minor_mentorship.learner.user)
    response = client.post(
        reverse("messaging:meeting_propose", args=[minor_mentorship.pk]),
        {"kind": "clinic", "starts_at": "2030-01-05T16:00", "duration_minutes": "60", "where": "Main clinic"},
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert list(meeting.guardians.all()) == [guardian]
    # Hostile values: a made-up kind and a number that is not offered are form errors.
    response = client.post(
        reverse("messaging:meeting_propose", args=[minor_mentorship.pk]),
        {"kind": "spaceship", "starts_at": "tomorrow", "duration_minutes": "9999"},
    )
    assert response.status_code == 400 and Meeting.objects.count() == 1
    # The guardian is on the learner's side, so only the mentor answers.
    client.force_login(guardian)
    client.post(reverse("messaging:meeting_respond", args=[meeting.pk]), {"answer": "accept"})
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PROPOSED
    client.force_login(minor_mentorship.mentor.user)
    assert (
        client.post(reverse("messaging:meeting_respond", args=[meeting.pk]), {"answer": "maybe"}).status_code
        == 302
    )
    client.post(reverse("messaging:meeting_respond", args=[meeting.pk]), {"answer": "accept"})
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ACCEPTED
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    page = client.get(reverse("messaging:mentorship", args=[minor_mentorship.pk])).content.decode()
    assert "Write a short log of this meeting" in page and "Guardians invited:" in page
    client.post(
        reverse("messaging:meeting_log", args=[meeting.pk]),
        {"discussed": "Her science fair", "next_step": "Visit"},
    )
    meeting.refresh_from_db()
    assert meeting.discussed == "Her science fair" and meeting.logged_by == minor_mentorship.mentor.user


def test_attachments_upload_and_download_for_participants_only(
    client: Any, mentorship: Any, other_mentor: Any, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client.force_login(mentorship.mentor.user)
    pdf = SimpleUploadedFile("reading.pdf", b"%PDF-1.4 reading list", content_type="application/pdf")
    response = client.post(
        reverse("messaging:thread_new", args=[mentorship.pk]),
        {"subject": "Reading", "body": "See file", "attachment": pdf},
    )
    assert response.status_code == 302
    message = Thread.objects.get().messages.get()
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 exe", content_type="application/pdf")
    response = client.post(
        reverse("messaging:message_post", args=[message.thread_id]), {"body": "again", "attachment": fake}
    )
    assert response.status_code == 400 and "virus.pdf is not a PDF" in response.content.decode()
    client.force_login(mentorship.learner.user)
    download = client.get(reverse("messaging:attachment", args=[message.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(other_mentor.user)
    assert client.get(reverse("messaging:attachment", args=[message.pk])).status_code == 404


def test_the_dashboard_panel_shows_unread_counts(client: Any, mentorship: Any) -> None:
    thread = start_thread(mentorship, subject="Welcome aboard")
    add_messages(thread, by=mentorship.mentor.user, count=2)
    client.force_login(mentorship.learner.user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Welcome aboard" in page and "3 unread" in page
    client.get(reverse("messaging:thread", args=[thread.pk]))
    assert "Welcome aboard" not in client.get(reverse("dashboard")).content.decode()


# --- Query counts ---------------------------------------------------------------------------------------------


def test_thread_page_queries_do_not_grow_with_messages(
    client: Any, minor_mentorship: Any, guardian: Any, django_assert_max_num_queries: Any
) -> None:
    thread = start_thread(minor_mentorship)
    add_messages(thread, by=minor_mentorship.learner.user, count=4)
    client.force_login(guardian)
    url = reverse("messaging:thread", args=[thread.pk])
    client.get(url)
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    add_messages(thread, by=minor_mentorship.mentor.user, count=45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="message-body"') == 50


def test_list_pages_queries_do_not_grow_with_threads(
    client: Any, mentorship: Any, django_assert_max_num_queries: Any
) -> None:
    start_thread(mentorship)
    client.force_login(mentorship.mentor.user)
    urls = [reverse("messaging:home"), reverse("messaging:mentorship", args=[mentorship.pk])]
    counts = []
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(16) as q:
            client.get(url)
        counts.append(len(q.captured_queries))
    for i in range(10):
        start_thread(mentorship, subject=f"Topic {i}")
        services.meeting_propose(
            mentorship=mentorship,
            actor=mentorship.learner.user,
            kind=Meeting.Kind.VIDEO,
            starts_at=timezone.now() + timedelta(days=i + 1),
        )
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count + 1):  # +1: the meetings' guardians prefetch, once
            client.get(url)


def test_reports_page_queries_are_bounded(
    client: Any, mentorship: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    thread = start_thread(mentorship)
    for m in add_messages(thread, by=mentorship.mentor.user, count=20):
        services.message_report(message=m, actor=mentorship.learner.user, reason="Rude")
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("messaging:reports"))
    assert response.content.decode().count("Rude") == 20


@pytest.mark.parametrize("who", ["learner", "guardian", "other_mentor"])
def test_only_coordinators_see_reports_and_lock(
    client: Any, mentorship: Any, request: pytest.FixtureRequest, who: str
) -> None:
    thread = start_thread(mentorship)
    person = request.getfixturevalue(who)
    client.force_login(getattr(person, "user", person))
    assert client.get(reverse("messaging:reports")).status_code == 403
    status = client.post(reverse("messaging:thread_lock", args=[thread.pk]), {"reason": "x"}).status_code
    assert status in {403, 404}
    thread.refresh_from_db()
    assert not thread.is_locked
