"""Demo shadowing: Dr. Rivera's slots, Amina's verified hours and certificate, pending verifications, feedback.

Runs after accounts → programs → matching. Uses the demo sites and programs if they exist (else does nothing).
Idempotent: a mentor who already has slots gets no new ones, and bookings are only made for new slots.
"""

from __future__ import annotations

import contextlib
import random
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Program, Site

from . import services
from .models import Booking, HoursCertificate, PatientFeedback, Slot

PRE_MED = "pre-med-clinical-exposure"
HIGH_SCHOOL = "high-school-summer-shadowing"
LARGE_MENTORS = 1000
NOTES = "Clinic starts 8:00 — come 10 minutes early. Wear closed-toe shoes and bring a water bottle."


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _site_of(mentor: MentorProfile, fallback: Site) -> Site:
    return mentor.sites.order_by("pk").first() or fallback


def _slot(
    mentor: MentorProfile, site: Site, program: Program, day: date, hours: int = 4, **extra: object
) -> Slot:
    starts = _at(day, 8)
    return Slot(
        mentor=mentor,
        site=site,
        program=program,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=min(2, site.max_learners_at_once),
        notes=NOTES,
        **extra,
    )


def _verified(slot: Slot, learner_id: int, rng: random.Random) -> Booking:
    return Booking(
        slot=slot,
        learner_id=learner_id,
        status=Booking.Status.COMPLETED,
        checked_in_at=slot.starts_at,
        checked_out_at=slot.ends_at,
        verified_minutes=slot.minutes,
        verified_by=slot.mentor.user,
        verified_at=slot.ends_at + timedelta(hours=6),
        patients_consented=rng.randint(4, 10),
        patients_declined=rng.randint(0, 2),
    )


def seed_shadowing(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    sites = list(Site.objects.order_by("pk"))
    programs = {p.slug: p for p in Program.objects.all()}
    rivera = (
        MentorProfile.objects.select_related("user").filter(user__email=f"dr.rivera@{DEMO_DOMAIN}").first()
    )
    amina = (
        LearnerProfile.objects.select_related("user")
        .filter(user__email=f"amina.hassan@{DEMO_DOMAIN}")
        .first()
    )
    if not sites or not programs or rivera is None or amina is None:
        return {"slots": 0, "bookings": 0}
    pre_med = programs.get(PRE_MED) or next(iter(programs.values()))
    rivera_site = _site_of(rivera, sites[0])
    second = (
        MentorProfile.objects.select_related("user")
        .filter(user__email__endswith=f"@{DEMO_DOMAIN}", status=MentorProfile.Status.ACTIVE)
        .exclude(specialty__iexact=rivera.specialty)
        .order_by("pk")
        .first()
    )

    if not Slot.objects.filter(mentor=rivera).exists():
        _seed_rivera_and_amina(rivera, second, amina, rivera_site, sites, pre_med, rng, today)
        _seed_minh(programs, rivera, sites, today)

    if not PatientFeedback.objects.exists():
        comments = [
            "",
            "",
            "The student was polite and quiet.",
            "Fine with me, the doctor explained more than usual.",
            "",
        ]
        PatientFeedback.objects.bulk_create(
            [
                PatientFeedback(
                    site=rivera_site,
                    mentor=rivera if i % 2 == 0 else None,
                    q1_learner_ok=rng.choices(["yes", "unsure", "no"], [85, 10, 5])[0],
                    q2_enough_time=rng.choices(["yes", "more", "less"], [60, 30, 10])[0],
                    comment=comments[i % len(comments)],
                )
                for i in range(8)
            ]
        )

    if size == "large":
        _seed_large(sites, pre_med, rng, today)

    return {
        "slots": Slot.objects.count(),
        "bookings": Booking.objects.count(),
        "verified_bookings": Booking.objects.filter(verified_at__isnull=False).count(),
        "patient_feedback": PatientFeedback.objects.count(),
        "certificates": HoursCertificate.objects.count(),
    }


def _seed_rivera_and_amina(
    rivera: MentorProfile,
    second: MentorProfile | None,
    amina: LearnerProfile,
    rivera_site: Site,
    sites: list[Site],
    program: Program,
    rng: random.Random,
    today: date,
) -> None:
    # Past: four mornings with Dr. Rivera and two with a second mentor (another specialty): 24 verified hours.
    past_days = [today - timedelta(days=d) for d in (54, 47, 40, 33)]
    rivera_past = Slot.objects.bulk_create([_slot(rivera, rivera_site, program, day) for day in past_days])
    bookings = [_verified(slot, amina.pk, rng) for slot in rivera_past]
    if second is not None:
        second_site = _site_of(second, sites[-1])
        second_past = Slot.objects.bulk_create(
            [_slot(second, second_site, program, today - timedelta(days=d)) for d in (26, 19)]
        )
        bookings += [_verified(slot, amina.pk, rng) for slot in second_past]
    # Pending: two recent sessions with other learners that Dr. Rivera has not verified yet.
    others = list(
        LearnerProfile.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}", stage=amina.stage)
        .exclude(pk=amina.pk)
        .order_by("pk")[:2]
    )
    pending_slots = Slot.objects.bulk_create(
        [_slot(rivera, rivera_site, program, today - timedelta(days=d)) for d in (6, 4)][: len(others)]
    )
    for slot, learner in zip(pending_slots, others, strict=True):
        bookings.append(
            Booking(slot=slot, learner=learner, checked_in_at=slot.starts_at, checked_out_at=slot.ends_at)
        )
    Booking.objects.bulk_create(bookings)
    # Future: Tuesday and Thursday mornings for 26 weeks, so the calendar and the booking page have something.
    start = today + timedelta(days=1)
    future = []
    for offset in range(0, 26 * 7):
        day = start + timedelta(days=offset)
        if day.weekday() in (1, 3):
            future.append(_slot(rivera, rivera_site, program, day, series=None))
    Slot.objects.bulk_create(future)
    if not HoursCertificate.objects.filter(learner=amina).exists():
        try:
            certificate = services.certificate_issue(learner=amina, now=_at(today, 12))
        except ValidationError:
            return
        HoursCertificate.objects.filter(pk=certificate.pk).update(
            issued_at=_at(today - timedelta(days=10), 12)
        )


