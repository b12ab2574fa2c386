"""The verbs of messaging: start a thread, post, report, lock, propose/answer/log a meeting, send digests.

Youth protection lives here and in the models' ``check_safeguards``: a thread or meeting of a learner under 18
always includes every verified guardian, whatever the request asked for; participants never come from a form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.core.audit import audit
from mentorfold.core.mail import send_templated_mail
from mentorfold.core.uploads import PDF_OR_IMAGE, check_upload
from mentorfold.matching.models import Mentorship
from mentorfold.matching.services import mentorship_record_activity

from .models import (
    EPOCH,
    Meeting,
    Message,
    MessageDigest,
    MessageReport,
    Side,
    Thread,
    ThreadParticipant,
    verified_guardian_ids,
)
from .render import message_to_safe_html

MAX_BODY = 5000
# Mentors and learners may stay in touch after a completed term; a declined or early-ended mentorship is read-only.
WRITABLE = {Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED, Mentorship.Status.COMPLETED}


def is_writable(mentorship: Mentorship) -> bool:
    return mentorship.status in WRITABLE


def side_of(user: Any, mentorship: Mentorship) -> str | None:
    """Which side of the mentorship ``user`` is on (mentor, learner or the learner's verified guardian)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if mentorship.mentor.user_id == user.pk:
        return Side.MENTOR
    if mentorship.learner.user_id == user.pk:
        return Side.LEARNER
    if user.has_role("guardian") and user.pk in verified_guardian_ids(mentorship.learner_id):
        return Side.GUARDIAN
    return None


def _require_side(actor: Any, mentorship: Mentorship) -> str:
    side = side_of(actor, mentorship)
    if side is None:
        raise PermissionDenied(_("Only the mentor, the learner and the learner's guardians can do this."))
    if not is_writable(mentorship):
        raise ValidationError(_("This mentorship has ended, so it is read-only."), code="ended")
    return side


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Message: write something before sending.")})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {"body": _("Message: keep it under %(limit)s characters.") % {"limit": MAX_BODY}}
        )
    return body


def _sync_participants(thread: Thread) -> None:
    """Mentor, learner and (for a minor) every verified guardian are in; guardians no longer verified are out."""
    mentorship = thread.mentorship
    wanted = {mentorship.mentor.user_id: Side.MENTOR, mentorship.learner.user_id: Side.LEARNER}
    if mentorship.learner.is_minor:
        for guardian_id in verified_guardian_ids(mentorship.learner_id):
            wanted.setdefault(guardian_id, Side.GUARDIAN)
    present = dict(thread.participants.values_list("user_id", "side"))
    ThreadParticipant.objects.bulk_create(
        [
            ThreadParticipant(thread=thread, user_id=uid, side=side)
            for uid, side in wanted.items()
            if uid not in present
        ],
        ignore_conflicts=True,
    )
    gone = [uid for uid, side in present.items() if side == Side.GUARDIAN and uid not in wanted]
    if gone:
        thread.participants.filter(user_id__in=gone).delete()


def _check_attachment(attachment: UploadedFile | None) -> str:
    if attachment is None:
        return ""
    return check_upload(attachment, allowed=PDF_OR_IMAGE, kinds=_("PDF, JPEG or PNG"))


def _post(
    *, thread: Thread, actor: Any, body: str, attachment: UploadedFile | None, mime: str, now: datetime
) -> Message:
    message = Message(
        thread=thread, author=actor, body=body, body_html=message_to_safe_html(body), created_at=now
    )
    if attachment is not None:
        message.attachment = attachment
        message.attachment_name = (attachment.name or "attachment")[-200:]
        message.attachment_type = mime
        message.attachment_size = attachment.size
    message.save()
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    thread.last_message_at = now
    ThreadParticipant.objects.filter(thread=thread, user=actor).update(last_read_at=now)
    mentorship_record_activity(mentorship_id=thread.mentorship_id, when=now)
    return message


def thread_create(
    *,
    mentorship: Mentorship,
    actor: Any,
    subject: str,
    body: str,
    attachment: UploadedFile | None = None,
    now: datetime | None = None,
) -> Thread:
    """Open a conversation in a mentorship with its first message; a minor's guardians are always included."""
    now = now or timezone.now()
    _require_side(actor, mentorship)
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Subject: say in a few words what this is about.")})
    body = _clean_body(body)
    mime = _check_attachment(attachment)
    with transaction.atomic():
        Mentorship.objects.select_for_update().filter(pk=mentorship.pk).first()
        thread = Thread.objects.create(mentorship=mentorship, subject=subject[:120], created_by=actor)
        _sync_participants(thread)
        thread.check_safeguards()
        _post(thread=thread, actor=actor, body=body, attachment=attachment, mime=mime, now=now)
    return thread


