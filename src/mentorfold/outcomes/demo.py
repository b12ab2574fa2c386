"""Demo outcomes: two years of survey rounds with a believable response rate (about 60 %), skipped
questions, mixed results (not every number improves) and learners' pipeline histories.

Runs after learning. Idempotent: schedules and invitations are unique per term/person, answers are added only
to invitations that have none, pipeline steps are unique per learner, stage and date.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from mentorfold.accounts.models import LearnerProfile
from mentorfold.engine.instruments import INSTRUMENTS
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Enrollment, Term

from .items import DEFAULT_INSTRUMENTS
from .models import PipelineStage, SurveyInvitation, SurveyResponse, SurveySchedule
from .scoring import scores_for

RESPONSE_RATE = 0.6
SKIP_RATE = 0.05
# Mini-Z burnout answer weights: about 45 % at 3 or more at baseline, a touch lower at term end.
BURNOUT_WEIGHTS = {"mentor_baseline": [22, 33, 27, 12, 6], "mentor_end": [24, 34, 25, 11, 6]}
OFFSETS = {
    "learner_pre": 0,
    "learner_post": 0,
    "learner_6m": 182,
    "learner_12m": 365,
    "mentor_baseline": 0,
    "mentor_end": 0,
}


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _answers(kind: str, rng: random.Random, latent: dict[str, float]) -> dict[str, int]:
    answers: dict[str, int] = {}
    for key in DEFAULT_INSTRUMENTS[kind]:
        instrument = INSTRUMENTS[key]
        if not instrument.wording_included:
            continue  # licensed items are not asked until the society pastes its wording
        for item in instrument.items:
            if not item.scored or not item.options or rng.random() < SKIP_RATE:
                continue
            if item.id == "mini_z_3":
                answers[item.id] = rng.choices(range(1, 6), weights=BURNOUT_WEIGHTS[kind])[0]
                continue
            base = latent.get(key, 3.4) + rng.gauss(0, 0.8)
            value = _clamp(base, item.min_value, item.max_value)
            answers[item.id] = item.max_value + item.min_value - value if item.reverse else value
    return answers


def _people(
    schedule: SurveySchedule, mentors: dict[int, list[Any]], learners: dict[int, list[Any]]
) -> list[Any]:
    return (mentors if schedule.is_for_mentors else learners).get(schedule.term_id, [])


def seed_outcomes(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    tz = timezone.get_default_timezone()
    terms = list(Term.objects.filter(starts_on__gte=today - timedelta(days=730), starts_on__lte=today))
    schedules = []
    for term in terms:
        for kind, keys in DEFAULT_INSTRUMENTS.items():
            opens = (
                term.starts_on if kind in {"learner_pre", "mentor_baseline"} else term.ends_on
            ) + timedelta(days=OFFSETS[kind])
            schedule, _created = SurveySchedule.objects.get_or_create(
                term=term,
                kind=kind,
                defaults={"opens_on": opens, "due_on": opens + timedelta(days=21), "instruments": keys},
            )
            schedules.append(schedule)
    mentors: dict[int, list[Any]] = {}
    for ms in Mentorship.objects.filter(term__in=terms).select_related("mentor__user"):
        people = mentors.setdefault(ms.term_id, [])
        if ms.mentor.user not in people:
            people.append(ms.mentor.user)
    learners: dict[int, list[Any]] = {}
    for enrollment in Enrollment.objects.filter(
        term__in=terms, status=Enrollment.Status.ACCEPTED
    ).select_related("learner__user"):
        learners.setdefault(enrollment.term_id, []).append(enrollment.learner.user)
    existing = set(
        SurveyInvitation.objects.filter(schedule__in=schedules).values_list("schedule_id", "user_id")
    )
    new = []
    for schedule in schedules:
        if schedule.opens_on > today:
            continue
        for user in _people(schedule, mentors, learners):
            if (schedule.pk, user.pk) not in existing:
                created = datetime.combine(schedule.opens_on, time(9), tzinfo=tz)
                new.append(
                    SurveyInvitation(schedule=schedule, user=user, due_on=schedule.due_on, created_at=created)
                )
    SurveyInvitation.objects.bulk_create(new, ignore_conflicts=True)
    answered = set(
        SurveyResponse.objects.filter(invitation__schedule__in=schedules).values_list(
            "invitation_id", flat=True
        )
    )
    invitations = (
        SurveyInvitation.objects.filter(schedule__in=schedules).select_related("schedule").order_by("pk")
    )
    # One latent level per person, so the same people answer alike before and after (paired changes).
    latent: dict[int, dict[str, float]] = {}
    responses, completed_ids = [], []
    for invitation in invitations:
        if invitation.pk in answered or (invitation.schedule_id, invitation.user_id) in existing:
            continue  # answered or left unanswered on an earlier run: never re-rolled
        kind = invitation.schedule.kind
        person = latent.setdefault(
            invitation.user_id,
            {
                "belonging": rng.gauss(3.4, 0.6),
                "intent": rng.gauss(3.6, 0.9),
                "mini_z": rng.gauss(3.3, 0.6),
                "mentoring_quality": rng.gauss(4.1, 0.5),
            },
        )
        level = dict(person)
        if kind != "learner_pre":  # a modest, uneven change after the term; intent drifts back later
            level["belonging"] += rng.gauss(0.25, 0.5)
            level["intent"] += rng.gauss(0.1 if kind == "learner_post" else -0.1, 0.6)
        if rng.random() > RESPONSE_RATE:
            if rng.random() < 0.15:  # started, saved part-way, never sent
                responses.append(
                    SurveyResponse(
                        invitation=invitation, answers=dict(list(_answers(kind, rng, level).items())[:3])
                    )
                )
            continue
        answers = _answers(kind, rng, level)
        done = datetime.combine(
            invitation.schedule.opens_on + timedelta(days=rng.randint(0, 20)), time(19), tzinfo=tz
        )
        responses.append(
            SurveyResponse(
                invitation=invitation,
                answers=answers,
                scores=scores_for(answers),
                **SurveyResponse.score_columns(scores_for(answers)),
                started_at=done,
                updated_at=done,
            )
        )
        invitation.completed_at = done
        invitation.reminders_sent = rng.choice([0, 0, 1, 2])
        completed_ids.append(invitation)
    SurveyResponse.objects.bulk_create(responses, ignore_conflicts=True)
    SurveyInvitation.objects.bulk_update(completed_ids, ["completed_at", "reminders_sent"], batch_size=500)
    steps = _pipeline(rng=rng, today=today)
    return {"survey_invitations": len(new), "survey_responses": len(responses), "pipeline_steps": steps}


PATHS = {
    LearnerProfile.Stage.HIGH_SCHOOL: ["high_school"],
    LearnerProfile.Stage.UNDERGRADUATE: ["high_school", "college", "applied"],
    LearnerProfile.Stage.MEDICAL_STUDENT: ["high_school", "college", "applied", "matriculated"],
    LearnerProfile.Stage.RESIDENT: ["high_school", "college", "applied", "matriculated", "residency"],
}


def _pipeline(*, rng: random.Random, today: date) -> int:
    """Each learner's path so far: the earlier steps from a coordinator import, the latest from the learner."""
    have = set(PipelineStage.objects.values_list("learner_id", flat=True).distinct())
    rows = []
    for learner in LearnerProfile.objects.exclude(pk__in=have).order_by("pk"):
        path = list(PATHS.get(learner.stage, ["high_school"]))
        if learner.stage == LearnerProfile.Stage.UNDERGRADUATE and rng.random() < 0.5:
            path = path[:-1]  # has not applied yet
        day = today - timedelta(days=365 * (len(path) - 1) + rng.randint(30, 300))
        for i, stage in enumerate(path):
            source = PipelineStage.Source.LEARNER if i == len(path) - 1 else PipelineStage.Source.IMPORT
            rows.append(
                PipelineStage(learner=learner, stage=stage, reached_on=min(day, today), source=source)
            )
            day += timedelta(days=365 + rng.randint(-60, 60))
    PipelineStage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
