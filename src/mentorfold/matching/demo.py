"""Demo matching: learners of open terms rank eligible mentors; a past term has a published stable run.

Runs after ``programs.demo.seed_programs``. Idempotent: learners who already ranked are left alone, and the
past term's run is made only once. The past run goes through the real services (snapshot, engine, publish);
its e-mails go to an in-memory outbox so seeding never mails anyone.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import LearnerProfile, User
from mentorfold.programs.models import Enrollment, MentorTermOptIn, Term

from . import services
from .models import MatchRun, MentorDecision, Mentorship, Preference
from .snapshot import _light_learner, eligible_site_lookup, term_candidates

AMINA = f"amina.hassan@{DEMO_DOMAIN}"
MINH = f"minh.tran@{DEMO_DOMAIN}"
RIVERA = f"dr.rivera@{DEMO_DOMAIN}"
PAST_TERM = "Spring 2026"


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _rank_term(
    term: Term, *, rng: random.Random, today: date, per_learner: int, named: dict[str, int]
) -> int:
    """Every accepted learner without a list ranks up to ``per_learner`` mentors they are eligible for."""
    seed = rng.randrange(2**32)  # drawn first, so a second seeding gets the same seed for this term
    done = set(Preference.objects.filter(term=term).values_list("learner_id", flat=True))
    rows = list(
        Enrollment.objects.filter(term=term, status=Enrollment.Status.ACCEPTED)
        .exclude(learner_id__in=done)
        .values_list(
            "learner_id",
            "learner__user_id",
            "learner__stage",
            "learner__date_of_birth",
            "learner__user__email",
        )
        .order_by("learner_id")
    )
    if not rows:
        return 0
    candidates = term_candidates(term)
    mentor_ids = sorted(candidates.opt_ins)
    if not mentor_ids:
        return 0
    rivera = named.get(RIVERA)
    learners = [_light_learner(*r[:4]) for r in rows]
    draws: dict[int, list[int]] = {}
    for r in rows:
        # One generator per learner: a second seeding draws the same mentors, so it adds nothing new.
        mine = random.Random(f"{seed}:{term.pk}:{r[0]}")
        picks = mine.sample(mentor_ids, min(len(mentor_ids), per_learner * 3))
        if r[4] == AMINA and rivera in candidates.opt_ins:
            picks = [rivera, *[m for m in picks if m != rivera]]
        draws[r[0]] = picks
    eligible = eligible_site_lookup(
        term=term,
        learners=learners,
        candidates=candidates,
        on=today,
        pairs=[(lid, m) for lid, ms in draws.items() for m in ms],
    )
    prefs = []
    for r in rows:
        wanted = per_learner if r[4] != MINH else 3
        ok = [m for m in draws[r[0]] if (r[0], m) in eligible][:wanted]
        prefs += [Preference(term=term, learner_id=r[0], mentor_id=m, rank=k) for k, m in enumerate(ok, 1)]
    Preference.objects.bulk_create(prefs, batch_size=5000, ignore_conflicts=True)
    return len(prefs)


def _past_term(*, rng: random.Random, today: date, size: str, named: dict[str, int]) -> int:
    """A closed term before the demo day, matched with a published stable run; its mentorships are completed."""
    amina = LearnerProfile.objects.filter(user__email=AMINA).first()
    if amina is None:
        return 0
    current = Enrollment.objects.filter(learner=amina).select_related("term__program").first()
    if current is None:
        return 0
    program = current.term.program
    term, _created = Term.objects.get_or_create(
        program=program,
        name=PAST_TERM,
        defaults={
            "application_opens": _aware(date(2025, 11, 1)),
            "application_closes": _aware(date(2026, 1, 15)),
            "starts_on": date(2026, 2, 2),
            "ends_on": date(2026, 6, 12),
            "status": Term.Status.CLOSED,
            "preferences_close": _aware(date(2026, 1, 25)),
        },
    )
    if MatchRun.objects.filter(term=term, status=MatchRun.Status.PUBLISHED).exists():
        return 0
    n_learners, n_mentors = (24, 12) if size == "small" else (240, 100)
    learner_ids = list(
        Enrollment.objects.filter(term=current.term, status=Enrollment.Status.ACCEPTED)
        .exclude(learner=amina)
        .values_list("learner_id", flat=True)
        .order_by("learner_id")[: n_learners - 1]
    ) + [amina.pk]
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                term=term,
                learner_id=pk,
                statement="I want to see how physicians care for people in my community.",
                interests=rng.choice(["primary care", "family medicine", "pediatrics", "surgery"]),
                availability=rng.sample(["mon-am", "tue-pm", "wed-am", "thu-pm", "fri-am"], 3),
                status=Enrollment.Status.ACCEPTED,
                decided_at=_aware(date(2026, 1, 10)),
            )
            for pk in learner_ids
        ],
        ignore_conflicts=True,
    )
    opt_ins = list(
        MentorTermOptIn.objects.filter(term=current.term)
        .values_list("mentor_id", "availability")
        .order_by("mentor_id")
    )
    rivera = named.get(RIVERA)
    chosen = [o for o in opt_ins if o[0] == rivera] + [o for o in opt_ins if o[0] != rivera][: n_mentors - 1]
    MentorTermOptIn.objects.bulk_create(
        [MentorTermOptIn(term=term, mentor_id=m, capacity=2, availability=a) for m, a in chosen],
        ignore_conflicts=True,
    )
    # Rankings and mentors' answers are made under the term's open window, so the term opens briefly.
    Term.objects.filter(pk=term.pk).update(status=Term.Status.OPEN)
    term.refresh_from_db()
    _rank_term(term, rng=rng, today=today, per_learner=5, named=named)
    # Amina's mentors put her first, so the story "Amina was matched with her first choice" holds (Dr. Rivera
    # when Rivera is active; otherwise the first eligible mentor Amina ranked).
    for mentor_id in Preference.objects.filter(term=term, learner=amina).values_list("mentor_id", flat=True):
        MentorDecision.objects.get_or_create(
            term=term, mentor_id=mentor_id, learner=amina, defaults={"acceptable": True, "rank": 1}
        )
    Term.objects.filter(pk=term.pk).update(status=Term.Status.MATCHING)
    coordinator = User.objects.filter(email=f"coordinator@{DEMO_DOMAIN}").first()
    run = MatchRun.objects.create(
        term=term, method=MatchRun.Method.STABLE, seed=20260125, created_by=coordinator
    )
    run = services.match_run_execute(match_run=run)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        created = services.match_run_publish(match_run=run, user=coordinator, now=_aware(date(2026, 1, 28)))
    Mentorship.objects.filter(match_run=run).update(
        status=Mentorship.Status.COMPLETED,
        ended_at=_aware(term.ends_on),
        goals="See a full clinic day; practise taking a history; write a reflection each month.",
        last_activity_at=_aware(term.ends_on - timedelta(days=3)),
    )
    Term.objects.filter(pk=term.pk).update(status=Term.Status.CLOSED)
    return created


def seed_matching(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    named = dict(User.objects.filter(email=RIVERA).values_list("email", "mentor_profile__pk"))
    per_learner = 10
    made = 0
    for term in Term.objects.filter(status=Term.Status.OPEN).order_by("pk"):
        made += _rank_term(term, rng=rng, today=today, per_learner=per_learner, named=named)
    mentorships = _past_term(rng=rng, today=today, size=size, named=named)
    published = MatchRun.objects.filter(status=MatchRun.Status.PUBLISHED).aggregate(n=Count("pk"))["n"]
    return {
        "preferences": Preference.objects.count(),
        "preferences_added": made,
        "match_runs_published": published,
        "mentorships": Mentorship.objects.count(),
        "mentorships_added": mentorships,
    }
