"""Grant cycles: applications, conflicts of interest, reviewer assignment, rubric reviews and frozen decisions.

Amounts are whole US dollars. Rubric, eligibility questions and floors are small JSON lists validated in
``clean()`` so a coordinator can configure a cycle without a migration.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile
from mentorfold.core.uploads import private_storage, random_storage_name

DEFAULT_RUBRIC: list[dict[str, Any]] = [
    {
        "key": "story",
        "name": "Personal story and resilience",
        "weight": 0.3,
        "anchors": {
            "1": "Little about the applicant's path",
            "2": "Some detail, few examples",
            "3": "Clear story with examples",
            "4": "Compelling story, clear growth",
            "5": "Exceptional story of resilience and growth",
        },
    },
    {
        "key": "community",
        "name": "Community involvement",
        "weight": 0.3,
        "anchors": {
            "1": "None described",
            "2": "Occasional",
            "3": "Regular involvement",
            "4": "Leadership role",
            "5": "Sustained leadership with impact",
        },
    },
    {
        "key": "need",
        "name": "Financial need",
        "weight": 0.2,
        "anchors": {
            "1": "No clear need",
            "2": "Some need",
            "3": "Moderate need",
            "4": "High need",
            "5": "Very high need, few other sources",
        },
    },
    {
        "key": "plan",
        "name": "Budget plan",
        "weight": 0.2,
        "anchors": {
            "1": "Unclear use of funds",
            "2": "Vague",
            "3": "Reasonable",
            "4": "Clear and specific",
            "5": "Clear, specific and well justified",
        },
    },
]

DEFAULT_ELIGIBILITY: list[dict[str, Any]] = [
    {"key": "good_standing", "text": "Are you in good academic standing?", "required": True},
    {
        "key": "not_funded_before",
        "text": "Is this your first Community Foundation grant this year?",
        "required": True,
    },
]


def _attachment_name(instance: object, filename: str) -> str:
    return random_storage_name("grants", filename)


def _application_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


class GrantCycle(models.Model):
    """One annual round of Community Foundation grants."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        REVIEW = "review", _("In review")
        DECIDED = "decided", _("Decided")

    name = models.CharField(_("name"), max_length=200)
    state = models.CharField(_("state"), max_length=2, default="WA", help_text=_("Two-letter code, e.g. WA"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    total_budget = models.PositiveIntegerField(_("total budget (dollars)"))
    award_min = models.PositiveIntegerField(_("smallest award (dollars)"), default=500)
    award_max = models.PositiveIntegerField(_("largest award (dollars)"), default=5000)
    award_step = models.PositiveIntegerField(
        _("awards are multiples of (dollars)"), default=50, validators=[MinValueValidator(1)]
    )
    partial_awards = models.BooleanField(_("partial awards allowed"), default=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("deadline"))
    eligibility_questions = models.JSONField(_("eligibility questions"), default=list, blank=True)
    statement_word_limit = models.PositiveIntegerField(_("personal statement word limit"), default=500)
    need_word_limit = models.PositiveIntegerField(_("financial need word limit"), default=250)
    community_word_limit = models.PositiveIntegerField(_("community involvement word limit"), default=250)
    required_attachments = models.JSONField(
        _("required attachments"), default=list, blank=True, help_text=_('e.g. ["Enrolment letter"]')
    )
    rubric = models.JSONField(_("rubric"), default=list)
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("reviewers per application"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    reviewer_max_load = models.PositiveSmallIntegerField(
        _("most applications per reviewer"), default=35, validators=[MinValueValidator(1)]
    )
    reviewer_min_load = models.PositiveSmallIntegerField(_("fewest applications per reviewer"), default=0)
    blind_review = models.BooleanField(_("blind review (hide name and school from reviewers)"), default=False)
    floors = models.JSONField(
        _("award floors"),
        default=list,
        blank=True,
        help_text=_('e.g. [{"name": "First-year students", "attribute": "is_first_year", "min_count": 2}]'),
    )
    use_lottery = models.BooleanField(_("draw lots among applications too close to call"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Hash of everything conflict detection read at its last full run (and of the stored conflicts after
    # it): equal on the next run means nothing changed, so detection is skipped (grants.conflicts).
    conflicts_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="grant_cycle_dates"
            ),
            models.CheckConstraint(
                condition=models.Q(award_max__gte=models.F("award_min")), name="grant_cycle_awards"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    FLOOR_ATTRIBUTES = ("is_first_year", "is_rural")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("Deadline: it must be after the opening date. Pick a later date.")
        if self.award_min is not None and self.award_max is not None and self.award_max < self.award_min:
            errors["award_max"] = _("Largest award: it must be at least the smallest award.")
        try:
            validate_rubric(self.rubric)
        except ValidationError as exc:
            errors["rubric"] = exc.messages[0]
        for q in self.eligibility_questions or []:
            if not isinstance(q, dict) or not q.get("key") or not q.get("text"):
                errors["eligibility_questions"] = _(
                    'Eligibility questions: each needs a "key" and a "text", e.g. {"key": "standing", "text": "..."}.'
                )
        if not isinstance(self.required_attachments, list) or not all(
            isinstance(a, str) and a.strip() for a in self.required_attachments or []
        ):
            errors["required_attachments"] = _(
                'Required attachments: give a list of names, e.g. ["Enrolment letter"].'
            )
        for floor in self.floors or []:
            if (
                not isinstance(floor, dict)
                or floor.get("attribute") not in self.FLOOR_ATTRIBUTES
                or not isinstance(floor.get("min_count"), int)
                or floor["min_count"] < 0
            ):
                errors["floors"] = _(
                    'Floors: each needs "name", "attribute" (is_first_year or is_rural) and a whole "min_count".'
                )
        if (
            self.reviewer_min_load is not None
            and self.reviewer_max_load is not None
            and self.reviewer_min_load > self.reviewer_max_load
        ):
            errors["reviewer_min_load"] = _("Fewest applications per reviewer: must not exceed the most.")
        if errors:
            raise ValidationError(errors)

    def is_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now <= self.closes_at

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.DECIDED


def validate_rubric(rubric: Any) -> None:
    """A rubric is a non-empty list of criteria with a key, a name, a positive weight and anchors 1..5."""
    if not isinstance(rubric, list) or not rubric:
        raise ValidationError(_("Rubric: add at least one criterion."))
    keys = set()
    for c in rubric:
        if not isinstance(c, dict) or not c.get("key") or not c.get("name"):
            raise ValidationError(_('Rubric: each criterion needs a "key" and a "name".'))
        if c["key"] in keys:
            raise ValidationError(_("Rubric: the key %(key)s is used twice.") % {"key": c["key"]})
        keys.add(c["key"])
        weight = c.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
            raise ValidationError(_("Rubric: criterion %(key)s needs a weight above 0.") % {"key": c["key"]})
        anchors = c.get("anchors") or {}
        if not isinstance(anchors, dict) or sorted(anchors) != ["1", "2", "3", "4", "5"]:
            raise ValidationError(
                _("Rubric: criterion %(key)s needs anchors described for 1, 2, 3, 4 and 5.")
                % {"key": c["key"]}
            )


class ReviewerDeclaration(models.Model):
    """What a reviewer tells us once per cycle: people they know and (optionally) their mailing address."""

    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="declarations")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grant_declarations"
    )
    known_people = models.TextField(
        _("people you know who may apply"),
        blank=True,
        max_length=4000,
        help_text=_("One name or e-mail per line: relatives, friends, students you teach or supervise."),
    )
    mailing_address = models.CharField(_("your mailing address (optional)"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "reviewer"], name="grant_declaration_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer} in {self.cycle}"


class Application(models.Model):
    """One medical student's application in one cycle."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Need(models.IntegerChoices):
        SOME = 1, _("Some need")
        HIGH = 2, _("High need")
        VERY_HIGH = 3, _("Very high need")

    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="applications")
    applicant = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="grant_applications")
    code = models.CharField(max_length=8, unique=True, default=_application_code, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    eligibility_answers = models.JSONField(default=dict, blank=True)
    personal_statement = models.TextField(_("personal statement"), blank=True)
    financial_need = models.TextField(_("financial need"), blank=True)
    need_level = models.PositiveSmallIntegerField(
        _("how much financial need"), choices=Need.choices, default=Need.HIGH
    )
    community_involvement = models.TextField(_("community involvement"), blank=True)
    amount_requested = models.PositiveIntegerField(_("amount requested (dollars)"), null=True, blank=True)
    budget_purpose = models.TextField(_("what the money is for"), blank=True, max_length=2000)
    topics = models.CharField(
        _("topics"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated, e.g. rural medicine, refugee health"),
    )
    is_first_year = models.BooleanField(_("I am in my first year of medical school"), default=False)
    is_rural = models.BooleanField(_("I grew up in a rural area"), default=False)
    mailing_address = models.CharField(_("mailing address (optional)"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    award_amount = models.PositiveIntegerField(null=True, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["cycle", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "applicant"], name="grant_application_unique")
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self) -> str:
        return f"{self.code}"

    @property
    def family_name(self) -> str:
        return family_name(self.applicant.user.full_name)


def family_name(full_name: str) -> str:
    parts = full_name.strip().lower().split()
    return parts[-1] if parts else ""


class GrantAttachment(models.Model):
    """A PDF uploaded with an application (stored privately under a random name)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    label = models.CharField(_("what this document is"), max_length=100)
    file = models.FileField(storage=private_storage, upload_to=_attachment_name)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        constraints = [
            # The same file twice (a double click, two tabs) is one attachment.
            models.UniqueConstraint(fields=["application", "sha256"], name="grant_attachment_unique_file")
        ]

    def __str__(self) -> str:
        return self.original_name


class Conflict(models.Model):
    """A reviewer must not review an application: declared, detected from data, or added by a coordinator."""

    class Source(models.TextChoices):
        DECLARED = "declared", _("Declared by the reviewer")
        DISCOVERED = "discovered", _("Found by the reviewer while reviewing")
        ORGANIZATION = "organization", _("Same school or organisation")
        MENTORSHIP = "mentorship", _("Mentor of the applicant")
        SHADOWING = "shadowing", _("Shadowing sessions together")
        FAMILY_ADDRESS = "family_address", _("Same family name and address")
        COORDINATOR = "coordinator", _("Added by a coordinator")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Conflict")
        FLAGGED = "flagged", _("Flagged for coordinator review")
        DISMISSED = "dismissed", _("Dismissed by a coordinator")

    # Flagged conflicts also block assignment until a coordinator dismisses them: safer to lose one pair.
    BLOCKING = (Status.ACTIVE, Status.FLAGGED)

    # No single-column indexes on cycle and reviewer: (cycle, status) and the unique (reviewer, application,
    # source) lead with them. A first detection writes 100,000 rows; each index less saves ~1/4 of that time.
    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="conflicts", db_index=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grant_conflicts", db_index=False
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=20, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application", "reviewer"]
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "application", "source"], name="grant_conflict_unique"
            )
        ]
        indexes = [
            models.Index(fields=["cycle", "status"]),
            # The conflicts page lists a cycle's conflicts in this order, a page at a time, without sorting.
            models.Index(fields=["cycle", "application", "reviewer"], name="grant_conflict_page"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} × {self.application}: {self.get_source_display()}"

    @property
    def is_blocking(self) -> bool:
        return self.status in self.BLOCKING


class AssignmentRun(models.Model):
    """One optimal assignment: the proof of optimality and per-application explanations."""

    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="assignment_runs")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    n_applications = models.PositiveIntegerField(default=0)
    n_reviewers = models.PositiveIntegerField(default=0)
    n_pairs = models.PositiveIntegerField(default=0)
    n_conflicts = models.PositiveIntegerField(default=0)
    objective = models.FloatField(default=0.0)
    bound = models.FloatField(default=0.0)
    gap = models.FloatField(default=0.0)
    # The gap re-computed by Assignment.verify() from the inputs and the dual certificate before storing.
    verified_gap = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(default=0.0)
    seconds = models.FloatField(default=0.0)
    # Seconds the write step held the cycle lock (the computation before it holds none).
    write_seconds = models.FloatField(null=True, blank=True)
    # Groups of reviewers sharing no application: calibration can only compare reviewers within a group.
    n_components = models.PositiveIntegerField(default=1)
    # {application_id: [[reviewer_id, score, reason, detail], ...]} best alternatives not assigned.
    explanations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.cycle} assignment {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_optimal(self) -> bool:
        gap = self.gap if self.verified_gap is None else max(self.gap, self.verified_gap)
        return gap <= self.tolerance


class Assignment(models.Model):
    """Reviewer ``reviewer`` reviews ``application``."""

    class Source(models.TextChoices):
        OPTIMAL = "optimal", _("Optimal assignment")
        MANUAL = "manual", _("Manual swap")

    # Covered by the (cycle, reviewer) index and the unique (application, reviewer): no index of their own.
    cycle = models.ForeignKey(
        GrantCycle, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grant_assignments"
    )
    affinity = models.FloatField(default=0.0)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.OPTIMAL)
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="grant_assignment_unique")
        ]
        indexes = [models.Index(fields=["cycle", "reviewer"])]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.application}"


