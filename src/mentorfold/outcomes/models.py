"""Outcome surveys (who is asked what, when; their answers) and learners' path into medicine.

Individual answers belong to the person who gave them: only they see them. Coordinators see aggregates, with
every group under ten people suppressed (see ``selectors``).
"""

from __future__ import annotations

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile
from mentorfold.programs.models import Term

MAX_REMINDERS = 2


def new_survey_token() -> str:
    """256 random bits, URL-safe: the only key to one person's survey."""
    return secrets.token_urlsafe(32)


class InstrumentVersion(models.Model):
    """A published questionnaire version with its citation; licensed wording is pasted by the society."""

    key = models.SlugField(_("instrument"), max_length=40)
    version = models.CharField(_("version"), max_length=60)
    name = models.CharField(_("name"), max_length=150)
    citation = models.TextField(_("citation"))
    licence_note = models.TextField(_("licence"), blank=True)
    is_licensed = models.BooleanField(_("wording is licensed"), default=False)
    licensed_wording = models.JSONField(
        _("wording pasted by the society"),
        default=dict,
        blank=True,
        help_text=_("Item key to the exact licensed question text, pasted by a coordinator."),
    )
    wording_pasted_at = models.DateTimeField(null=True, blank=True)
    wording_pasted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["key", "version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="instrument_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class ReferenceFigure(models.Model):
    """A published comparison figure (e.g. national physician burnout) kept as data with its source."""

    key = models.SlugField(max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=200)
    value = models.FloatField(_("share"), help_text=_("Between 0 and 1."))
    year = models.PositiveSmallIntegerField(_("year"))
    citation = models.TextField(_("citation"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0, value__lte=1), name="reference_share_0_1")
        ]

    def __str__(self) -> str:
        return self.label


class SurveySchedule(models.Model):
    """One survey of one term: who is asked (learners or mentors), when, and with which instruments."""

    class Kind(models.TextChoices):
        LEARNER_PRE = "learner_pre", _("Learners: start of term")
        LEARNER_POST = "learner_post", _("Learners: end of term")
        LEARNER_6M = "learner_6m", _("Learners: 6 months later")
        LEARNER_12M = "learner_12m", _("Learners: 12 months later")
        MENTOR_BASELINE = "mentor_baseline", _("Mentors: start of term")
        MENTOR_END = "mentor_end", _("Mentors: end of term")

    LEARNER_KINDS = (Kind.LEARNER_PRE, Kind.LEARNER_POST, Kind.LEARNER_6M, Kind.LEARNER_12M)
    MENTOR_KINDS = (Kind.MENTOR_BASELINE, Kind.MENTOR_END)

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="survey_schedules")
    kind = models.CharField(_("survey"), max_length=20, choices=Kind.choices)
    opens_on = models.DateField(_("opens on"))
    due_on = models.DateField(_("answer by"))
    instruments = models.JSONField(_("questionnaires"), default=list)

    class Meta:
        ordering = ["term", "opens_on"]
        constraints = [
            models.UniqueConstraint(fields=["term", "kind"], name="survey_schedule_once_per_term"),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("opens_on")), name="survey_due_after_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} — {self.get_kind_display()}"

    @property
    def is_for_mentors(self) -> bool:
        return self.kind in self.MENTOR_KINDS


class SurveyInvitation(models.Model):
    """One person's personal link to one survey."""

    schedule = models.ForeignKey(SurveySchedule, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    token = models.CharField(max_length=64, unique=True, default=new_survey_token, editable=False)
    due_on = models.DateField(_("answer by"))
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schedule", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "user"], name="survey_invitation_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(reminders_sent__lte=MAX_REMINDERS), name="survey_reminders_capped"
            ),
        ]
        indexes = [models.Index(fields=["schedule", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.schedule} for {self.user_id}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_complete and today > self.due_on


class SurveyResponse(models.Model):
    """The answers on one invitation: item key to value, saved as the person goes, locked once sent."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    answers = models.JSONField(default=dict, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    # The scores the dashboards count, copied from ``scores`` when the survey is sent, so the database can
    # count and pair them without reading every person's JSON (None: not asked or not answered).
    burnout = models.BooleanField(null=True, blank=True)
    belonging = models.FloatField(null=True, blank=True)
    intent = models.BooleanField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    SCORE_COLUMNS = ("burnout", "belonging", "intent")

    def __str__(self) -> str:
        return f"answers to {self.invitation_id}"

    @classmethod
    def score_columns(cls, scores: dict[str, object]) -> dict[str, object]:
        """The dashboard columns for a ``scores`` mapping."""
        return {key: scores.get(key) for key in cls.SCORE_COLUMNS}


class SurveyMessage(models.Model):
    """Sent-log: which e-mail went out for which invitation, so a retried task never mails twice."""

    class Kind(models.TextChoices):
        INVITE = "invite", _("Invitation")
        REMINDER_1 = "reminder_1", _("First reminder")
        REMINDER_2 = "reminder_2", _("Second reminder")

    invitation = models.ForeignKey(SurveyInvitation, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invitation", "kind"], name="survey_message_once")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.invitation_id}"


class PipelineStage(models.Model):
    """A step a learner reached on the way into medicine, with when and who told us."""

    class Stage(models.TextChoices):
        HIGH_SCHOOL = "high_school", _("In high school")
        COLLEGE = "college", _("In college")
        APPLIED = "applied", _("Applied to medical school")
        MATRICULATED = "matriculated", _("Started medical school")
        RESIDENCY = "residency", _("In residency")
        PRACTISING = "practising", _("Practising doctor")
        OTHER = "other", _("Chose another path")

    class Source(models.TextChoices):
        LEARNER = "learner", _("The learner")
        IMPORT = "import", _("Coordinator import")

    ORDER = [s.value for s in Stage]

    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="pipeline_stages")
    stage = models.CharField(_("where you are now"), max_length=20, choices=Stage.choices)
    reached_on = models.DateField(_("since when"))
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.LEARNER)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["learner", "reached_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "stage", "reached_on"], name="pipeline_stage_once")
        ]
        indexes = [models.Index(fields=["learner", "reached_on"])]

    def __str__(self) -> str:
        return f"{self.learner_id}: {self.stage} since {self.reached_on}"


def new_statement_code() -> str:
    """Random, unguessable and short enough to type: 16 characters from an unambiguous alphabet."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class RecognitionStatement(models.Model):
    """A mentor's yearly statement of what they gave (verified hours, learners), checkable by its code."""

    mentor = models.ForeignKey(
        "accounts.MentorProfile", on_delete=models.CASCADE, related_name="recognition_statements"
    )
    year = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=32, unique=True, default=new_statement_code, editable=False)
    issued_at = models.DateTimeField(default=timezone.now)
    totals = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mentor", "year"], name="recognition_once_per_year")]

    def __str__(self) -> str:
        return f"{self.mentor_id} {self.year}"


class PipelineCheckin(models.Model):
    """One learner's yearly "where are you now" e-mail: its personal link and its sent-log (once a year)."""

    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="pipeline_checkins")
    year = models.PositiveSmallIntegerField()
    token = models.CharField(max_length=64, unique=True, default=new_survey_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "year"], name="pipeline_checkin_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.year}"


class PipelineImport(models.Model):
    """A coordinator's uploaded pipeline file: every row checked first, then written all or nothing."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Checked, waiting for you to import")
        REFUSED = "refused", _("Has errors, nothing imported")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed, nothing imported")

    original_name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    task_run = models.ForeignKey("core.TaskRun", on_delete=models.SET_NULL, null=True, blank=True)
    written = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
