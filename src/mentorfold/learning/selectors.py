"""Read queries for learning pages, each with the joins its template needs (bounded query counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile, MentorProfile, Role
from mentorfold.core.dates import society_zone
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import Booking

from .models import (
    STALE_DAYS,
    Flashcard,
    FlashcardReview,
    GlossaryEntry,
    Question,
    Reflection,
    TeachingMoment,
)

CURRENT = [Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED]


def display_name(learner: LearnerProfile, viewer: Any) -> str:
    """A minor's name shows as first name only to other learners; everyone else sees the full name."""
    full = learner.user.full_name
    other_learner = not (viewer.has_role(Role.MENTOR) or viewer.has_role(Role.COORDINATOR))
    if learner.user_id != viewer.pk and learner.is_minor and other_learner:
        return full.split()[0] if full.split() else full
    return full


def user_mentorships(user: Any) -> QuerySet[Mentorship]:
    """The mentorships ``user`` is in, as mentor or learner."""
    return (
        Mentorship.objects.filter(Q(mentor__user_id=user.pk) | Q(learner__user_id=user.pk))
        .select_related("mentor__user", "learner__user", "term__program")
        .order_by("-created_at")
    )


def user_programs(user: Any) -> QuerySet[Program]:
    if user.has_role(Role.COORDINATOR):
        return Program.objects.order_by("name")
    return (
        Program.objects.filter(
            Q(terms__mentorships__mentor__user_id=user.pk) | Q(terms__mentorships__learner__user_id=user.pk)
        )
        .distinct()
        .order_by("name")
    )


def stale_questions_for_mentor(*, mentor: MentorProfile, now: datetime | None = None) -> QuerySet[Question]:
    """Questions to this mentor unanswered for 7 days or more, oldest first (still owed after a term ends)."""
    now = now or timezone.now()
    return (
        Question.objects.filter(
            mentorship__mentor=mentor,
            answered_at__isnull=True,
            created_at__lte=now - timedelta(days=STALE_DAYS),
        )
        .exclude(mentorship__status=Mentorship.Status.DECLINED)
        .select_related("asked_by__user")
        .order_by("created_at", "pk")
    )


def home_for(user: Any) -> dict[str, Any]:
    mentorships = list(user_mentorships(user))
    ids = [m.pk for m in mentorships]
    questions = list(
        Question.objects.filter(mentorship_id__in=ids)
        .select_related("asked_by__user", "mentorship__mentor__user")
        .order_by("answered_at", "-created_at")[:30]
    )
    return {
        "mentorships": mentorships,
        "questions": questions,
        "programs": list(user_programs(user)),
        "due_cards": Flashcard.objects.filter(owner=user, due__lte=timezone.now()).count(),
    }


def mentorship_page(*, mentorship: Mentorship, viewer: Any) -> dict[str, Any]:
    questions = list(
        mentorship.questions.select_related("asked_by__user", "booking__slot").order_by("-created_at")[:100]
    )
    glossary = list(mentorship.glossary_entries.select_related("language", "added_by", "promoted_copy"))
    moments = list(mentorship.teaching_moments.select_related("recorded_by").order_by("-created_at")[:50])
    reflections = list(
        Reflection.objects.filter(
            booking__learner_id=mentorship.learner_id, booking__slot__mentor_id=mentorship.mentor_id
        )
        .select_related("booking__slot")
        .order_by("-booking__slot__starts_at")
    )
    return {
        "mentorship": mentorship,
        "questions": questions,
        "glossary": glossary,
        "moments": moments,
        "reflections": reflections,
    }


def can_view_glossary_entry(*, user: Any, entry: GlossaryEntry) -> bool:
    if entry.mentorship_id is not None:
        return bool(user.has_perm("matching.view_mentorship", entry.mentorship))
    return bool(user.has_perm("learning.view_program", entry.program))


def glossary_search(*, user: Any, query: str = "") -> QuerySet[GlossaryEntry]:
    """Entries of the user's mentorships and programs (coordinators: all), matching ``query`` if given."""
    entries = GlossaryEntry.objects.select_related(
        "language", "added_by", "program", "mentorship__term", "promoted_copy"
    )
    if not user.has_role(Role.COORDINATOR):
        mentorship_ids = Mentorship.objects.filter(
            Q(mentor__user_id=user.pk) | Q(learner__user_id=user.pk)
        ).values("pk")
        program_ids = Mentorship.objects.filter(
            Q(mentor__user_id=user.pk) | Q(learner__user_id=user.pk)
        ).values("term__program_id")
        entries = entries.filter(Q(mentorship_id__in=mentorship_ids) | Q(program_id__in=program_ids))
    if query:
        entries = entries.filter(
            Q(term__icontains=query) | Q(meaning__icontains=query) | Q(example__icontains=query)
        )
    return entries.order_by("term", "pk")


