"""Demo messaging: Minh's conversation with Dr. Rivera that her guardian Lan Tran reads, meetings, and past
conversations of the finished mentorships (written in bulk for the large size).

Runs after learning. Idempotent: a mentorship that already has a thread is skipped. Minh has no mentor in the
demo's matching story yet, so she is placed early with Dr. Rivera in her summer term (a manual placement
with its reason), which the matching run leaves alone.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile, User
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Enrollment

from . import services
from .models import Meeting, Message, Side, Thread, ThreadParticipant
from .render import message_to_safe_html

LARGE_MENTORSHIPS = 400

PAST_CONVERSATION = [
    (Side.MENTOR, "Welcome! Before your first clinic day: wear closed shoes and bring a small notebook."),
    (Side.LEARNER, "Thank you. Should I read anything before Tuesday?"),
    (Side.MENTOR, "Skim the *patient privacy* page the society sent. That's all — come curious."),
    (Side.LEARNER, "I wrote down three questions about **blood pressure** from today."),
    (Side.MENTOR, "Great questions. Let's go through them at our next meeting."),
    (Side.LEARNER, "Thank you for this term. I now know I want to study medicine."),
]
MINH_CONVERSATION = [
    (
        Side.MENTOR,
        "Hello Minh and Ms. Tran! I'm Dr. Rivera. I'm looking forward to the summer. What would you like "
        "to see first?",
    ),
    (
        Side.LEARNER,
        "Hi Dr. Rivera! I'd like to see how a family doctor's day goes, and maybe a well-child visit.",
    ),
    (
        Side.GUARDIAN,
        "Thank you, Dr. Rivera. Minh can come on Tuesdays and Thursdays. I will drive her to the clinic.",
    ),
    (
        Side.MENTOR,
        "Perfect. Let's meet by video first, all three of us, so you can ask about the clinic rules. "
        "I proposed a time under *Meetings*.",
    ),
]


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _place_minh(today: date) -> Mentorship | None:
    minh = (
        LearnerProfile.objects.filter(user__email=f"minh.tran@{DEMO_DOMAIN}").select_related("user").first()
    )
    rivera = MentorProfile.objects.filter(user__email=f"dr.rivera@{DEMO_DOMAIN}").first()
    if minh is None or rivera is None:
        return None
    enrollment = (
        Enrollment.objects.filter(learner=minh, status=Enrollment.Status.ACCEPTED)
        .select_related("term")
        .order_by("term__starts_on")
        .first()
    )
    if enrollment is None:
        return None
    existing = Mentorship.objects.filter(learner=minh, term=enrollment.term).order_by("pk").first()
    if existing is not None:
        return existing
    coordinator = User.objects.filter(email=f"coordinator@{DEMO_DOMAIN}").first()
    return Mentorship.objects.create(
        term=enrollment.term,
        learner=minh,
        mentor=rivera,
        status=Mentorship.Status.ACTIVE,
        created_by=coordinator,
        placed_manually_reason="Placed early so Minh and her guardian can meet the mentor before the summer.",
    )


def _seed_minh(today: date) -> int:
    """A live conversation (through the services, so the guardian is included) and two meetings."""
    mentorship = _place_minh(today)
    if mentorship is None or mentorship.threads.exists():
        return 0
    guardian = (
        GuardianLink.objects.filter(learner=mentorship.learner, status=GuardianLink.Status.VERIFIED)
        .exclude(guardian=None)
        .select_related("guardian")
        .order_by("pk")
        .first()
    )
    if guardian is None:  # no confirmed guardian: the rule says no conversation, so the demo has none
        return 0
    people = {
        Side.MENTOR: mentorship.mentor.user,
        Side.LEARNER: mentorship.learner.user,
        Side.GUARDIAN: guardian.guardian,
    }
    start = _at(today - timedelta(days=12), 18)
    (side, body), *rest = MINH_CONVERSATION
    thread = services.thread_create(
        mentorship=mentorship,
        actor=people[side],
        subject="Getting ready for the summer",
        body=body,
        now=start,
    )
    for i, (side, body) in enumerate(rest, start=1):
        services.message_post(
            thread=thread, actor=people[side], body=body, now=start + timedelta(hours=5 * i)
        )
    first = services.meeting_propose(
        mentorship=mentorship,
        actor=people[Side.MENTOR],
        kind=Meeting.Kind.VIDEO,
        starts_at=_at(today - timedelta(days=6), 17),
        where="Video link sent by the society",
        now=start + timedelta(days=1),
    )
    services.meeting_respond(
        meeting=first, actor=people[Side.GUARDIAN], accept=True, now=start + timedelta(days=2)
    )
    services.meeting_log(
        meeting=first,
        actor=people[Side.MENTOR],
        discussed="Clinic rules, what to wear, and Minh's questions about becoming a pediatrician.",
        next_step="First clinic visit in June; Minh writes down two questions beforehand.",
        now=_at(today - timedelta(days=6), 18),
    )
    services.meeting_propose(
        mentorship=mentorship,
        actor=people[Side.MENTOR],
        kind=Meeting.Kind.CLINIC,
        starts_at=_at(today + timedelta(days=14), 16),
        duration_minutes=45,
        where="Front desk of the clinic",
        now=_at(today - timedelta(days=1), 9),
    )
    return 1


def _seed_past(mentorships: list[Mentorship], rng: random.Random, messages_each: int) -> int:
    """Finished mentorships (adult learners): one conversation each and a logged meeting, in bulk."""
    todo = [m for m in mentorships if not m.learner.is_minor]
    if not todo:
        return 0
    threads = Thread.objects.bulk_create(
        [
            Thread(
                mentorship=m,
                subject=rng.choice(
                    ["Before the first clinic day", "Questions from today", "Planning the term"]
                ),
                created_by=m.mentor.user,
                last_message_at=_at(m.term.starts_on + timedelta(days=messages_each + 1), 20),
            )
            for m in todo
        ]
    )
    participants, messages, meetings = [], [], []
    rendered = {body: message_to_safe_html(body) for _side, body in PAST_CONVERSATION}
    for m, thread in zip(todo, threads, strict=True):
        users = {Side.MENTOR: m.mentor.user_id, Side.LEARNER: m.learner.user_id}
        last = _at(m.term.starts_on + timedelta(days=messages_each + 1), 20)
        participants += [
            ThreadParticipant(thread=thread, user_id=uid, side=side, last_read_at=last)
            for side, uid in users.items()
        ]
        for i in range(messages_each):
            side, body = PAST_CONVERSATION[i % len(PAST_CONVERSATION)]
            messages.append(
                Message(
                    thread=thread,
                    author_id=users[side],
                    body=body,
                    body_html=rendered[body],
                    created_at=_at(m.term.starts_on + timedelta(days=i + 1), 19),
                )
            )
        meetings.append(
            Meeting(
                mentorship=m,
                kind=rng.choice([Meeting.Kind.CLINIC, Meeting.Kind.VIDEO, Meeting.Kind.IN_PERSON]),
                starts_at=_at(m.term.starts_on + timedelta(days=20), 16),
                duration_minutes=30,
                proposed_by_id=users[Side.MENTOR],
                proposed_side=Side.MENTOR,
                status=Meeting.Status.ACCEPTED,
                responded_by_id=users[Side.LEARNER],
                responded_at=_at(m.term.starts_on + timedelta(days=18), 12),
                discussed="How the first weeks went and which specialty to see next.",
                next_step="Shadow a pediatrics morning.",
                logged_by_id=users[Side.MENTOR],
                logged_at=_at(m.term.starts_on + timedelta(days=20), 17),
            )
        )
    ThreadParticipant.objects.bulk_create(participants, batch_size=2000)
    Message.objects.bulk_create(messages, batch_size=2000)
    Meeting.objects.bulk_create(meetings, batch_size=2000)
    return len(threads)


def seed_messaging(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    made = _seed_minh(today)
    limit = 50 if size == "small" else LARGE_MENTORSHIPS
    past = list(
        Mentorship.objects.filter(threads__isnull=True)
        .exclude(status__in=[Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED, Mentorship.Status.DECLINED])
        .select_related("mentor__user", "learner__user", "term")
        .order_by("pk")[:limit]
    )
    made += _seed_past(past, rng, messages_each=4 if size == "small" else len(PAST_CONVERSATION))
    return {
        "message_threads": Thread.objects.count(),
        "message_threads_added": made,
        "messages": Message.objects.count(),
        "meetings": Meeting.objects.count(),
    }