class Review(models.Model):
    """A reviewer's rubric scores (1..5 per criterion) and comments for one application."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="reviews")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grant_reviews"
    )
    scores = models.JSONField(default=dict)
    comments = models.JSONField(default=dict, blank=True)
    total = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="grant_review_unique")
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.application}"


class DecisionRecord(models.Model):
    """Calibration, funding line, lottery and budget for a cycle; frozen by the committee, replayable."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FROZEN = "frozen", _("Frozen")

    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="decisions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    seed = models.BigIntegerField()
    engine_version = models.CharField(max_length=100)
    inputs = models.JSONField()
    inputs_sha256 = models.CharField(max_length=64)
    outputs = models.JSONField(default=dict)
    outputs_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle"], condition=models.Q(status="frozen"), name="grant_one_frozen_decision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle} decision ({self.get_status_display()}, seed {self.seed})"

    @property
    def has_budget(self) -> bool:
        return "amounts" in self.outputs


class LetterTemplate(models.Model):
    """Editable award / decline letter. Only ``{placeholder}`` substitutions from a short list, no template code."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award letter")
        DECLINE = "decline", _("Decline letter")

    PLACEHOLDERS = ("name", "cycle", "amount", "decision", "code", "reason", "seed", "date")

    cycle = models.ForeignKey(GrantCycle, on_delete=models.CASCADE, related_name="letter_templates")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("letter text"), max_length=10000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "kind"], name="grant_letter_template_unique")]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        from .letters import BODY_LABEL, SUBJECT_LABEL, placeholder_error

        errors = {}
        for field, label in (("subject", SUBJECT_LABEL), ("body", BODY_LABEL)):
            message = placeholder_error(str(label), getattr(self, field) or "")
            if message:
                errors[field] = message
        if errors:
            raise ValidationError(errors)


class Letter(models.Model):
    """The letter sent to one applicant (text kept so the PDF can be re-made exactly)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="letter")
    kind = models.CharField(max_length=10, choices=LetterTemplate.Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} letter for {self.application}"


class LetterMail(models.Model):
    """Sent-log: the letter e-mail for one application went out (or is going out as this row commits).

    Unique per application and kind, so a retried or doubled letters task never mails anyone twice.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="letter_mails")
    kind = models.CharField(max_length=10, choices=LetterTemplate.Kind.choices)
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="mails")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="grant_letter_mail_unique"),
            models.UniqueConstraint(fields=["application"], name="grant_letter_mail_one_per_application"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} mailed for {self.application}"