def message_post(
    *,
    thread: Thread,
    actor: Any,
    body: str,
    attachment: UploadedFile | None = None,
    now: datetime | None = None,
) -> Message:
    """Add a message; refused in a locked thread and for anyone not in the mentorship."""
    now = now or timezone.now()
    _require_side(actor, thread.mentorship)
    body = _clean_body(body)
    mime = _check_attachment(attachment)
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        if locked.is_locked:
            raise ValidationError(
                _("A coordinator locked this conversation, so no new messages can be added."), code="locked"
            )
        _sync_participants(thread)
        thread.check_safeguards()
        return _post(thread=thread, actor=actor, body=body, attachment=attachment, mime=mime, now=now)


def thread_mark_read(*, thread: Thread, user: Any, now: datetime | None = None) -> None:
    ThreadParticipant.objects.filter(thread=thread, user=user).update(last_read_at=now or timezone.now())


def message_report(*, message: Message, actor: Any, reason: str) -> MessageReport:
    """Anyone in the thread flags a message for the coordinators (once per person and message)."""
    if side_of(actor, message.thread.mentorship) is None:
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Reason: say what is wrong with this message.")})
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(message=message, reporter=actor, reason=reason[:500])
    except IntegrityError:
        raise ValidationError(
            _("You already reported this message. A coordinator will look at it.")
        ) from None
    audit(actor=actor, action="messaging.message_report", target=message, reason=reason[:500])
    return report


def thread_lock(
    *, thread: Thread, actor: Any, reason: str, lock: bool = True, now: datetime | None = None
) -> None:
    """A coordinator makes a thread read-only (or opens it again); audited with the reason."""
    if not actor.has_perm("messaging.moderate"):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Reason: say why, for the record.")})
    now = now or timezone.now()
    with transaction.atomic():
        if lock:
            changed = Thread.objects.filter(pk=thread.pk, is_locked=False).update(
                is_locked=True, locked_at=now, locked_by=actor, lock_reason=reason[:500]
            )
        else:
            changed = Thread.objects.filter(pk=thread.pk, is_locked=True).update(is_locked=False)
        if not changed:
            raise ValidationError(
                _("This conversation is already locked.") if lock else _("This conversation is not locked.")
            )
        audit(
            actor=actor,
            action="messaging.thread_lock" if lock else "messaging.thread_unlock",
            target=thread,
            reason=reason[:500],
        )
    thread.refresh_from_db(fields=["is_locked", "locked_at", "locked_by", "lock_reason"])


# --- Meetings ----------------------------------------------------------------------------------------------


def _camp(side: str) -> str:
    return "mentor" if side == Side.MENTOR else "learner"


def meeting_propose(
    *,
    mentorship: Mentorship,
    actor: Any,
    kind: str,
    starts_at: datetime,
    duration_minutes: int = 30,
    where: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Either side proposes a time; a minor's verified guardians are invited automatically."""
    now = now or timezone.now()
    side = _require_side(actor, mentorship)
    if starts_at <= now:
        raise ValidationError({"starts_at": _("Starts: choose a time in the future.")})
    guardians = verified_guardian_ids(mentorship.learner_id) if mentorship.learner.is_minor else set()
    with transaction.atomic():
        Mentorship.objects.select_for_update().filter(pk=mentorship.pk).first()
        meeting = Meeting(
            mentorship=mentorship,
            kind=kind,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            where=(where or "").strip()[:200],
            proposed_by=actor,
            proposed_side=side,
        )
        meeting.full_clean()
        meeting.check_safeguards(guardians)
        meeting.save()
        meeting.guardians.set(guardians)
    return meeting


def meeting_respond(*, meeting: Meeting, actor: Any, accept: bool, now: datetime | None = None) -> Meeting:
    """The other side accepts or declines a proposed meeting (never the side that proposed it)."""
    now = now or timezone.now()
    side = _require_side(actor, meeting.mentorship)
    if _camp(side) == _camp(meeting.proposed_side):
        raise PermissionDenied(_("The other side answers a meeting you proposed."))
    status = Meeting.Status.ACCEPTED if accept else Meeting.Status.DECLINED
    with transaction.atomic():
        if accept:
            meeting.check_safeguards()
        changed = Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.PROPOSED).update(
            status=status, responded_by=actor, responded_at=now
        )
        if not changed:
            raise ValidationError(_("This meeting was already answered."), code="answered")
        if accept:
            mentorship_record_activity(mentorship_id=meeting.mentorship_id, when=now)
    meeting.refresh_from_db(fields=["status", "responded_by", "responded_at"])
    return meeting


