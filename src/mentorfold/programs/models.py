"""Programs, terms, clinic sites, enrollment and compliance requirements.

Other apps rely on these names: Site, Program, Term, Enrollment, MentorTermOptIn, Requirement,
RequirementRecord, Document. Add fields freely; do not rename or remove these without updating the users.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Organization
from mentorfold.core.uploads import private_storage, random_storage_name

# A half-day availability grid used by learners, mentors and slots: "mon-am", "mon-pm", ... "sat-pm".
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat"]
HALF_DAYS = [f"{d}-{p}" for d in WEEKDAYS for p in ("am", "pm")]


def _random_upload_name(instance: object, filename: str) -> str:
    return random_storage_name("documents", filename)


class Site(models.Model):
    """A clinic where learners shadow, with its own rules that can be stricter than the program's."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    health_system = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sites",
        limit_choices_to={"kind": Organization.Kind.HEALTH_SYSTEM},
        verbose_name=_("health system"),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(
        _("minimum learner age"), default=16, validators=[MinValueValidator(13), MaxValueValidator(30)]
    )
    max_learners_at_once = models.PositiveSmallIntegerField(
        _("most learners at the same time"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    max_hours_per_day = models.PositiveSmallIntegerField(
        _("most shadowing hours per day"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    dress_code = models.TextField(_("dress code"), blank=True)
    arrival_notes = models.TextField(_("parking and arrival"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    mentors = models.ManyToManyField(
        MentorProfile, blank=True, related_name="sites", verbose_name=_("mentors")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    """A kind of experience the society runs, e.g. 'High-school summer shadowing'."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    description = models.TextField(_("description"))
    eligible_stages = models.JSONField(
        _("eligible learner stages"),
        default=list,
        help_text=_("Stages from: ") + ", ".join(LearnerProfile.Stage.values),
    )
    min_age = models.PositiveSmallIntegerField(
        _("minimum age"), default=16, validators=[MinValueValidator(13), MaxValueValidator(30)]
    )
    max_hours_per_experience = models.PositiveSmallIntegerField(
        _("most hours per experience"), default=40, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    max_bookings_per_week = models.PositiveSmallIntegerField(
        _("most shadowing sessions per week"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
    )
    allows_open_booking = models.BooleanField(
        _("learners may book any eligible mentor (not only their matched mentor)"), default=False
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    is_public = models.BooleanField(_("shown on the public site"), default=True)
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True)
    sites = models.ManyToManyField(
        "Site", blank=True, related_name="programs", verbose_name=_("clinic sites this program uses")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def eligible_stage_labels(self) -> list[str]:
        labels = dict(LearnerProfile.Stage.choices)
        return [str(labels.get(stage, stage)) for stage in self.eligible_stages or []]

    def clean(self) -> None:
        super().clean()
        unknown = set(self.eligible_stages or []) - set(LearnerProfile.Stage.values)
        if unknown:
            raise ValidationError({"eligible_stages": _("Unknown stage(s): %s") % ", ".join(sorted(unknown))})
        if not self.eligible_stages:
            raise ValidationError({"eligible_stages": _("Choose at least one learner stage.")})


class Term(models.Model):
    """One cohort of a program: an application window, then matching, then the active period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        MATCHING = "matching", _("Matching")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. Summer 2027"))
    application_opens = models.DateTimeField(_("applications open"))
    application_closes = models.DateTimeField(_("applications close"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    max_preferences = models.PositiveSmallIntegerField(
        _("most mentors a learner may rank"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    preferences_close = models.DateTimeField(_("rankings close"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application_closes__gt=models.F("application_opens")),
                name="term_application_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="term_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} — {self.name}"


class Enrollment(models.Model):
    """A learner's application to a term and the coordinator's decision."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ACCEPTED = "accepted", _("Accepted")
        WAITLISTED = "waitlisted", _("Waitlisted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="enrollments")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="enrollments")
    statement = models.TextField(_("why you want to take part"), max_length=3000)
    interests = models.CharField(_("interests"), max_length=500, blank=True)
    availability = models.JSONField(_("when you can come"), default=list, blank=True)
    languages = models.CharField(_("languages you speak"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLIED)
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["term", "learner"], name="enrollment_once_per_term")]
        # The coordinator's application list (one status or all, oldest first) and its status counts read these
        # indexes instead of every application.
        indexes = [
            models.Index(fields=["status", "created_at"], name="enrollment_status_idx"),
            models.Index(fields=["created_at"], name="enrollment_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.term}"


class MentorTermOptIn(models.Model):
    """A mentor takes part in a term with a capacity for it."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="mentor_opt_ins")
    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="term_opt_ins")
    capacity = models.PositiveSmallIntegerField(
        _("learners this term"), default=1, validators=[MaxValueValidator(30)]
    )
    availability = models.JSONField(_("clinic half-days"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "mentor"], name="mentor_opt_in_once_per_term")]

    def __str__(self) -> str:
        return f"{self.mentor} in {self.term} ({self.capacity})"


class Document(models.Model):
    """An uploaded file (PDF/JPEG/PNG), stored under a random name outside any public URL."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to=_random_upload_name, storage=private_storage, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Requirement(models.Model):
    """Something a learner or mentor must complete before shadowing, set per program or per site."""

    class Kind(models.TextChoices):
        CONFIDENTIALITY = "confidentiality", _("Confidentiality (HIPAA) agreement")
        IMMUNIZATION = "immunization", _("Immunization record")
        TB_TEST = "tb_test", _("TB test")
        BACKGROUND_CHECK = "background_check", _("Background check")
        ORIENTATION = "orientation", _("Orientation")
        GUARDIAN_CONSENT = "guardian_consent", _("Parent or guardian consent")
        DOCUMENT = "document", _("Other document")

    class AppliesTo(models.TextChoices):
        LEARNER = "learner", _("Learners")
        MENTOR = "mentor", _("Mentors")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    applies_to = models.CharField(_("applies to"), max_length=10, choices=AppliesTo.choices)
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="requirements"
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="requirements"
    )
    text = models.TextField(_("text the person reads and signs"), blank=True)
    version = models.PositiveIntegerField(_("text version"), default=1)
    requires_document = models.BooleanField(_("needs an uploaded document"), default=False)
    valid_for_days = models.PositiveIntegerField(
        _("valid for (days)"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    minors_only = models.BooleanField(_("only for learners under 18"), default=False)
    needs_own_document = models.BooleanField(
        _("needs its own upload"),
        default=False,
        help_text=_(
            "Leave unticked so one approved record (e.g. immunizations) counts for every requirement of the "
            "same kind. Tick it only when this clinic insists on its own copy."
        ),
    )

    # One approved record of these kinds counts for every requirement of the same kind (issue 11 #9).
    SHAREABLE_KINDS = frozenset({Kind.IMMUNIZATION, Kind.TB_TEST, Kind.BACKGROUND_CHECK})

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(program__isnull=False, site__isnull=True))
                | (models.Q(program__isnull=True, site__isnull=False)),
                name="requirement_belongs_to_program_xor_site",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RequirementRecord(models.Model):
    """One person's submission for a requirement; 'missing' and 'expired' are derived, not stored."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not accepted")
        REVOKED = "revoked", _("Withdrawn")

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="records")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requirement_records"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # E-signature: the typed name, who signed (the person, or their guardian for consent), when, from where,
    # and which version of the text they read.
    signed_name = models.CharField(_("typed name"), max_length=150, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    text_version = models.PositiveIntegerField(null=True, blank=True)
    # The language of the text the signer was SHOWN ("en" when no reviewed-or-not translation existed).
    text_language = models.CharField(max_length=10, blank=True, default="en", db_default="en")
    document = models.ForeignKey(Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("note"), blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["person", "requirement", "status"]),
            models.Index(fields=["status", "submitted_at"], name="record_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement} — {self.person} ({self.get_status_display()})"


class TranslationStatus(models.TextChoices):
    MACHINE = "machine", _("Machine-assisted, not yet reviewed by the society")
    REVIEWED = "reviewed", _("Reviewed by the society")


class RequirementTextTranslation(models.Model):
    """A requirement's text (e.g. guardian consent) in another language, for one text version.

    The English text stays binding: the consent page always links to it. A translation of an older version
    is not shown once the English text changes (the page falls back to English with a note).
    """

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="translations")
    version = models.PositiveIntegerField(_("text version"))
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("translated text"))
    status = models.CharField(
        _("status"), max_length=10, choices=TranslationStatus.choices, default=TranslationStatus.MACHINE
    )
    reviewed_by_name = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["requirement", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "version", "language"], name="requirement_translation_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status="machine")
                | ~models.Q(reviewed_by_name="") & models.Q(reviewed_on__isnull=False),
                name="requirement_translation_reviewed_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement} ({self.language}, v{self.version})"


class LanguageReview(models.Model):
    """Whether the society has reviewed the interface translation of one language (none: machine-assisted)."""

    language = models.CharField(_("language"), max_length=10, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TranslationStatus.choices, default=TranslationStatus.MACHINE
    )
    reviewed_by_name = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="machine")
                | ~models.Q(reviewed_by_name="") & models.Q(reviewed_on__isnull=False),
                name="language_review_reviewed_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return self.language


class ImportBatch(models.Model):
    """An uploaded CSV/XLSX of people, parsed and previewed before anything is written (all or nothing)."""

    class Kind(models.TextChoices):
        LEARNERS = "learners", _("Learners")
        MENTORS = "mentors", _("Mentors")

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Checked, waiting for confirmation")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed, nothing was written")

    kind = models.CharField(_("people"), max_length=10, choices=Kind.choices)
    original_name = models.CharField(_("file"), max_length=200)
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    task_run_id = models.UUIDField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.original_name}"

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


class ImportWelcome(models.Model):
    """Sent-log of an import's invitations: one row per person, written (and committed) before their mail is
    sent, so a retried or doubled task never invites anyone twice."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="welcomes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "user"], name="import_welcome_once")]

    def __str__(self) -> str:
        return f"import {self.batch_id} invited user {self.user_id}"


class ImportPending(models.Model):
    """A person an import has written but not yet made live.

    An import writes its people in short chunks: each chunk creates inactive accounts (no profile, so no page,
    count, export or matching sees them, and nobody can sign in) and one row here with the profile's
    values. When every chunk is written, one short transaction gives them profiles and activates
    them (``importing.import_batch_commit``); these rows are deleted right after. A failed or killed import
    leaves rows here; they and their accounts are removed (``importing.import_pending_discard``).
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.CharField(max_length=200, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    specialty = models.CharField(max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.batch_id} pending user {self.user_id}"


class ImportPendingLanguage(models.Model):
    """A language of a person an import has not yet made live (see ``ImportPending``)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    language = models.ForeignKey("accounts.Language", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"import {self.batch_id} pending language {self.language_id} of user {self.user_id}"
