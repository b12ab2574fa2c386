"""Shadowing: slots mentors publish, bookings learners make, verified hours, patient counts, certificates.

Other apps rely on these names: Slot, Booking, PatientFeedback, HoursCertificate, CalendarFeedToken.
No patient information is ever stored here: only counts of patients who agreed or declined.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.programs.models import Program, Site


def new_certificate_code() -> str:
    """Random, unguessable and short enough to type: 16 characters from an unambiguous alphabet."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class Slot(models.Model):
    """A time a mentor can host learners at a clinic site."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")

    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="slots")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="slots", verbose_name=_("site"))
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="slots", verbose_name=_("program")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(
        _("how many learners"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    notes = models.TextField(
        _("notes for learners"),
        blank=True,
        max_length=1000,
        help_text=_("For example: clinic starts 8:00, wear closed-toe shoes."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    series = models.UUIDField(_("repeating series"), null=True, blank=True, db_index=True)
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["mentor", "starts_at"]), models.Index(fields=["starts_at", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="slot_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} at {self.site}, {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def seats(self) -> int:
        """Learners this slot can take: its own capacity, never more than the site allows at once."""
        return min(self.capacity, self.site.max_learners_at_once)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Booking(models.Model):
    """A learner's place in a slot, then what happened on the day and the hours the mentor verified."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Did not come")

    ACTIVE = (Status.BOOKED, Status.COMPLETED)

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="bookings")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="bookings")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, max_length=1000)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    is_late_cancellation = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    verified_minutes = models.PositiveIntegerField(
        _("verified minutes"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(_("reason for the change"), blank=True, max_length=1000)
    # Counts only: never a name, a date of birth, a record number or a word about a patient.
    patients_consented = models.PositiveSmallIntegerField(
        _("patients who agreed to a learner being present"), default=0, validators=[MaxValueValidator(200)]
    )
    patients_declined = models.PositiveSmallIntegerField(
        _("patients who preferred no learner"), default=0, validators=[MaxValueValidator(200)]
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        indexes = [
            models.Index(fields=["learner", "status"]),
            models.Index(fields=["slot", "status"]),
            # The coordinator's overview lists the newest bookings; ordering by the slot's time instead walked
            # every open slot of the future (hundreds of thousands at the load-test size).
            models.Index(fields=["created_at", "id"], name="shadowing_booking_created"),
            # Late cancellations of the last 90 days on the coordinator's overview, without reading every booking.
            models.Index(
                fields=["cancelled_at"],
                condition=models.Q(is_late_cancellation=True),
                name="shadowing_booking_late_cancel",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "learner"],
                condition=models.Q(status__in=["booked", "completed"]),
                name="booking_once_per_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="booking_checkout_after_checkin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} with {self.slot}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def attended_minutes(self) -> int | None:
        if self.checked_in_at and self.checked_out_at:
            return int((self.checked_out_at - self.checked_in_at).total_seconds() // 60)
        return None


class PatientFeedback(models.Model):
    """An anonymous patient's answers from the QR-code form. No IP address or identifier is kept."""

    class Comfort(models.TextChoices):
        YES = "yes", _("Yes, it was fine")
        UNSURE = "unsure", _("Not sure")
        NO = "no", _("No, I would rather not")

    class Time(models.TextChoices):
        YES = "yes", _("Yes")
        LESS = "less", _("No, I got less time")
        MORE = "more", _("I got more time than usual")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="patient_feedback")
    mentor = models.ForeignKey(
        MentorProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="patient_feedback"
    )
    q1_learner_ok = models.CharField(
        _("Was it OK with you to have a student in the room?"), max_length=10, choices=Comfort.choices
    )
    q2_enough_time = models.CharField(
        _("Did you get as much time with the doctor as you needed?"), max_length=10, choices=Time.choices
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    # A coordinator may hide a comment (e.g. unkind, or it names someone after all); the answers still count.
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.TextField(_("why it was hidden"), blank=True, max_length=1000)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["mentor", "created_at"]), models.Index(fields=["site", "created_at"])]

    def __str__(self) -> str:
        return f"Feedback at {self.site} ({self.created_at:%Y-%m-%d})"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class HoursCertificate(models.Model):
    """A frozen summary of a learner's verified hours with a public verification code."""

    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="hours_certificates")
    code = models.CharField(max_length=32, unique=True, default=new_certificate_code, editable=False)
    issued_at = models.DateTimeField()
    totals = models.JSONField(default=dict)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(_("why it was revoked"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]
        # The coordinator's overview lists the newest certificates without sorting them all.
        indexes = [models.Index(fields=["issued_at"], name="shadowing_certificate_issued")]

    def __str__(self) -> str:
        return f"Certificate {self.code} for {self.learner}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class CalendarFeedToken(models.Model):
    """A secret, revocable address for someone's calendar feed (only the newest live token works)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed for {self.user}"


class BookingMessage(models.Model):
    """What was sent about a booking by a background job (e.g. the day-before reminder): never twice."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Day-before reminder")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="sent_messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="booking_message_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for booking {self.booking_id}"
