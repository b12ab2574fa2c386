"""The verbs of learning: ask, answer, promote, record, add to the glossary, review cards, reflect, digest."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import Language, LearnerProfile, MentorProfile
from mentorfold.core.mail import send_templated_mail
from mentorfold.engine import srs
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import Booking

from .models import (
    STALE_DAYS,
    DigestSent,
    Flashcard,
    FlashcardReview,
    GlossaryEntry,
    Question,
    Reflection,
    TeachingMoment,
)
from .render import markdown_to_safe_html

# --- Questions ---------------------------------------------------------------------------------------------


def question_ask(
    *,
    learner: LearnerProfile,
    title: str,
    body: str = "",
    mentorship: Mentorship | None = None,
    program: Program | None = None,
    booking: Booking | None = None,
) -> Question:
    """A learner asks their mentor (``mentorship``) or a whole program (``program``)."""
    user = learner.user
    if (mentorship is None) == (program is None):
        raise ValidationError(_("Ask either your mentor or the whole program."))
    if mentorship is not None and not user.has_perm("learning.ask_mentor", mentorship):
        raise PermissionDenied
    if program is not None and not user.has_perm("learning.ask_program", program):
        raise PermissionDenied
    if booking is not None and booking.learner_id != learner.pk:
        raise ValidationError({"booking": _("Visit: choose one of your own shadowing visits.")})
    with transaction.atomic():
        question = Question(
            asked_by=learner,
            mentorship=mentorship,
            program=program,
            booking=booking,
            title=title.strip(),
            body=body.strip(),
        )
        question.full_clean()
        question.save()
    return question


def question_answer(
    *,
    question_id: int,
    user: Any,
    answer_markdown: str,
    sent_back_to_books: bool = False,
    reviewed_what: str = "",
    now: datetime | None = None,
) -> Question:
    """The mentor answers (or corrects their own answer); Markdown is rendered and sanitised once, here."""
    now = now or timezone.now()
    with transaction.atomic():
        question = (
            Question.objects.select_for_update(of=("self",))
            .select_related("mentorship__mentor", "program", "asked_by")
            .get(pk=question_id)
        )
        if not user.has_perm("learning.answer_question", question):
            raise PermissionDenied
        if question.answered_by_id not in (None, user.pk):
            raise ValidationError(_("Someone else answered this question while you were writing."))
        text = answer_markdown.strip()
        if not text:
            raise ValidationError({"answer_markdown": _("Answer: write a few words before saving.")})
        if sent_back_to_books and not reviewed_what.strip():
            raise ValidationError({"reviewed_what": _("What you reviewed: say what you looked up.")})
        question.answer_markdown = text
        question.answer_html = markdown_to_safe_html(text)
        question.answered_by = user
        question.answered_at = question.answered_at or now
        question.sent_back_to_books = sent_back_to_books
        question.reviewed_what = reviewed_what.strip() if sent_back_to_books else ""
        question.full_clean()
        question.save(
            update_fields=[
                "answer_markdown",
                "answer_html",
                "answered_by",
                "answered_at",
                "sent_back_to_books",
                "reviewed_what",
            ]
        )
    return question


def question_mark_helpful(*, question_id: int, user: Any, now: datetime | None = None) -> Question:
    """The learner who asked says the answer helped (once; marking again changes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        question = (
            Question.objects.select_for_update(of=("self",)).select_related("asked_by").get(pk=question_id)
        )
        if not user.has_perm("learning.mark_helpful", question):
            raise PermissionDenied
        if question.answered_at is None:
            raise ValidationError(_("This question has no answer yet."))
        if question.helpful_at is None:
            question.helpful_at = now
            question.save(update_fields=["helpful_at"])
    return question


def question_promote(*, question_id: int, user: Any, now: datetime | None = None) -> Question:
    """A coordinator adds a good answer to a program question to the program's knowledge base."""
    now = now or timezone.now()
    if not user.has_perm("learning.promote"):
        raise PermissionDenied
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        if question.program_id is None:
            raise ValidationError(
                _("Only questions asked to the whole program can go in its knowledge base.")
            )
        if question.answered_at is None:
            raise ValidationError(_("This question has no answer yet."))
        if question.promoted_at is None:
            question.promoted_at = now
            question.promoted_by = user
            question.save(update_fields=["promoted_at", "promoted_by"])
    return question


# --- Teaching moments --------------------------------------------------------------------------------------


def moment_record(
    *,
    mentorship: Mentorship,
    user: Any,
    direction: str,
    category: str,
    text: str,
    now: datetime | None = None,
) -> TeachingMoment:
    """Either side of a mentorship records something learned from the other."""
    if not user.has_perm("learning.contribute", mentorship):
        raise PermissionDenied
    moment = TeachingMoment(
        mentorship=mentorship,
        mentor_id=mentorship.mentor_id,
        direction=direction,
        category=category,
        text=text.strip(),
        recorded_by=user,
        created_at=now or timezone.now(),
    )
    with transaction.atomic():
        moment.full_clean()
        moment.save()
    return moment


# --- Glossary ----------------------------------------------------------------------------------------------


def glossary_add(
    *,
    user: Any,
    term: str,
    meaning: str,
    direction: str,
    example: str = "",
    language: Language | None = None,
    mentorship: Mentorship | None = None,
    program: Program | None = None,
) -> GlossaryEntry:
    """Add a term to a mentorship's glossary (either side) or to a program's (coordinators only)."""
    if mentorship is not None and not user.has_perm("learning.contribute", mentorship):
        raise PermissionDenied
    if program is not None and not user.has_perm("learning.promote"):
        raise PermissionDenied
    if direction != GlossaryEntry.Direction.PATIENT_LANGUAGE:
        language = None
    elif language is None:
        raise ValidationError({"language": _("Language: choose the language of the phrase.")})
    entry = GlossaryEntry(
        mentorship=mentorship,
        program=program,
        term=term.strip(),
        meaning=meaning.strip(),
        example=example.strip(),
        direction=direction,
        language=language,
        added_by=user,
    )
    with transaction.atomic():
        entry.full_clean()
        entry.save()
    return entry


def glossary_promote(*, entry_id: int, user: Any) -> GlossaryEntry:
    """A coordinator copies a mentorship's entry into its program's glossary (once)."""
    if not user.has_perm("learning.promote"):
        raise PermissionDenied
    with transaction.atomic():
        entry = (
            GlossaryEntry.objects.select_for_update(of=("self",))
            .select_related("mentorship__term")
            .get(pk=entry_id)
        )
        if entry.mentorship_id is None:
            raise ValidationError(_("This term is already in the program glossary."))
        existing = GlossaryEntry.objects.filter(promoted_from=entry).first()
        if existing is not None:
            return existing
        copy = GlossaryEntry(
            program_id=entry.mentorship.term.program_id,
            term=entry.term,
            meaning=entry.meaning,
            example=entry.example,
            direction=entry.direction,
            language_id=entry.language_id,
            added_by_id=entry.added_by_id,
            promoted_from=entry,
        )
        copy.full_clean()
        copy.save()
    return copy


# --- Flashcards --------------------------------------------------------------------------------------------


def flashcard_create(
    *,
    owner: Any,
    question: Question | None = None,
    glossary_entry: GlossaryEntry | None = None,
    now: datetime | None = None,
) -> Flashcard:
    """Turn a glossary entry or an answered question the owner can see into their card (once each)."""
    from . import selectors

    now = now or timezone.now()
    if (question is None) == (glossary_entry is None):
        raise ValidationError(_("Choose one glossary term or one answered question."))
    if question is not None:
        if not owner.has_perm("learning.view_question", question):
            raise PermissionDenied
        if question.answered_at is None:
            raise ValidationError(_("Only answered questions can become flashcards."))
    if glossary_entry is not None and not selectors.can_view_glossary_entry(user=owner, entry=glossary_entry):
        raise PermissionDenied
    state = srs.new_card(now)
    lookup = {"question": question} if question is not None else {"glossary_entry": glossary_entry}
    try:
        with transaction.atomic():
            card, _created = Flashcard.objects.get_or_create(
                owner=owner,
                **lookup,
                defaults={
                    "phase": state.phase,
                    "step": state.step,
                    "due": state.due,
                },
            )
    except IntegrityError:  # a double click raced us: the card exists now
        card = Flashcard.objects.get(owner=owner, **lookup)
    return card


def flashcard_review(*, card_id: int, owner: Any, rating: int, now: datetime | None = None) -> Flashcard:
    """Rate one of the owner's cards (1 again … 4 easy) and schedule it with FSRS."""
    now = now or timezone.now()
    with transaction.atomic():
        card = Flashcard.objects.select_for_update().filter(pk=card_id, owner=owner).first()
        if card is None:
            raise PermissionDenied
        state = srs.CardState(
            phase=card.phase,
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
        )
        if card.last_review is not None and card.last_review > now:
            raise ValidationError(_("This card was just reviewed. Reload the page."))
        try:
            new_state, due = srs.review(state, rating, now)
        except ValueError as error:
            raise ValidationError(_("Rating: choose 1, 2, 3 or 4.")) from error
        card.phase = new_state.phase
        card.step = new_state.step
        card.stability = new_state.stability
        card.difficulty = new_state.difficulty
        card.due = due
        card.last_review = now
        card.save(update_fields=["phase", "step", "stability", "difficulty", "due", "last_review"])
        FlashcardReview.objects.create(card=card, owner=owner, rating=rating, reviewed_at=now)
    return card


# --- Reflections -------------------------------------------------------------------------------------------


def reflection_save(
    *,
    booking: Booking,
    learner: LearnerProfile,
    surprised: str,
    still_wondering: str = "",
    shared_with_coordinators: bool = False,
    now: datetime | None = None,
) -> Reflection:
    """The learner writes (or edits) their reflection on a visit that has happened."""
    now = now or timezone.now()
    if booking.learner_id != learner.pk:
        raise PermissionDenied
    if booking.status not in Booking.ACTIVE or booking.slot.starts_at > now:
        raise ValidationError(_("You can write a reflection after the visit."))
    with transaction.atomic():
        reflection = Reflection.objects.select_for_update().filter(booking=booking).first()
        if reflection is None:
            reflection = Reflection(booking=booking, learner=learner)
        reflection.surprised = surprised.strip()
        reflection.still_wondering = still_wondering.strip()
        reflection.shared_with_coordinators = shared_with_coordinators
        reflection.full_clean()
        reflection.save()
    return reflection


# --- Weekly digest -----------------------------------------------------------------------------------------


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digest_send_one(*, mentor_id: int, now: datetime | None = None) -> bool:
    """Mail one mentor their questions waiting 7+ days, at most once per week (the sent-log row is claimed
    in the same transaction as the send, so a retry after a crash never mails twice)."""
    from . import selectors

    now = now or timezone.now()
    week = week_start_of(timezone.localdate(now))
    with transaction.atomic():
        mentor = (
            MentorProfile.objects.select_for_update(of=("self",)).select_related("user").get(pk=mentor_id)
        )
        if DigestSent.objects.filter(mentor=mentor, week_start=week).exists():
            return False
        questions = list(selectors.stale_questions_for_mentor(mentor=mentor, now=now)[:50])
        if not questions:
            return False
        DigestSent.objects.create(mentor=mentor, week_start=week, sent_at=now, question_count=len(questions))
        send_templated_mail(
            to=[mentor.user.email],
            subject=lambda: _("Questions waiting for your answer"),
            template="learning/email/digest.txt",
            context={"mentor": mentor, "questions": questions},
        )
    return True


def digest_send_all(*, now: datetime | None = None) -> int:
    """The weekly digest for every mentor with a question waiting 7+ days; returns how many were mailed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=STALE_DAYS)
    mentor_ids = (
        Question.objects.filter(
            answered_at__isnull=True,
            created_at__lte=cutoff,
        )
        .exclude(mentorship__status=Mentorship.Status.DECLINED)
        .values_list("mentorship__mentor_id", flat=True)
        .distinct()
    )
    return sum(digest_send_one(mentor_id=pk, now=now) for pk in sorted(set(mentor_ids)))
