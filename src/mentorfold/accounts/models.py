"""People of the society: users, their roles, profiles, organisations, guardians and invitations."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups with these names; a person may hold several (a mentor who also reviews)."""

    COORDINATOR = "coordinator", _("Coordinator")
    MENTOR = "mentor", _("Mentor")
    LEARNER = "learner", _("Learner")
    GUARDIAN = "guardian", _("Guardian")
    REVIEWER = "reviewer", _("Reviewer")


# Order matters: the first role a person holds decides which dashboard they land on.
ROLE_PRIORITY = [Role.COORDINATOR, Role.MENTOR, Role.REVIEWER, Role.LEARNER, Role.GUARDIAN]
PRIVILEGED_ROLES = frozenset({Role.COORDINATOR, Role.REVIEWER})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("Email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their e-mail address."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    preferred_name = models.CharField(_("preferred name"), max_length=80, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    # A code from core/languages.py (e.g. "so"); pages and e-mails use it when that language is offered.
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("can use the admin site"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        # People lists are sorted by name: read the first page through this index instead of sorting
        # every learner or mentor (20,000 at the large demo) before the LIMIT.
        indexes = [models.Index(fields=["full_name"], name="accounts_user_full_name")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.preferred_name or self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def role_names(self) -> frozenset[str]:
        """Names of the roles this person holds (uses prefetched groups when available)."""
        cached = getattr(self, "_role_names", None)
        if cached is None:
            cached = frozenset(g.name for g in self.groups.all())
            self._role_names = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def primary_role(self) -> str | None:
        return next((r.value for r in ROLE_PRIORITY if r in self.role_names), None)

    def grant_role(self, role: Role) -> None:
        group, _created = Group.objects.get_or_create(name=role.value)
        self.groups.add(group)
        self._role_names = None


class Organization(models.Model):
    """A school, university, medical school, residency program or clinic / health system."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("High school")
        UNIVERSITY = "university", _("College or university")
        MEDICAL_SCHOOL = "medical_school", _("Medical school")
        RESIDENCY = "residency", _("Residency program")
        HEALTH_SYSTEM = "health_system", _("Clinic or health system")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True, help_text=_("Two-letter code, e.g. WA"))

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="organization_name_kind_unique")]

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    """A language someone speaks; matching gives weight to a shared language."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


US_STATES = [
    (code, code)
    for code in [
        "AK",
        "AL",
        "AR",
        "AZ",
        "CA",
        "CO",
        "CT",
        "DC",
        "DE",
        "FL",
        "GA",
        "HI",
        "IA",
        "ID",
        "IL",
        "IN",
        "KS",
        "KY",
        "LA",
        "MA",
        "MD",
        "ME",
        "MI",
        "MN",
        "MO",
        "MS",
        "MT",
        "NC",
        "ND",
        "NE",
        "NH",
        "NJ",
        "NM",
        "NV",
        "NY",
        "OH",
        "OK",
        "OR",
        "PA",
        "PR",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VA",
        "VT",
        "WA",
        "WI",
        "WV",
        "WY",
    ]
]

# Days a mentor can host learners in clinic; codes match the half-day grid in programs ("mon-am").
WEEKDAY_CHOICES = [
    ("mon", _("Monday")),
    ("tue", _("Tuesday")),
    ("wed", _("Wednesday")),
    ("thu", _("Thursday")),
    ("fri", _("Friday")),
    ("sat", _("Saturday")),
    ("sun", _("Sunday")),
]
WEEKDAY_CODES = [code for code, _label in WEEKDAY_CHOICES]


def _all_weekdays() -> list[str]:
    return list(WEEKDAY_CODES)


def hosted_half_days(half_days: list[str] | None, weekdays: list[str] | None) -> list[str]:
    """The half-days ("mon-am") that fall on weekdays the mentor hosts."""
    hosted = set(weekdays or [])
    return [slot for slot in half_days or [] if slot.split("-", 1)[0] in hosted]


def mentor_cleared_q(prefix: str = "") -> models.Q:
    """Mentors who finished onboarding: active, orientation done, licence verified (``prefix`` e.g. "mentor__")."""
    return models.Q(
        **{
            f"{prefix}status": MentorProfile.Status.ACTIVE,
            f"{prefix}orientation_completed_on__isnull": False,
            f"{prefix}licence_verified_on__isnull": False,
        }
    )


def mentor_cleared_for_minors_q(on: date, prefix: str = "") -> models.Q:
    """Cleared mentors whose background check is verified and not expired on ``on``."""
    return mentor_cleared_q(prefix) & models.Q(
        **{
            f"{prefix}background_check_verified_on__isnull": False,
            f"{prefix}background_check_expires_on__gte": on,
        }
    )


def mentor_accepting_q(on: date, prefix: str = "") -> models.Q:
    """Mentors taking new learners on ``on``: accepting, and not paused until a later date."""
    return models.Q(**{f"{prefix}accepting_learners": True}) & (
        models.Q(**{f"{prefix}paused_until__isnull": True}) | models.Q(**{f"{prefix}paused_until__lte": on})
    )


class MentorProfileQuerySet(models.QuerySet["MentorProfile"]):
    def cleared(self) -> MentorProfileQuerySet:
        return self.filter(mentor_cleared_q())

    def cleared_for_minors(self, on: date | None = None) -> MentorProfileQuerySet:
        return self.filter(mentor_cleared_for_minors_q(on or timezone.localdate()))

    def accepting(self, on: date | None = None) -> MentorProfileQuerySet:
        return self.filter(mentor_accepting_q(on or timezone.localdate()))


class MentorProfile(models.Model):
    """A physician (attending, or resident as near-peer) who mentors learners.

    Onboarding is a checklist a coordinator ticks (orientation, licence, background check); only a
    *cleared* mentor (active, orientation done, licence verified) publishes slots or enters matching, and
    only one whose background check is verified and unexpired hosts learners under 18.
    """

    class CareerStage(models.TextChoices):
        ATTENDING = "attending", _("Attending physician")
        RESIDENT = "resident", _("Resident (near-peer mentor)")
        RETIRED = "retired", _("Retired physician")

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        INACTIVE = "inactive", _("Deactivated")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mentor_profile")
    specialty = models.CharField(_("specialty"), max_length=100)
    career_stage = models.CharField(
        _("career stage"), max_length=20, choices=CareerStage.choices, default=CareerStage.ATTENDING
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mentors",
        verbose_name=_("clinic or health system"),
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="mentors", verbose_name=_("languages")
    )
    capacity = models.PositiveSmallIntegerField(
        _("learners at a time"), default=2, validators=[MaxValueValidator(30)]
    )
    bio = models.TextField(_("about you"), blank=True, max_length=2000)
    years_in_practice = models.PositiveSmallIntegerField(
        _("years in practice"), default=0, validators=[MaxValueValidator(70)]
    )
    accepting_learners = models.BooleanField(_("accepting learners"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ONBOARDING)
    status_reason = models.CharField(_("reason for the status"), max_length=500, blank=True)
    # Onboarding checklist, written only by the services in accounts/onboarding.py.
    orientation_completed_on = models.DateField(_("orientation done on"), null=True, blank=True)
    licence_state = models.CharField(_("licence state"), max_length=2, choices=US_STATES, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=40, blank=True)
    licence_verified_on = models.DateField(_("licence verified on"), null=True, blank=True)
    background_check_verified_on = models.DateField(_("background check verified on"), null=True, blank=True)
    background_check_expires_on = models.DateField(_("background check expires on"), null=True, blank=True)
    # Availability the mentor sets on their own profile.
    hosting_weekdays = models.JSONField(_("days you can host learners"), default=_all_weekdays, blank=True)
    paused_until = models.DateField(
        _("not taking new learners until"),
        null=True,
        blank=True,
        help_text=_("Leave empty unless you need a break. You are listed again from this date."),
    )

    objects = MentorProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(background_check_expires_on__isnull=True)
                | models.Q(background_check_verified_on__isnull=True)
                | models.Q(background_check_expires_on__gt=models.F("background_check_verified_on")),
                name="mentor_background_check_expires_after_verified",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Dr. {self.user.full_name}" if self.career_stage != self.CareerStage.RESIDENT else str(self.user)
        )

    @property
    def has_orientation(self) -> bool:
        return self.orientation_completed_on is not None

    @property
    def has_verified_licence(self) -> bool:
        return self.licence_verified_on is not None

    @property
    def is_cleared(self) -> bool:
        """Active and onboarded: may publish slots, be ranked and enter a match run."""
        return self.status == self.Status.ACTIVE and self.has_orientation and self.has_verified_licence

    def has_background_check_on(self, day: date) -> bool:
        return (
            self.background_check_verified_on is not None
            and self.background_check_expires_on is not None
            and self.background_check_expires_on >= day
        )

    def can_host_minors_on(self, day: date) -> bool:
        return self.is_cleared and self.has_background_check_on(day)

    @property
    def can_host_minors(self) -> bool:
        return self.can_host_minors_on(timezone.localdate())

    def is_accepting_on(self, day: date) -> bool:
        return self.accepting_learners and (self.paused_until is None or self.paused_until <= day)

    @property
    def is_paused(self) -> bool:
        return self.paused_until is not None and self.paused_until > timezone.localdate()

    def hosting_weekday_labels(self) -> list[str]:
        chosen = set(self.hosting_weekdays or [])
        return [str(label) for code, label in WEEKDAY_CHOICES if code in chosen]

    def onboarding_missing(self) -> list[str]:
        """What still stops this mentor from being cleared, in words a coordinator can act on."""
        missing = []
        if not self.has_orientation:
            missing.append(str(_("Orientation is not recorded yet.")))
        if not self.has_verified_licence:
            missing.append(str(_("The medical licence is not verified yet.")))
        if self.status != self.Status.ACTIVE:
            missing.append(
                str(
                    _("The mentor is %(status)s, not active.") % {"status": self.get_status_display().lower()}
                )
            )
        return missing

    def clean(self) -> None:
        super().clean()
        unknown = set(self.hosting_weekdays or []) - set(WEEKDAY_CODES)
        if unknown or not isinstance(self.hosting_weekdays, list):
            raise ValidationError({"hosting_weekdays": _("Days: choose from Monday to Sunday.")})
        if self.paused_until is not None and self.paused_until > timezone.localdate() + timedelta(days=366):
            raise ValidationError(
                {
                    "paused_until": _(
                        "Not taking new learners until: choose a date within a year, or untick "
                        "'accepting learners' for a longer break."
                    )
                }
            )


class LearnerProfile(models.Model):
    """Someone on the path to medicine: a high-school student, pre-med, medical student or resident."""

    class Stage(models.TextChoices):
        HIGH_SCHOOL = "high_school", _("High school")
        UNDERGRADUATE = "undergraduate", _("Undergraduate / pre-med")
        MEDICAL_STUDENT = "medical_student", _("Medical student")
        RESIDENT = "resident", _("Resident")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="learner_profile")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    date_of_birth = models.DateField(_("date of birth"))
    school = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="learners",
        verbose_name=_("school"),
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="learners", verbose_name=_("languages")
    )
    interests = models.TextField(_("interests"), blank=True, max_length=1000)
    # Optional, private self-identification: visible only to the learner and coordinators.
    first_generation = models.BooleanField(
        _("first in my family to go to college"), null=True, blank=True, default=None
    )
    under_represented = models.BooleanField(
        _("from a group under-represented in medicine"), null=True, blank=True, default=None
    )

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_of_birth__gt=date(1930, 1, 1)), name="learner_dob_plausible"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    def age_on(self, day: date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_minor(self) -> bool:
        return self.age < 18

    def clean(self) -> None:
        super().clean()
        problem = birth_date_problem(self.date_of_birth) if self.date_of_birth else None
        if problem:
            raise ValidationError({"date_of_birth": problem})


LEARNER_MIN_AGE = 13
LEARNER_MAX_AGE = 100


def birth_date_problem(dob: date, today: date | None = None) -> str | None:
    """Why ``dob`` cannot be a learner's date of birth (future, under 13, over 100), or None if plausible."""
    today = today or timezone.localdate()
    if dob > today:
        return str(_("Date of birth: this date is in the future. Use the format 2009-04-17."))
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    if age < LEARNER_MIN_AGE:
        return str(_("Date of birth: Mentorfold programs are for learners aged 13 and older."))
    if age > LEARNER_MAX_AGE or dob <= date(1930, 1, 1):  # the database refuses these too
        return str(_("Date of birth: check the year. Use the format 2009-04-17."))
    return None


class GuardianLink(models.Model):
    """A parent or guardian of a learner under 18.

    Accepting the e-mailed invitation only shows that someone reads that mailbox (a minor can open a second
    address of their own). The link counts (VERIFIED) only after a coordinator confirmed it outside Mentorfold
    and recorded how.
    """

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Waiting for the society to confirm")
        VERIFIED = "verified", _("Confirmed by the society")
        REVOKED = "revoked", _("Revoked")

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone call")
        IN_PERSON = "in_person", _("In person")
        SCHOOL_RECORD = "school_record", _("School record")

    guardian = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="guardian_links", null=True, blank=True
    )
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(_("relationship"), max_length=40, default="parent")
    invited_email = models.EmailField(_("guardian's e-mail"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    accepted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="guardian_links_confirmed"
    )
    verification_method = models.CharField(
        _("how the society confirmed it"), max_length=20, choices=Method.choices, blank=True
    )
    verification_note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["guardian", "learner"],
                condition=models.Q(guardian__isnull=False),
                name="guardian_link_unique",
            ),
            # A link never counts without a person behind it and a record of how the society checked it.
            models.CheckConstraint(
                condition=~models.Q(status="verified")
                | (models.Q(guardian__isnull=False) & ~models.Q(verification_method="")),
                name="guardian_link_verified_has_method",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invited_email} → {self.learner}"

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    @property
    def is_waiting_for_society(self) -> bool:
        return self.status == self.Status.ACCEPTED


class ReviewerProfile(models.Model):
    """A grant committee member who scores applications."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reviewer_profile")
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviewers"
    )
    expertise = models.TextField(
        _("topics you know well"),
        blank=True,
        help_text=_("Comma-separated, e.g. rural health, refugee health"),
    )
    max_load = models.PositiveSmallIntegerField(
        _("most applications per cycle"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )

    def __str__(self) -> str:
        return str(self.user)


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry() -> Any:
    return timezone.now() + timedelta(days=14)


class Invitation(models.Model):
    """An e-mailed invitation to join in a role: coordinators invite staff and mentors, learners their guardian."""

    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    guardian_link = models.OneToOneField(
        GuardianLink, on_delete=models.CASCADE, null=True, blank=True, related_name="invitation"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_accepted"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} invitation for {self.email}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
