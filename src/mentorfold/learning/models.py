"""Questions and answers, teaching moments, glossaries, flashcards (FSRS) and visit reflections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorfold.accounts.models import Language, LearnerProfile, MentorProfile
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import Booking

STALE_DAYS = 7


class Question(models.Model):
    """A learner's question to their mentor (``mentorship``) or to a whole program (``program``)."""

    asked_by = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="questions")
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    booking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("shadowing visit"),
    )
    title = models.CharField(_("your question in one line"), max_length=200)
    body = models.TextField(_("more detail (optional)"), blank=True, max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    answer_markdown = models.TextField(_("answer"), blank=True, max_length=10000)
    answer_html = models.TextField(blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    sent_back_to_books = models.BooleanField(_("this question sent me back to the books"), default=False)
    reviewed_what = models.CharField(_("what I reviewed"), max_length=300, blank=True)
    helpful_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mentorship__isnull=False, program__isnull=True)
                | Q(mentorship__isnull=True, program__isnull=False),
                name="question_to_mentor_or_program",
            ),
            models.CheckConstraint(
                condition=Q(promoted_at__isnull=True) | Q(program__isnull=False, answered_at__isnull=False),
                name="question_promoted_only_when_answered_program",
            ),
        ]
        indexes = [
            models.Index(fields=["mentorship", "answered_at"], name="question_mentorship_open_idx"),
            models.Index(fields=["program", "promoted_at"], name="question_program_kb_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class TeachingMoment(models.Model):
    """Something one side of a mentorship learned from the other."""

    class Direction(models.TextChoices):
        MENTOR_TO_LEARNER = "mentor_to_learner", _("The learner learned from the mentor")
        LEARNER_TO_MENTOR = "learner_to_mentor", _("The mentor learned from the learner")

    class Category(models.TextChoices):
        CLINICAL = "clinical", _("Clinical knowledge")
        COMMUNICATION = "communication", _("Communication")
        COMMUNITY = "community", _("Community and culture")
        LANGUAGE = "language", _("Language")
        TECHNOLOGY = "technology", _("Technology")
        OTHER = "other", _("Other")

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="teaching_moments")
    # Copied from the mentorship so "what I learned" is one indexed range scan per mentor.
    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="teaching_moments")
    direction = models.CharField(_("who learned"), max_length=20, choices=Direction.choices)
    category = models.CharField(_("kind of learning"), max_length=20, choices=Category.choices)
    text = models.TextField(_("what was learned"), max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["mentor", "direction", "-created_at"], name="moment_mentor_dir_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class GlossaryEntry(models.Model):
    """A word or phrase explained: in one mentorship, or program-wide (curated by coordinators)."""

    class Direction(models.TextChoices):
        JARGON = "jargon", _("Medical jargon → everyday words")
        COMMUNITY = "community", _("Youth or community language → the physician")
        PATIENT_LANGUAGE = "patient_language", _("A phrase in a patient's language")

    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, null=True, blank=True, related_name="glossary_entries"
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="glossary_entries"
    )
    term = models.CharField(_("term"), max_length=120)
    meaning = models.TextField(_("plain meaning"), max_length=1000)
    example = models.TextField(_("example sentence"), max_length=1000, blank=True)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    language = models.ForeignKey(
        Language,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("language of the phrase"),
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="promoted_copy"
    )

    class Meta:
        ordering = ["term", "pk"]
        verbose_name_plural = "glossary entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(mentorship__isnull=False, program__isnull=True)
                | Q(mentorship__isnull=True, program__isnull=False),
                name="glossary_in_mentorship_or_program",
            ),
            models.CheckConstraint(
                condition=~Q(direction="patient_language") | Q(language__isnull=False),
                name="glossary_patient_language_has_language",
            ),
        ]

    def __str__(self) -> str:
        return self.term


class Flashcard(models.Model):
    """One person's card for a glossary entry or an answered question, scheduled by ``engine.srs``."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flashcards")
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="flashcards"
    )
    glossary_entry = models.ForeignKey(
        GlossaryEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="flashcards"
    )
    phase = models.PositiveSmallIntegerField(default=1)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, glossary_entry__isnull=True)
                | Q(question__isnull=True, glossary_entry__isnull=False),
                name="flashcard_from_one_source",
            ),
            models.UniqueConstraint(fields=["owner", "question"], name="flashcard_once_per_question"),
            models.UniqueConstraint(fields=["owner", "glossary_entry"], name="flashcard_once_per_entry"),
        ]
        indexes = [models.Index(fields=["owner", "due"], name="flashcard_owner_due_idx")]

    def __str__(self) -> str:
        return f"card {self.pk}"


class FlashcardReview(models.Model):
    """One rating of a card (1 again … 4 easy): feeds the reviews-per-day chart and retention."""

    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="reviews")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField()
    reviewed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=4), name="review_rating_1_to_4")
        ]
        indexes = [models.Index(fields=["owner", "reviewed_at"], name="review_owner_time_idx")]

    def __str__(self) -> str:
        return f"review {self.rating} of card {self.card_id}"


class Reflection(models.Model):
    """A learner's thoughts after a visit; the mentor reads it, coordinators only if the learner shares it."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="reflection")
    learner = models.ForeignKey(LearnerProfile, on_delete=models.CASCADE, related_name="reflections")
    surprised = models.TextField(_("What surprised you?"), max_length=3000)
    still_wondering = models.TextField(_("What question do you still have?"), max_length=3000, blank=True)
    shared_with_coordinators = models.BooleanField(_("share with the program coordinators"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reflection on booking {self.booking_id}"


class DigestSent(models.Model):
    """Sent-log of the weekly digest: one mail per mentor per week, never twice."""

    mentor = models.ForeignKey(MentorProfile, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField()
    question_count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mentor", "week_start"], name="learning_digest_once_per_week")
        ]

    def __str__(self) -> str:
        return f"digest to mentor {self.mentor_id}, week of {self.week_start}"
