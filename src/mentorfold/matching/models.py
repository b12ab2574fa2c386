"""Mentorships (and, in the matching issue, preferences and match runs).

Other apps rely on ``Mentorship`` (mentor, learner, term, status). Add fields freely; don't rename these.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.programs.models import Term


class Mentorship(models.Model):
    """A learner and a mentor working together during a term."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        ENDED_EARLY = "ended_early", _("Ended early")
        DECLINED = "declined", _("Declined by the mentor")

    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="mentorships")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="mentorships")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="mentorships")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    end_reason = models.TextField(_("why it ended"), blank=True)
    goals = models.TextField(_("goals agreed at the first meeting"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["term", "learner", "mentor"], name="mentorship_once_per_term"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} ↔ {self.learner} ({self.term})"

    @property
    def is_current(self) -> bool:
        return self.status in {self.Status.ACTIVE, self.Status.PAUSED}