def _seed_minh(programs: dict[str, Program], rivera: MentorProfile, sites: list[Site], today: date) -> None:
    """An upcoming summer visit for Minh with his matched mentor — only if every rule lets him book it."""
    minh = LearnerProfile.objects.filter(user__email=f"minh.tran@{DEMO_DOMAIN}").first()
    program = programs.get(HIGH_SCHOOL)
    if minh is None or program is None:
        return
    term = program.terms.order_by("starts_on").first()
    if term is None:
        return
    mentorship = (
        Mentorship.objects.select_related("mentor").filter(learner=minh, term=term).order_by("pk").first()
    )
    mentor = mentorship.mentor if mentorship else rivera
    site = next((s for s in mentor.sites.order_by("pk") if s.min_age <= minh.age_on(term.starts_on)), None)
    if site is None:
        site = next((s for s in sites if s.min_age <= minh.age_on(term.starts_on)), sites[0])
    day = term.starts_on + timedelta(days=(1 - term.starts_on.weekday()) % 7)
    slot = Slot.objects.create(
        mentor=mentor,
        site=site,
        program=program,
        starts_at=_at(day, 9),
        ends_at=_at(day, 13),
        capacity=1,
        notes=NOTES,
    )
    # If Minh is not cleared (or not matched) for this visit yet, the open slot stays for the demo.
    with contextlib.suppress(ValidationError):
        services.booking_create(learner=minh, slot=slot, now=_at(today, 12))


def _seed_large(sites: list[Site], program: Program, rng: random.Random, today: date) -> None:
    """Many mentors with past verified sessions and future slots, written in bulk."""
    # The same first mentors every run; only those still without slots get some (so a rerun adds nothing).
    first = MentorProfile.objects.filter(status=MentorProfile.Status.ACTIVE).order_by("pk")[:LARGE_MENTORS]
    with_slots = set(Slot.objects.filter(mentor__in=first).values_list("mentor_id", flat=True).distinct())
    mentors = [m for m in first.select_related("user") if m.pk not in with_slots]
    if not mentors:
        return
    learners = list(
        LearnerProfile.objects.filter(stage__in=program.eligible_stages)
        .values_list("pk", flat=True)
        .order_by("pk")[:5000]
    )
    slots = []
    for mentor in mentors:
        site = rng.choice(sites)
        for week in range(-4, 6):
            slots.append(_slot(mentor, site, program, today + timedelta(days=7 * week + rng.randint(1, 5))))
    created = Slot.objects.bulk_create(slots, batch_size=2000)
    bookings = []
    for slot in created:
        if not learners:
            break
        learner_id = rng.choice(learners)
        if slot.starts_at.date() < today:
            bookings.append(_verified(slot, learner_id, rng))
        elif rng.random() < 0.3:
            bookings.append(Booking(slot=slot, learner_id=learner_id))
    Booking.objects.bulk_create(bookings, batch_size=2000, ignore_conflicts=True)
