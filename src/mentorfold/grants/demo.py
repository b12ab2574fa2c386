"""Demo grants: a cycle in review (applications, conflicts, an optimal assignment, some reviews) and an open one.

Idempotent: cycles are found by name, applications are unique per (cycle, applicant), the assignment runs only
when the cycle has none, and reviews are unique per (application, reviewer).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile, ReviewerProfile

from . import review as review_services
from .letters import DEFAULT_TEMPLATES
from .models import (
    DEFAULT_ELIGIBILITY,
    DEFAULT_RUBRIC,
    Application,
    Assignment,
    GrantCycle,
    LetterTemplate,
    Review,
    ReviewerDeclaration,
)

DEMO_DOMAIN = "demo.mentorfold.org"
REVIEW_CYCLE = "Community Foundation Grants 2026"
OPEN_CYCLE = "Community Foundation Grants 2027"
STORIES = [
    (
        "rural medicine",
        "I grew up in a village in rural Alaska, four hours by plane from the nearest hospital.",
    ),
    (
        "refugee health",
        "My family arrived as refugees when I was nine; I interpreted for my parents at every visit.",
    ),
    (
        "community health",
        "For two years of college I was homeless and studied in the public library at night.",
    ),
    (
        "mental health",
        "After my brother's crisis I saw how hard it is to find a psychiatrist who speaks our language.",
    ),
    ("pediatrics", "I raised my younger sisters while working nights as a nursing assistant."),
    ("health equity", "I am the first in my family to finish high school, let alone go to medical school."),
    ("public health", "I organised a vaccine clinic at our tribal community centre during the pandemic."),
    ("emergency care", "I worked as an EMT in a small town before medical school."),
]
COMMUNITY = [
    "I volunteer every week at a free clinic and coordinate interpreters.",
    "I mentor high-school students from my hometown who want to study science.",
    "I run a food pantry at my medical school.",
    "I teach first aid in Spanish at my church.",
]


def _aware(day: date, hour: int = 17) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _cycle(name: str, **fields: object) -> GrantCycle:
    cycle, _created = GrantCycle.objects.get_or_create(name=name, defaults=fields)
    for kind, (subject, body) in DEFAULT_TEMPLATES.items():
        LetterTemplate.objects.get_or_create(
            cycle=cycle, kind=kind, defaults={"subject": subject, "body": body}
        )
    return cycle


@transaction.atomic
def seed_grants(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    common = {
        "state": "WA",
        "award_min": 500,
        "award_max": 5000,
        "award_step": 50,
        "rubric": DEFAULT_RUBRIC,
        "eligibility_questions": DEFAULT_ELIGIBILITY,
        "required_attachments": ["Enrolment letter"],
        "reviewers_per_application": 3,
        "reviewer_max_load": 35,
        "floors": [{"name": "Students from rural areas", "attribute": "is_rural", "min_count": 2}],
    }
    review_cycle = _cycle(
        REVIEW_CYCLE,
        status=GrantCycle.Status.REVIEW,
        total_budget=60000 if size == "small" else 1_500_000,
        opens_at=_aware(today - timedelta(days=75), 9),
        closes_at=_aware(today - timedelta(days=18)),
        blind_review=True,
        **common,
    )
    _cycle(
        OPEN_CYCLE,
        status=GrantCycle.Status.OPEN,
        total_budget=60000,
        opens_at=_aware(today - timedelta(days=7), 9),
        closes_at=_aware(today + timedelta(days=150)),
        **common,
    )
    reviewers = ReviewerProfile.objects.count()
    capacity = reviewers * 35 // 3
    wanted = 30 if size == "small" else 2000
    students = list(
        LearnerProfile.objects.filter(
            stage=LearnerProfile.Stage.MEDICAL_STUDENT, user__email__endswith=f"@{DEMO_DOMAIN}"
        )
        .order_by("user__email")
        .values_list("pk", flat=True)[: min(wanted, int(capacity * 0.9))]
    )
    submitted_at = _aware(today - timedelta(days=20), 12)
    rows = []
    for k, learner_id in enumerate(students):
        topic, story = STORIES[k % len(STORIES)]
        rows.append(
            Application(
                cycle=review_cycle,
                applicant_id=learner_id,
                code=f"D{review_cycle.pk:02d}{k:04d}",
                status=Application.Status.SUBMITTED if k % 15 else Application.Status.WITHDRAWN,
                eligibility_answers={"good_standing": True, "not_funded_before": True},
                personal_statement=f"{story} I want to practise {topic} where I grew up.",
                financial_need="Tuition, rent and travel to rotations; my family cannot help.",
                need_level=1 + k % 3,
                community_involvement=COMMUNITY[k % len(COMMUNITY)],
                amount_requested=rng.randrange(10, 50) * 100,
                budget_purpose="Travel to rural rotations and board exam fees",
                topics=topic,
                is_first_year=k % 4 == 0,
                is_rural=topic == "rural medicine" or k % 5 == 0,
                submitted_at=submitted_at,
                withdrawn_at=None if k % 15 else submitted_at + timedelta(days=3),
            )
        )
    Application.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    named_reviewer = ReviewerProfile.objects.filter(user__email=f"reviewer@{DEMO_DOMAIN}").first()
    if named_reviewer is not None and len(students) > 1:
        # The demo reviewer knows one applicant personally: a declared conflict shows in the conflicts list.
        known = LearnerProfile.objects.select_related("user").get(pk=students[1])
        ReviewerDeclaration.objects.get_or_create(
            cycle=review_cycle, reviewer=named_reviewer.user, defaults={"known_people": known.user.email}
        )
    if students and not Assignment.objects.filter(cycle=review_cycle).exists():
        review_services.assignment_run(cycle=review_cycle, actor=None, explain=size == "small")
    # About 60 % of reviews are in; the named demo reviewer has work left to do.
    # Reviews are drawn once: a second run finds them and adds nothing.
    existing = set(Review.objects.filter(cycle=review_cycle).values_list("application_id", "reviewer_id"))
    leniency: dict[int, float] = {}
    reviews = []
    for a_id, r_id, email in (
        Assignment.objects.filter(cycle=review_cycle)
        .order_by("application_id", "reviewer_id")
        .values_list("application_id", "reviewer_id", "reviewer__email")
    ):
        if existing:
            break
        if email == f"reviewer@{DEMO_DOMAIN}" and rng.random() < 0.7:
            continue
        if rng.random() > 0.6:
            continue
        bias = leniency.setdefault(r_id, rng.gauss(0, 0.5))
        scores = {c["key"]: min(5, max(1, round(rng.gauss(3.4 + bias, 0.8)))) for c in DEFAULT_RUBRIC}
        reviews.append(
            Review(
                cycle=review_cycle,
                application_id=a_id,
                reviewer_id=r_id,
                scores=scores,
                comments={"story": "A clear, moving story."},
                total=review_services.rubric_total(DEFAULT_RUBRIC, scores),
                status=Review.Status.SUBMITTED,
                submitted_at=submitted_at + timedelta(days=10),
            )
        )
    Review.objects.bulk_create(reviews, ignore_conflicts=True, batch_size=2000)
    return {
        "grant_cycles": GrantCycle.objects.count(),
        "grant_applications": Application.objects.filter(cycle=review_cycle).count(),
        "grant_assignments": Assignment.objects.filter(cycle=review_cycle).count(),
        "grant_reviews": Review.objects.filter(cycle=review_cycle).count(),
    }
