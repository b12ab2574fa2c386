"""Messaging services: youth protection, locking and reports, meetings feeding the activity, the digest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from mentorfold.accounts.models import GuardianLink
from mentorfold.accounts.tests.factories import GuardianLinkFactory
from mentorfold.core.models import AuditEvent
from mentorfold.matching.models import Mentorship
from mentorfold.matching.selectors import quiet_mentorships
from mentorfold.messaging import services
from mentorfold.messaging.models import Meeting, MessageDigest, MessageReport, Side, ThreadParticipant

from .factories import add_messages, start_thread

pytestmark = pytest.mark.django_db


# --- Youth protection ---------------------------------------------------------------------------------------


def test_a_minors_new_thread_includes_the_verified_guardian(minor_mentorship: Any, guardian: Any) -> None:
    thread = start_thread(minor_mentorship)
    sides = dict(thread.participants.values_list("user_id", "side"))
    assert sides == {
        minor_mentorship.mentor.user_id: Side.MENTOR,
        minor_mentorship.learner.user_id: Side.LEARNER,
        guardian.pk: Side.GUARDIAN,
    }


def test_an_adult_learners_thread_has_no_guardian(mentorship: Any) -> None:
    thread = start_thread(mentorship)
    assert set(thread.participants.values_list("side", flat=True)) == {Side.MENTOR, Side.LEARNER}


def test_it_refuses_a_minors_thread_when_no_guardian_is_verified(
    minor_mentorship: Any, guardian: Any
) -> None:
    GuardianLink.objects.filter(guardian=guardian).update(status=GuardianLink.Status.ACCEPTED)
    with pytest.raises(ValidationError) as error:
        start_thread(minor_mentorship)
    assert error.value.code == "no_guardian"
    assert not minor_mentorship.threads.exists()


def test_removing_the_guardian_behind_the_services_back_blocks_the_next_message(
    minor_mentorship: Any, guardian: Any
) -> None:
    thread = start_thread(minor_mentorship)
    thread.participants.filter(user=guardian).delete()
    # The service puts the guardian back before posting; the model check refuses a thread without them.
    services.message_post(thread=thread, actor=minor_mentorship.mentor.user, body="Still here?")
    assert thread.participants.filter(user=guardian, side=Side.GUARDIAN).exists()
    thread.participants.filter(user=guardian).delete()
    with pytest.raises(ValidationError):
        thread.check_safeguards()


def test_a_guardian_verified_later_joins_the_thread_at_the_next_message(
    minor_mentorship: Any, guardian: Any
) -> None:
    thread = start_thread(minor_mentorship)
    second = GuardianLinkFactory(learner=minor_mentorship.learner, guardian__email="dad@example.org")
    services.message_post(thread=thread, actor=minor_mentorship.learner.user, body="Hi")
    assert thread.participants.filter(user=second.guardian).exists()


def test_outsiders_cannot_start_threads_or_post(
    mentorship: Any, other_mentor: Any, other_learner: Any, coordinator: Any
) -> None:
    for outsider in (other_mentor.user, other_learner.user, coordinator):
        with pytest.raises(PermissionDenied):
            start_thread(mentorship, by=outsider)
    thread = start_thread(mentorship)
    with pytest.raises(PermissionDenied):
        services.message_post(thread=thread, actor=other_mentor.user, body="Hi")


def test_a_minors_meeting_invites_the_guardian_and_counts_as_contact(
    minor_mentorship: Any, guardian: Any
) -> None:
    start = timezone.now() + timedelta(days=2)
    meeting = services.meeting_propose(
        mentorship=minor_mentorship,
        actor=minor_mentorship.mentor.user,
        kind=Meeting.Kind.VIDEO,
        starts_at=start,
    )
    assert list(meeting.guardians.all()) == [guardian]
    with pytest.raises(PermissionDenied):
        services.meeting_respond(meeting=meeting, actor=minor_mentorship.mentor.user, accept=True)
    services.meeting_respond(meeting=meeting, actor=guardian, accept=True)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ACCEPTED
    with pytest.raises(ValidationError):
        services.meeting_respond(meeting=meeting, actor=minor_mentorship.learner.user, accept=False)
    with pytest.raises(ValidationError):  # not started yet
        services.meeting_log(meeting=meeting, actor=minor_mentorship.mentor.user, discussed="x", next_step="")
    after = start + timedelta(hours=1)
    services.meeting_log(
        meeting=meeting,
        actor=minor_mentorship.mentor.user,
        discussed="Her essay",
        next_step="Visit",
        now=after,
    )
    meeting.refresh_from_db()
    assert meeting.discussed == "Her essay"
    assert Mentorship.objects.get(pk=minor_mentorship.pk).last_activity_at == after


def test_a_message_clears_the_gone_quiet_flag(mentorship: Any) -> None:
    Mentorship.objects.filter(pk=mentorship.pk).update(created_at=timezone.now() - timedelta(days=60))
    assert mentorship in quiet_mentorships()
    start_thread(mentorship)
    assert mentorship not in quiet_mentorships()


# --- Reports and locks --------------------------------------------------------------------------------------


def test_a_locked_thread_refuses_new_messages_and_the_lock_is_audited(
    mentorship: Any, coordinator: Any
) -> None:
    thread = start_thread(mentorship)
    with pytest.raises(PermissionDenied):
        services.thread_lock(thread=thread, actor=mentorship.mentor.user, reason="no")
    services.thread_lock(thread=thread, actor=coordinator, reason="Rude messages")
    assert thread.is_locked
    with pytest.raises(ValidationError) as error:
        services.message_post(thread=thread, actor=mentorship.learner.user, body="Hello?")
    assert error.value.code == "locked"
    event = AuditEvent.objects.get(action="messaging.thread_lock")
    assert (event.actor, event.target_id, event.reason) == (coordinator, str(thread.pk), "Rude messages")
    with pytest.raises(ValidationError):
        services.thread_lock(thread=thread, actor=coordinator, reason="again")


def test_anyone_in_the_thread_can_report_a_message_once(minor_mentorship: Any, guardian: Any) -> None:
    thread = start_thread(minor_mentorship)
    message = thread.messages.get()
    services.message_report(message=message, actor=guardian, reason="Asked for her phone number")
    with pytest.raises(ValidationError):
        services.message_report(message=message, actor=guardian, reason="again")
    assert MessageReport.objects.get().reporter == guardian
    assert AuditEvent.objects.filter(action="messaging.message_report").count() == 1


def test_attachments_go_through_the_upload_checks(mentorship: Any) -> None:
    fake = SimpleUploadedFile("notes.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.thread_create(
            mentorship=mentorship,
            actor=mentorship.mentor.user,
            subject="File",
            body="see file",
            attachment=fake,
        )
    assert not mentorship.threads.exists()


def test_a_good_attachment_is_stored_under_a_random_name(
    mentorship: Any, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("My notes.pdf", b"%PDF-1.4 hello", content_type="application/pdf")
    thread = services.thread_create(
        mentorship=mentorship, actor=mentorship.mentor.user, subject="File", body="see file", attachment=pdf
    )
    message = thread.messages.get()
    assert message.attachment_name == "My notes.pdf"
    assert message.attachment_type == "application/pdf"
    assert "notes" not in message.attachment.name and message.attachment.name.startswith("messages/")


# --- Digest ---------------------------------------------------------------------------------------------------


def test_thirty_messages_in_an_hour_make_one_email_per_recipient_after_commit(
    minor_mentorship: Any, guardian: Any, django_capture_on_commit_callbacks: Any
) -> None:
    thread = start_thread(minor_mentorship, body="First")
    add_messages(thread, by=minor_mentorship.mentor.user, count=29)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = services.digest_send_all()
        assert mail.outbox == []  # nothing leaves before the sent-log commits
    assert sent == 2 and len(callbacks) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [guardian.email, minor_mentorship.learner.user.email]
    )
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert "30 new messages" in mail.outbox[0].body


def test_a_retried_digest_sends_nothing_twice(
    mentorship: Any, django_capture_on_commit_callbacks: Any
) -> None:
    thread = start_thread(mentorship)
    add_messages(thread, by=mentorship.mentor.user, count=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send_all() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send_all() == 0
        assert services.digest_send_one(user_id=mentorship.learner.user_id) is False
    assert len(mail.outbox) == 1
    assert MessageDigest.objects.get().message_count == 4
    # A new message later is a new digest, covering only that message.
    add_messages(thread, by=mentorship.mentor.user, count=1, start=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_message_digests", stdout=__import__("io").StringIO())
    assert len(mail.outbox) == 2
    assert "1 new message" in mail.outbox[1].body


def test_read_messages_are_not_mailed_and_adults_never_see_a_minors_address(
    minor_mentorship: Any, guardian: Any, django_capture_on_commit_callbacks: Any
) -> None:
    thread = start_thread(minor_mentorship, by=minor_mentorship.learner.user)
    services.thread_mark_read(thread=thread, user=guardian)
    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send_all()
    assert [m.to for m in mail.outbox] == [[minor_mentorship.mentor.user.email]]
    assert minor_mentorship.learner.user.email not in mail.outbox[0].body
    assert "Minh Tran" in mail.outbox[0].body


def test_unread_counts_are_per_person(minor_mentorship: Any, guardian: Any) -> None:
    from mentorfold.messaging.selectors import thread_list

    thread = start_thread(minor_mentorship)
    add_messages(thread, by=minor_mentorship.learner.user, count=2)
    counts = {u.pk: thread_list(u)[0].unread for u in (minor_mentorship.mentor.user, guardian)}
    assert counts == {minor_mentorship.mentor.user_id: 2, guardian.pk: 3}
    services.thread_mark_read(thread=thread, user=guardian)
    assert thread_list(guardian)[0].unread == 0
    assert ThreadParticipant.objects.filter(thread=thread).count() == 3


def test_an_early_ended_mentorship_is_read_only_but_a_completed_one_keeps_in_touch(mentorship: Any) -> None:
    thread = start_thread(mentorship)
    Mentorship.objects.filter(pk=mentorship.pk).update(status=Mentorship.Status.COMPLETED)
    mentorship.refresh_from_db()
    services.message_post(thread=thread, actor=mentorship.learner.user, body="Thanks for the term!")
    Mentorship.objects.filter(pk=mentorship.pk).update(status=Mentorship.Status.ENDED_EARLY)
    mentorship.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.message_post(thread=thread, actor=mentorship.learner.user, body="Hello?")
    assert error.value.code == "ended"
