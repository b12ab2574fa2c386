"""Conversations and meetings inside a mentorship, with the youth-protection rule kept next to the data.

When the learner is under 18 every thread and meeting includes the learner's verified guardians; the services
call ``Thread.check_safeguards()`` / ``Meeting.check_safeguards()`` before anything is written or posted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import GuardianLink
from mentorfold.core.uploads import private_storage, random_storage_name
from mentorfold.matching.models import Mentorship

# Before any message: unread counts and digests start here for someone who never read or got a digest.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def verified_guardian_ids(learner_id: int) -> set[int]:
    """Users confirmed by a coordinator as this learner's guardians (only VERIFIED links count)."""
    return set(
        GuardianLink.objects.filter(
            learner_id=learner_id, status=GuardianLink.Status.VERIFIED, guardian__isnull=False
        ).values_list("guardian_id", flat=True)
    )


def _check_minor_guardians(mentorship: Mentorship, included: set[int]) -> None:
    if not mentorship.learner.is_minor:
        return
    guardians = verified_guardian_ids(mentorship.learner_id)
    if not guardians:
        raise ValidationError(
            _(
                "Messages and meetings open once the society has confirmed a guardian of this learner, "
                "because the learner is under 18. Ask a coordinator to confirm the guardian."
            ),
            code="no_guardian",
        )
    if not guardians <= included:
        raise ValidationError(
            _("Every confirmed guardian of a learner under 18 must be included."), code="guardian_missing"
        )


class Side(models.TextChoices):
    MENTOR = "mentor", _("Mentor")
    LEARNER = "learner", _("Learner")
    GUARDIAN = "guardian", _("Guardian")


class Thread(models.Model):
    """A conversation inside one mentorship."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="threads")
    subject = models.CharField(_("subject"), max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    is_locked = models.BooleanField(_("locked"), default=False)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lock_reason = models.CharField(_("why it was locked"), max_length=500, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_locked=False) | Q(locked_at__isnull=False), name="thread_locked_has_time"
            )
        ]
        # The messages page reads the newest 20 in this order: no sort of every thread before the LIMIT.
        indexes = [models.Index(fields=["-last_message_at", "-id"], name="thread_recent_idx")]

    def __str__(self) -> str:
        return self.subject

    def check_safeguards(self) -> None:
        """Refuse a minor's thread that does not include every verified guardian."""
        included = set(self.participants.values_list("user_id", flat=True))
        _check_minor_guardians(self.mentorship, included)


class ThreadParticipant(models.Model):
    """Someone in a thread, and how far they have read (for unread counts)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["side", "pk"]
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_participant_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.thread_id}"


def _attachment_name(instance: object, filename: str) -> str:
    return random_storage_name("messages", filename)


class Message(models.Model):
    """One message: the text as written and its sanitised HTML, and at most one checked attachment."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"))
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField()
    attachment = models.FileField(
        storage=private_storage, upload_to=_attachment_name, blank=True, max_length=200
    )
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at"], name="message_thread_time_idx")]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"


class MessageReport(models.Model):
    """Someone in a thread flagged a message for the coordinators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("what is wrong"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="message_report_once")]

    def __str__(self) -> str:
        return f"Report on message {self.message_id}"


class MessageDigest(models.Model):
    """Sent-log of the e-mail digest: one row per mail, covering messages up to ``up_to``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    up_to = models.DateTimeField()
    sent_at = models.DateTimeField()
    message_count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "up_to"], name="message_digest_once")]

    def __str__(self) -> str:
        return f"Digest to user {self.user_id} up to {self.up_to:%Y-%m-%d %H:%M}"


class Meeting(models.Model):
    """A meeting one side proposes and the other accepts or declines; afterwards a short log."""

    class Kind(models.TextChoices):
        CLINIC = "clinic", _("At the clinic")
        VIDEO = "video", _("Video call")
        PHONE = "phone", _("Phone call")
        IN_PERSON = "in_person", _("In person")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind of meeting"), max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("minutes"), default=30, validators=[MinValueValidator(10), MaxValueValidator(240)]
    )
    where = models.CharField(_("where or how to join"), max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_side = models.CharField(max_length=10, choices=Side.choices)
    proposed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    guardians = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    discussed = models.TextField(_("what you talked about"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    logged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(logged_at__isnull=True) | Q(status="accepted"),
                name="meeting_log_only_if_accepted",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=10, duration_minutes__lte=240),
                name="meeting_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.starts_at:%Y-%m-%d %H:%M}"

    def check_safeguards(self, guardian_ids: set[int] | None = None) -> None:
        """Refuse a minor's meeting that does not include every verified guardian."""
        included = (
            guardian_ids if guardian_ids is not None else set(self.guardians.values_list("pk", flat=True))
        )
        _check_minor_guardians(self.mentorship, included)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)
