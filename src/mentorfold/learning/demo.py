"""Demo learning: questions and answers, glossaries in both directions (with Spanish, Vietnamese and Somali
phrases), teaching moments, a program knowledge base, Amina's flashcards and a reflection.

Runs after shadowing. Idempotent: a mentorship that already has questions or teaching moments is skipped, and
program content is added only once per program.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import Language, User
from mentorfold.engine import srs
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program
from mentorfold.shadowing.models import Booking

from .models import Flashcard, GlossaryEntry, Question, Reflection, TeachingMoment
from .render import markdown_to_safe_html

LARGE_MENTORSHIPS = 400

QUESTIONS = [
    (
        "Why did the nurse check the patient's wristband twice?",
        "Checking **two identifiers** (name and date of birth) before every medicine or test is how hospitals "
        "avoid giving the right treatment to the wrong person. It feels repetitive, and that is the point.",
    ),
    (
        "What does 'NPO after midnight' mean?",
        "*Nil per os* — nothing by mouth. Before anaesthesia an empty stomach lowers the risk of breathing "
        "stomach contents into the lungs. Many places now allow clear fluids until two hours before.",
    ),
    (
        "How do you stay calm when a patient is angry?",
        'I slow down and name what I see: *"You have waited a long time and you are frustrated."* Most anger '
        "is fear. Then I say what happens next.\n\n- sit down if you can\n- lower your voice\n- never argue facts "
        "first",
    ),
    (
        "Which classes helped you most before medical school?",
        "Statistics, honestly. Reading a study well is a daily skill. Also a language class — see the "
        "[AAMC page on pre-med courses](https://students-residents.aamc.org/).",
    ),
    ("Is it normal to feel faint the first time you see blood?", ""),
    ("How do interpreters work during a visit?", ""),
]

GLOSSARY = [
    (
        "Hypertension",
        "High blood pressure.",
        "Your blood pressure is high; we call that hypertension.",
        "jargon",
        None,
    ),
    ("Benign", "Not cancer; not harmful.", "The lump is benign, so it will not spread.", "jargon", None),
    ("PRN", "Only when needed.", "Take this pill PRN for pain, not every day.", "jargon", None),
    ("No cap", "Honestly, no lie.", '"I took my meds every day, no cap."', "community", None),
    ("Lowkey", "A little, or secretly.", '"I\'m lowkey scared of the shot."', "community", None),
    (
        "Auntie clinic",
        "The free community health fair at the mosque.",
        '"We go to the auntie clinic."',
        "community",
        None,
    ),
    ("Me duele aquí", "It hurts here.", "Point and ask: ¿Le duele aquí?", "patient_language", "es"),
    ("Respire profundo", "Breathe in deeply.", "Respire profundo, por favor.", "patient_language", "es"),
    ("Tôi bị đau", "I am in pain.", "Ask: Bác có bị đau không?", "patient_language", "vi"),
    ("Uống thuốc", "Take the medicine.", "Uống thuốc mỗi sáng.", "patient_language", "vi"),
    (
        "Halkan ayaa i xanuunaya",
        "It hurts here.",
        "The patient pointed to her side.",
        "patient_language",
        "so",
    ),
    ("Mahadsanid", "Thank you.", "End the visit with: Mahadsanid.", "patient_language", "so"),
]

MOMENTS = [
    ("learner_to_mentor", "technology", "How to set medicine reminders in the phone's health app."),
    ("learner_to_mentor", "community", "Which after-school programs in the neighbourhood teens trust."),
    ("learner_to_mentor", "language", "What 'it's giving' means — and that my patients' kids say it."),
    ("learner_to_mentor", "communication", "Texting is easier than calling for many young patients."),
    ("mentor_to_learner", "clinical", "Why we listen to the heart in four places."),
    ("mentor_to_learner", "communication", "Sit down when giving news; it feels longer to the patient."),
    ("mentor_to_learner", "other", "Write your questions down before a visit."),
]

PROGRAM_QUESTIONS = [
    ("How long is residency?", "Three to seven years, depending on the specialty. Family medicine is three."),
    (
        "Do I need research to get into medical school?",
        "It helps but is not required. Clinical time and service to your community matter as much.",
    ),
    ("What should I wear to shadow?", ""),
]


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def seed_learning(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    languages = {lang.code: lang for lang in Language.objects.filter(code__in=["es", "vi", "so"])}
    mentorships = list(
        Mentorship.objects.exclude(status=Mentorship.Status.DECLINED)
        .exclude(questions__isnull=False)
        .exclude(teaching_moments__isnull=False)
        .select_related("mentor__user", "learner__user", "term")
        .order_by("pk")
        .distinct()[: (LARGE_MENTORSHIPS if size == "large" else 200)]
    )
    amina = User.objects.filter(email=f"amina.hassan@{DEMO_DOMAIN}").first()
    questions: list[Question] = []
    entries: list[GlossaryEntry] = []
    moments: list[TeachingMoment] = []
    for ms in mentorships:
        start = ms.term.starts_on or today - timedelta(days=120)
        is_amina = amina is not None and ms.learner.user_id == amina.pk
        picks = QUESTIONS if is_amina else rng.sample(QUESTIONS, 2)
        for n, (title, answer) in enumerate(picks):
            asked = _aware(start + timedelta(days=7 * n + 3))
            if not answer:  # waiting for an answer: the oldest shows on the mentor's dashboard
                asked = _aware(today - timedelta(days=9 + n))
            questions.append(
                Question(
                    asked_by=ms.learner,
                    mentorship=ms,
                    title=title,
                    created_at=asked,
                    answer_markdown=answer,
                    answer_html=markdown_to_safe_html(answer) if answer else "",
                    answered_by=ms.mentor.user if answer else None,
                    answered_at=asked + timedelta(days=1) if answer else None,
                    sent_back_to_books=bool(answer) and n == 1,
                    reviewed_what="Anaesthesia fasting guidelines" if answer and n == 1 else "",
                    helpful_at=asked + timedelta(days=2) if answer and n != 2 else None,
                )
            )
        for term, meaning, example, direction, code in GLOSSARY if is_amina else rng.sample(GLOSSARY, 4):
            if code and code not in languages:
                continue
            entries.append(
                GlossaryEntry(
                    mentorship=ms,
                    term=term,
                    meaning=meaning,
                    example=example,
                    direction=direction,
                    language=languages.get(code) if code else None,
                    added_by=ms.learner.user if direction == "community" else ms.mentor.user,
                )
            )
        count = len(MOMENTS) if is_amina else 3
        for n, (direction, category, text) in enumerate(MOMENTS if is_amina else rng.sample(MOMENTS, count)):
            moments.append(
                TeachingMoment(
                    mentorship=ms,
                    mentor_id=ms.mentor_id,
                    direction=direction,
                    category=category,
                    text=text,
                    recorded_by=ms.mentor.user if direction == "learner_to_mentor" else ms.learner.user,
                    created_at=_aware(start + timedelta(days=5 * n + 2)),
                )
            )
    Question.objects.bulk_create(questions, batch_size=1000)
    GlossaryEntry.objects.bulk_create(entries, batch_size=1000)
    TeachingMoment.objects.bulk_create(moments, batch_size=1000)
    program_questions = _seed_programs(today)
    cards = _seed_amina(amina, today)
    return {
        "learning_questions": len(questions) + program_questions,
        "glossary_entries": len(entries),
        "teaching_moments": len(moments),
        "flashcards": cards,
    }


def _seed_programs(today: date) -> int:
    coordinator = User.objects.filter(email=f"coordinator@{DEMO_DOMAIN}").first()
    made = 0
    for program in Program.objects.filter(terms__mentorships__isnull=False).distinct().order_by("pk"):
        if Question.objects.filter(program=program).exists():
            continue
        mentorships = list(
            Mentorship.objects.filter(term__program=program).select_related("mentor__user").order_by("pk")[:3]
        )
        if not mentorships or coordinator is None:
            continue
        for n, (title, answer) in enumerate(PROGRAM_QUESTIONS):
            ms = mentorships[n % len(mentorships)]
            asked = _aware(today - timedelta(days=20 - 5 * n))
            Question.objects.create(
                asked_by=ms.learner,
                program=program,
                title=title,
                created_at=asked,
                answer_markdown=answer,
                answer_html=markdown_to_safe_html(answer) if answer else "",
                answered_by=ms.mentor.user if answer else None,
                answered_at=asked + timedelta(days=1) if answer else None,
                promoted_at=asked + timedelta(days=2) if answer and n == 0 else None,
                promoted_by=coordinator if answer and n == 0 else None,
            )
            made += 1
        GlossaryEntry.objects.create(
            program=program,
            term="HIPAA",
            meaning="The US law that keeps patients' health information private.",
            example="Because of HIPAA we never write patient names in our notes.",
            direction=GlossaryEntry.Direction.JARGON,
            added_by=coordinator,
        )
    return made


def _seed_amina(amina: User | None, today: date) -> int:
    """Amina's flashcards (some reviewed, some due) and a reflection on her latest visit."""
    if amina is None or Flashcard.objects.filter(owner=amina).exists():
        return 0
    now = timezone.now()
    entries = list(GlossaryEntry.objects.filter(mentorship__learner__user=amina).order_by("pk")[:8])
    cards = []
    for n, entry in enumerate(entries):
        state = srs.new_card(now - timedelta(days=10))
        if n % 2:
            state, _due = srs.review(state, srs.Rating.GOOD, now - timedelta(days=10 - n))
        cards.append(
            Flashcard(
                owner=amina,
                glossary_entry=entry,
                phase=state.phase,
                step=state.step,
                stability=state.stability,
                difficulty=state.difficulty,
                due=state.due,
                last_review=state.last_review,
            )
        )
    Flashcard.objects.bulk_create(cards)
    booking = (
        Booking.objects.filter(learner__user=amina, status__in=Booking.ACTIVE, slot__starts_at__lte=now)
        .order_by("slot__starts_at")
        .first()
    )
    if booking is not None and not hasattr(booking, "reflection"):
        Reflection.objects.create(
            booking=booking,
            learner=booking.learner,
            surprised="How much of the visit was listening, not examining.",
            still_wondering="How do doctors remember every patient's story?",
        )
    return len(cards)