def program_page(*, program: Program, viewer: Any) -> dict[str, Any]:
    questions = list(
        Question.objects.filter(program=program)
        .select_related("asked_by__user", "answered_by")
        .order_by("-created_at")[:100]
    )
    for question in questions:
        question.asker_name = display_name(question.asked_by, viewer)
    return {
        "program": program,
        "knowledge_base": [q for q in questions if q.promoted_at is not None],
        "open_questions": [q for q in questions if q.answered_at is None],
        "answered": [q for q in questions if q.answered_at is not None and q.promoted_at is None],
        "glossary": list(program.glossary_entries.select_related("language")),
    }


def learned_moments(*, mentor: MentorProfile, year: int | None = None) -> QuerySet[TeachingMoment]:
    moments = TeachingMoment.objects.filter(
        mentor=mentor, direction=TeachingMoment.Direction.LEARNER_TO_MENTOR
    ).select_related("mentorship__learner__user")
    if year is not None:
        zone = society_zone()
        start = datetime(year, 1, 1, tzinfo=zone)
        moments = moments.filter(created_at__gte=start, created_at__lt=start.replace(year=year + 1))
    return moments.order_by("-created_at", "-pk")


def learned_page(*, mentor: MentorProfile, page_number: int = 1) -> Page[TeachingMoment]:
    return Paginator(learned_moments(mentor=mentor), 25).get_page(page_number)


def learned_year(*, mentor: MentorProfile, year: int) -> dict[str, Any]:
    moments = list(learned_moments(mentor=mentor, year=year)[:500])
    by_category = Counter(m.get_category_display() for m in moments)
    learners = {m.mentorship.learner_id for m in moments}
    return {
        "year": year,
        "moments": moments,
        "by_category": sorted(by_category.items(), key=lambda kv: (-kv[1], str(kv[0]))),
        "learner_count": len(learners),
    }


@dataclass(frozen=True)
class ChartBar:
    day: date
    reviews: int
    remembered: int
    height: int  # 0–100, share of the tallest day
    y: int


def review_page(*, owner: Any, now: datetime | None = None, days: int = 14) -> dict[str, Any]:
    """The next card to review (most overdue first), counts, and the reviews-per-day chart with retention."""
    now = now or timezone.now()
    due = Flashcard.objects.filter(owner=owner, due__lte=now)
    card = due.select_related("question", "glossary_entry__language").order_by("due", "pk").first()
    counts = Flashcard.objects.filter(owner=owner).aggregate(
        total=Count("pk"), due=Count("pk", filter=Q(due__lte=now))
    )
    zone = society_zone()
    since = now - timedelta(days=days)
    rows = (
        FlashcardReview.objects.filter(owner=owner, reviewed_at__gte=since)
        .annotate(day=TruncDate("reviewed_at", tzinfo=zone))
        .values("day")
        .annotate(reviews=Count("pk"), remembered=Count("pk", filter=Q(rating__gt=1)))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    today = timezone.localtime(now, zone).date()
    tallest = max((row["reviews"] for row in by_day.values()), default=0) or 1
    bars = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        row = by_day.get(day, {"reviews": 0, "remembered": 0})
        height = round(100 * row["reviews"] / tallest)
        bars.append(ChartBar(day, row["reviews"], row["remembered"], height, 100 - height))
    total_reviews = sum(b.reviews for b in bars)
    remembered = sum(b.remembered for b in bars)
    retention = round(100 * remembered / total_reviews) if total_reviews else None
    return {
        "card": card,
        "due_count": counts["due"],
        "total_count": counts["total"],
        "bars": bars,
        "total_reviews": total_reviews,
        "retention": retention,
    }


def bookings_to_reflect_on(*, learner: LearnerProfile, now: datetime | None = None) -> list[Booking]:
    """The learner's past visits without a reflection yet (latest first, a few)."""
    now = now or timezone.now()
    return list(
        Booking.objects.filter(
            learner=learner, slot__starts_at__lte=now, reflection__isnull=True, status__in=Booking.ACTIVE
        )
        .select_related("slot__mentor__user")
        .order_by("-slot__starts_at")[:3]
    )