def meeting_log(
    *, meeting: Meeting, actor: Any, discussed: str, next_step: str, now: datetime | None = None
) -> Meeting:
    """After an accepted meeting, a short record of what was discussed and the next step."""
    now = now or timezone.now()
    _require_side(actor, meeting.mentorship)
    discussed = (discussed or "").strip()
    if not discussed:
        raise ValidationError({"discussed": _("What you talked about: write a sentence or two.")})
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != Meeting.Status.ACCEPTED:
            raise ValidationError(_("Only an accepted meeting can be logged."), code="not_accepted")
        if locked.starts_at > now:
            raise ValidationError(_("You can write the log once the meeting has started."), code="too_early")
        locked.discussed = discussed[:2000]
        locked.next_step = (next_step or "").strip()[:2000]
        locked.logged_by = actor
        locked.logged_at = now
        locked.save(update_fields=["discussed", "next_step", "logged_by", "logged_at"])
        mentorship_record_activity(mentorship_id=meeting.mentorship_id, when=max(now, locked.starts_at))
    return locked


# --- Digest ------------------------------------------------------------------------------------------------


def _unread_for(user: Any, since: datetime, now: datetime) -> list[Message]:
    from . import selectors

    unread = ThreadParticipant.objects.filter(thread=OuterRef("thread"), user=user).filter(
        Q(last_read_at__isnull=True) | Q(last_read_at__lt=OuterRef("created_at"))
    )
    return list(
        Message.objects.filter(Exists(unread), created_at__gt=since, created_at__lte=now)
        .filter(thread__in=selectors.visible_threads(user))
        .exclude(author=user)
        .select_related("thread", "author")
        .order_by("created_at", "pk")
    )


def digest_send_one(*, user_id: int, now: datetime | None = None) -> bool:
    """One e-mail to one person about the messages they have not read since their last digest.

    The sent-log row is written in the same transaction that found the messages, and the mail goes out only
    after that commits: a retry (or a second worker) finds nothing new and never mails twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        if not user.is_active:
            return False
        since = MessageDigest.objects.filter(user=user).aggregate(m=Max("up_to"))["m"] or EPOCH
        messages = _unread_for(user, since, now)
        if not messages:
            return False
        up_to = max(m.created_at for m in messages)
        MessageDigest.objects.create(user=user, up_to=up_to, sent_at=now, message_count=len(messages))
        threads: dict[int, dict[str, Any]] = {}
        for m in messages:
            entry = threads.setdefault(
                m.thread_id,
                {
                    "subject": m.thread.subject,
                    "count": 0,
                    "authors": [],
                    "url": reverse("messaging:thread", args=[m.thread_id]),
                },
            )
            entry["count"] += 1
            # Names only: a minor's address never appears in an adult's mail (or anyone's).
            name = m.author.full_name if m.author else _("Someone")
            if name not in entry["authors"]:
                entry["authors"].append(name)
        context = {"name": user.get_short_name(), "total": len(messages), "threads": list(threads.values())}
        address = user.email
        transaction.on_commit(
            lambda: send_templated_mail(
                to=[address],
                subject=lambda: _("New messages in Mentorfold"),
                template="messaging/email/digest.txt",
                context=context,
            )
        )
    return True


def digest_send_all(*, now: datetime | None = None) -> int:
    """A digest for everyone with unread messages; returns how many were queued to send."""
    now = now or timezone.now()
    user_ids = (
        ThreadParticipant.objects.filter(thread__last_message_at__isnull=False)
        .filter(Q(last_read_at__isnull=True) | Q(last_read_at__lt=F("thread__last_message_at")))
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    return sum(digest_send_one(user_id=uid, now=now) for uid in user_ids)
