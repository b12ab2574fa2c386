"""Get a seeded database ready for the load test and write the accounts locust signs in with.

The demo society leaves few writes to make: its learners miss requirements, its reviews are submitted, its
slots sit at the same hours for every mentor. So, in this load database only:
- reviewers get the demo TOTP secret (the site would otherwise send them to set one up) and their reviews of
  the cycle under review go back to draft, so they can score;
- a "Load test" program (no requirements, a running term, its own clinic, booking with your own mentor) gets
  ``LOAD_MENTORS`` cleared demo mentors and ``LOAD_LEARNERS`` adult learners, each learner matched to one
  mentor. A learner sees only their mentor's slots: two a day for 100 days, never overlapping, so the
  overlap and weekly rules (14 a week) let every listed slot be booked. Learners used before by another load
  run are left out when enough others exist.
- each load mentor has ``LOAD_PAST`` past sessions booked by their learners and not verified yet (before this
  week, so they do not count towards this week's limit): "verify hours" has real work.
Every learner in the accounts file is checked with the booking rules (``booking_eligibility_errors``) against
their mentor's first slot; anyone refused is left out and the reasons are printed.

Writes are set-based (bulk_create, one UPDATE per kind), so the large demo prepares in seconds. Run with the
project's Python and the same DATABASE_URL as the site. Needs factory-boy (the test extra).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

LOAD_MENTORS = int(os.environ.get("LOAD_MENTORS", "40"))
LOAD_LEARNERS = int(os.environ.get("LOAD_LEARNERS", "80"))
LOAD_PAST = int(os.environ.get("LOAD_PAST", "200"))  # past sessions waiting for verification, per mentor
FUTURE_DAYS = 100
DAY_HOURS = (8, 13)  # slot start hours, local time; slots last 2 hours (past ones 1 hour)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorfold.settings")
    import django

    django.setup()
    from allauth.mfa.models import Authenticator

    from mentorfold.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_TOTP_SECRET
    from mentorfold.accounts.models import User

    started = time.perf_counter()
    load = _load_program()
    reviewers = sorted(
        User.objects.filter(
            groups__name="reviewer", is_active=True, email__endswith=f"@{DEMO_DOMAIN}"
        ).values_list("email", flat=True)
    )
    has_totp = set(
        Authenticator.objects.filter(user__email__in=reviewers, type=Authenticator.Type.TOTP).values_list(
            "user__email", flat=True
        )
    )
    Authenticator.objects.bulk_create(
        Authenticator(user=user, type=Authenticator.Type.TOTP, data={"secret": DEMO_TOTP_SECRET})
        for user in User.objects.filter(email__in=set(reviewers) - has_totp)
    )
    accounts = {
        "password": DEMO_PASSWORD,
        "totp_secret": DEMO_TOTP_SECRET,
        "learners": load["learners"],
        "mentors": load["mentors"],
        "reviewers": reviewers,
        "coordinators": [f"coordinator@{DEMO_DOMAIN}"],
        "program": load["program"],
    }
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "accounts.json")
    out.write_text(json.dumps(accounts, indent=2))
    print(
        ", ".join(f"{k}: {len(v)}" for k, v in accounts.items() if isinstance(v, list)),
        "|",
        load["summary"],
        f"| prepared in {time.perf_counter() - started:.1f} s",
    )
    if load["refused"]:
        print("left out (booking rules refused them):", dict(load["refused"]))
    if not load["learners"] or not load["mentors"]:
        print("no learner or no mentor can take part: the load test would only read", file=sys.stderr)
        return 1
    return 0


def _load_program() -> dict[str, Any]:
    from datetime import date, datetime, timedelta
    from datetime import time as clock

    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from mentorfold.accounts.demo import DEMO_DOMAIN
    from mentorfold.accounts.models import LearnerProfile, MentorProfile, Role, mentor_cleared_q
    from mentorfold.grants.models import GrantCycle, Review
    from mentorfold.matching.models import Mentorship
    from mentorfold.programs import compliance
    from mentorfold.programs.models import Enrollment, MentorTermOptIn, Term
    from mentorfold.shadowing import services
    from mentorfold.shadowing.models import Booking, Slot
    from mentorfold.shadowing.tests.factories import ProgramFactory, SiteFactory, TermFactory

    now = timezone.now()
    today = timezone.localdate(now)

    def at(day: date, hour: int) -> datetime:
        return timezone.make_aware(datetime.combine(day, clock(hour)))

    drafts = Review.objects.filter(cycle__status=GrantCycle.Status.REVIEW).update(status=Review.Status.DRAFT)
    with transaction.atomic():
        # Terms of earlier load runs end yesterday: their slots leave the learners' lists.
        earlier = list(
            Term.objects.filter(program__name="Load test", ends_on__gte=today).values_list("pk", flat=True)
        )
        Term.objects.filter(pk__in=earlier).update(ends_on=today - timedelta(days=1))
        used_before = set(
            Enrollment.objects.filter(term__program__name="Load test").values_list("learner_id", flat=True)
        )
        program = ProgramFactory(
            name="Load test",
            slug=f"load-test-{now:%Y%m%d%H%M%S}",
            allows_open_booking=False,
            max_bookings_per_week=14,  # the highest the product allows
            max_hours_per_experience=500,  # the highest the product allows
        )
        term = TermFactory(
            program=program, starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=120)
        )
        site = SiteFactory(name=f"Load test clinic {program.pk}", max_learners_at_once=3)

        mentor_pool = (
            MentorProfile.objects.filter(
                mentor_cleared_q(), user__is_active=True, user__email__endswith=f"@{DEMO_DOMAIN}"
            )
            .select_related("user")
            .order_by("pk")
        )
        mentors = [
            m
            for m in mentor_pool[: LOAD_MENTORS * 2]
            if not compliance.mentor_blockers(m, program=program, site=site, on=today)
        ][:LOAD_MENTORS]
        adult_born_before = today.replace(year=today.year - 19)
        adults = LearnerProfile.objects.filter(
            user__is_active=True,
            user__email__endswith=f"@{DEMO_DOMAIN}",
            user__groups__name=Role.LEARNER,
            date_of_birth__lt=adult_born_before,
            stage__in=program.eligible_stages,
        )
        # Slots of their own mentor in another running term, or of any mentor in a running open-booking
        # program, would fill their list before the load program's: prefer learners without them.
        busy = adults.filter(
            Q(
                mentorships__status__in=[Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED],
                mentorships__term__ends_on__gte=today,
            )
            | Q(
                enrollments__status=Enrollment.Status.ACCEPTED,
                enrollments__term__ends_on__gte=today,
                enrollments__term__program__allows_open_booking=True,
            )
        ).values("pk")
        free = adults.exclude(pk__in=busy).select_related("user").order_by("pk")
        fresh = [lp for lp in free[: LOAD_LEARNERS + len(used_before)] if lp.pk not in used_before]
        learners = (fresh + [lp for lp in free[:LOAD_LEARNERS] if lp.pk in used_before])[:LOAD_LEARNERS]
        if len(learners) < LOAD_LEARNERS:  # a small society: take learners busy elsewhere too
            more = adults.exclude(pk__in=[lp.pk for lp in learners]).select_related("user").order_by("pk")
            learners += list(more[: LOAD_LEARNERS - len(learners)])

        site.mentors.add(*mentors)
        MentorTermOptIn.objects.bulk_create(
            MentorTermOptIn(term=term, mentor=m, capacity=50) for m in mentors
        )
        Enrollment.objects.bulk_create(
            Enrollment(term=term, learner=lp, status=Enrollment.Status.ACCEPTED, statement="Load test.")
            for lp in learners
        )
        mentor_of = {lp.pk: mentors[i % len(mentors)] for i, lp in enumerate(learners)} if mentors else {}
        Mentorship.objects.bulk_create(
            Mentorship(
                term=term, mentor=mentor_of[lp.pk], learner=lp, site=site, placed_manually_reason="Load test."
            )
            for lp in learners
            if lp.pk in mentor_of
        )
        Slot.objects.bulk_create(
            Slot(
                mentor=m,
                site=site,
                program=program,
                capacity=2,
                starts_at=at(today + timedelta(days=d), h),
                ends_at=at(today + timedelta(days=d), h + 2),
            )
            for m in mentors
            for d in range(1, FUTURE_DAYS + 1)
            for h in DAY_HOURS
        )

        # The booking rules themselves decide who takes part: each learner against their mentor's first slot.
        first_slot = {
            s.mentor_id: s
            for s in Slot.objects.filter(program=program)
            .select_related("site", "program", "mentor__user")
            .order_by("-starts_at")
        }
        refused: Counter[str] = Counter()
        ready = []
        for lp in learners:
            mentor = mentor_of.get(lp.pk)
            errors = (
                services.booking_eligibility_errors(learner=lp, slot=first_slot[mentor.pk], now=now)
                if mentor
                else []
            )
            for error in errors:
                refused[error.code or "refused"] += 1
            if mentor and not errors:
                ready.append(lp)

        # Past sessions, before this week, booked and waiting for the mentor to verify the hours.
        week_start = today - timedelta(days=today.weekday())
        learners_of: dict[int, list[LearnerProfile]] = {}
        for lp in ready:
            learners_of.setdefault(mentor_of[lp.pk].pk, []).append(lp)
        past = [
            Slot(
                mentor=m,
                site=site,
                program=program,
                capacity=2,
                starts_at=at(
                    week_start - timedelta(days=1 + j // len(DAY_HOURS)), DAY_HOURS[j % len(DAY_HOURS)]
                ),
                ends_at=at(
                    week_start - timedelta(days=1 + j // len(DAY_HOURS)), DAY_HOURS[j % len(DAY_HOURS)] + 1
                ),
            )
            for m in mentors
            if m.pk in learners_of
            for j in range(LOAD_PAST)
        ]
        Slot.objects.bulk_create(past)  # sets the keys (PostgreSQL, SQLite 3.35+)
        counters: Counter[int] = Counter()
        bookings = []
        for slot in past:
            theirs = learners_of[slot.mentor_id]
            bookings.append(Booking(slot=slot, learner=theirs[counters[slot.mentor_id] % len(theirs)]))
            counters[slot.mentor_id] += 1
        Booking.objects.bulk_create(bookings)

    used_mentors = sorted({mentor_of[lp.pk].user.email for lp in ready})
    return {
        "program": program.pk,
        "learners": sorted(lp.user.email for lp in ready),
        "mentors": used_mentors,
        "refused": refused,
        "summary": (
            f"load program {program.pk}: {len(used_mentors)} mentors, {len(ready)} learners, "
            f"{len(mentors) * FUTURE_DAYS * len(DAY_HOURS)} open slots, {len(bookings)} past sessions to verify; "
            f"{drafts} reviews back to draft; {len(earlier)} earlier load terms ended"
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
