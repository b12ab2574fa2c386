"""Mentorships, preferences, mentors' answers, match runs (frozen inputs and results) and in-app notices.

Other apps rely on ``Mentorship`` (mentor, learner, term, status). Add fields freely; don't rename these.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.programs.models import Site, Term


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
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mentorships",
        verbose_name=_("site"),
    )
    match_run = models.ForeignKey(
        "MatchRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="mentorships"
    )
    placed_manually_reason = models.TextField(_("why it was placed by hand"), blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

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


class MatchSettings(models.Model):
    """Per-term matching rules: how the transparent score is weighted and how long a mentor may decline."""

    term = models.OneToOneField(Term, on_delete=models.CASCADE, related_name="match_settings")
    weight_rank = models.FloatField(_("weight: the learner's own ranking"), default=3.0)
    weight_language = models.FloatField(_("weight: a shared language besides English"), default=1.0)
    weight_specialty = models.FloatField(_("weight: specialty the learner is interested in"), default=1.0)
    weight_commute = models.FloatField(_("weight: clinic in the learner's city"), default=0.5)
    weight_availability = models.FloatField(_("weight: schedules overlap"), default=1.0)
    weight_priority = models.FloatField(
        _("weight: first-generation or under-represented learner"), default=1.0
    )
    priority_enabled = models.BooleanField(
        _("give priority to first-generation / under-represented"), default=False
    )
    decline_days = models.PositiveSmallIntegerField(
        _("days a mentor has to decline a match"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
    )

    WEIGHT_FIELDS = (
        "weight_rank",
        "weight_language",
        "weight_specialty",
        "weight_commute",
        "weight_availability",
        "weight_priority",
    )

    def __str__(self) -> str:
        return f"Matching settings for {self.term}"

    def clean(self) -> None:
        super().clean()
        for name in self.WEIGHT_FIELDS:
            value = getattr(self, name)
            if value is None or not 0 <= value <= 100:
                raise ValidationError({name: _("Use a number from 0 to 100.")})

    def weights(self) -> dict[str, float]:
        return {name.removeprefix("weight_"): float(getattr(self, name)) for name in self.WEIGHT_FIELDS}


class Preference(models.Model):
    """A learner's ranking of one mentor in a term (1 = first choice)."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="preferences")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="preferences")
    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="ranked_by")
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term", "learner", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["term", "learner", "mentor"], name="preference_once_per_mentor"),
            models.UniqueConstraint(fields=["term", "learner", "rank"], name="preference_rank_unique"),
        ]
        indexes = [models.Index(fields=["term", "mentor"], name="preference_term_mentor_idx")]

    def __str__(self) -> str:
        return f"{self.learner} ranks {self.mentor} #{self.rank}"


class MentorDecision(models.Model):
    """A mentor's answer about a learner who ranked them: acceptable or not, and optionally a rank."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="mentor_decisions")
    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="match_decisions")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="+")
    acceptable = models.BooleanField(_("acceptable"), default=True)
    rank = models.PositiveSmallIntegerField(
        _("your rank"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "mentor", "learner"], name="mentor_decision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} on {self.learner}: {'yes' if self.acceptable else 'no'}"


class MatchRun(models.Model):
    """One run of the matching engine over frozen inputs, with its result, certificate and timings."""

    class Method(models.TextChoices):
        STABLE = "stable", _("Stable (learners propose)")
        OPTIMAL = "optimal", _("Best total score")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="match_runs")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.STABLE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    seed = models.BigIntegerField(_("seed"), default=0)
    engine_version = models.CharField(max_length=20, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    inputs_sha256 = models.CharField(max_length=64, blank=True)
    result = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    certificate = models.JSONField(default=dict, blank=True)
    load_ms = models.PositiveIntegerField(null=True, blank=True)
    engine_ms = models.PositiveIntegerField(null=True, blank=True)
    write_ms = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    task_run_id = models.UUIDField(null=True, blank=True)
    publish_task_run_id = models.UUIDField(null=True, blank=True)
    mail_task_run_id = models.UUIDField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Match run #{self.pk} ({self.get_method_display()}) for {self.term}"

    @property
    def is_done(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.PUBLISHED, self.Status.FAILED}

    @property
    def total_ms(self) -> int:
        return (self.load_ms or 0) + (self.engine_ms or 0) + (self.write_ms or 0)


class MatchAssignment(models.Model):
    """One learner's outcome in a run, with their frozen choices so the explanation never needs other learners."""

    class Reason(models.TextChoices):
        MATCHED = "matched", _("Matched")
        NO_CHOICES = "no_choices", _("Did not rank any mentor")
        NOT_CLEARED = "not_cleared", _("Not cleared for any ranked mentor's clinic")
        ALL_FULL = "all_full", _("Every ranked mentor was full")
        NOT_ACCEPTED = "not_accepted", _("Ranked mentors did not accept or were full")

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="assignments")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(
        MentorProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=14, choices=Reason.choices, default=Reason.MATCHED)
    # [[mentor id, code], ...] in the learner's order; codes: matched, full, not_accepted, not_eligible, lower.
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "learner"]
        constraints = [models.UniqueConstraint(fields=["run", "learner"], name="assignment_once_per_run")]

    def __str__(self) -> str:
        return f"{self.learner} → {self.mentor or '-'} (run {self.run_id})"


class PublicationMail(models.Model):
    """Sent-log of a publication: one row per person told about a run, so a retried task never mails twice.

    Queued (with the person's notices) right after the mentorships are written; ``sent_at`` is set when a mail
    batch claims the row, before it is sent.
    """

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="publication_mails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "user"], name="publication_mail_once")]

    def __str__(self) -> str:
        return f"Run {self.run_id} told user {self.user_id}"
