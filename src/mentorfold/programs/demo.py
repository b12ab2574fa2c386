"""Demo programs, clinic sites, open terms, enrollments, mentor opt-ins and compliance records.

Idempotent: programs, sites, terms and requirements are found by name/slug; enrollments and opt-ins are unique
per term; a record is only added for a (person, requirement) that has none. Large size uses bulk_create.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from mentorfold.accounts.demo import DEMO_DOMAIN
from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile, Organization, User
from mentorfold.core.bulk import insert_rows

from . import services
from .demo_translations import seed_consent_translations
from .models import Enrollment, MentorTermOptIn, Program, Requirement, RequirementRecord, Site, Term

PROGRAMS = [
    {
        "slug": "high-school-summer-shadowing",
        "name": "High-school summer shadowing",
        "description": (
            "Six summer weeks for high-school students: shadow a family physician or pediatrician in a "
            "community clinic, meet medical students, and learn how people become doctors. Students only "
            "observe; patients can always say no to having a student in the room."
        ),
        "eligible_stages": ["high_school"],
        "min_age": 16,
        "max_hours_per_experience": 40,
        "region": "King County",
        "term": ("Summer 2027", date(2027, 6, 21), date(2027, 8, 1)),
        "sites": ["Rainier Valley Community Clinic", "Eastside Family Health Center"],
    },
    {
        "slug": "pre-med-clinical-exposure",
        "name": "Pre-med clinical exposure",
        "description": (
            "For college students on the pre-med path: regular clinic shadowing across specialties, with "
            "verified hours for medical-school applications and a mentor to talk through the path."
        ),
        "eligible_stages": ["undergraduate"],
        "min_age": 18,
        "max_hours_per_experience": 40,
        "region": "King County",
        "term": ("Winter–Spring 2027", date(2027, 1, 11), date(2027, 6, 11)),
        "sites": [
            "Rainier Valley Community Clinic",
            "Eastside Family Health Center",
            "Harborview Teaching Clinics",
        ],
    },
    {
        "slug": "medical-student-longitudinal-mentorship",
        "name": "Medical student longitudinal mentorship",
        "description": (
            "A year with the same physician mentor: monthly clinic sessions, career advice and help with "
            "research and residency applications."
        ),
        "eligible_stages": ["medical_student"],
        "min_age": 18,
        "max_hours_per_experience": 120,
        "region": "Washington State",
        "term": ("2027", date(2027, 1, 4), date(2027, 12, 17)),
        "sites": ["Harborview Teaching Clinics", "Eastside Family Health Center"],
    },
    {
        "slug": "resident-near-peer-mentoring",
        "name": "Resident near-peer mentoring",
        "description": (
            "Residents are paired with an attending mentor for well-being, teaching skills and career "
            "planning, and mentor medical students a few steps behind them."
        ),
        "eligible_stages": ["resident"],
        "min_age": 18,
        "max_hours_per_experience": 60,
        "region": "Washington State",
        "term": ("2027", date(2027, 1, 4), date(2027, 12, 17)),
        "sites": ["Harborview Teaching Clinics"],
    },
]

SITES = [
    {
        "name": "Rainier Valley Community Clinic",
        "address": "3722 S Hudson St",
        "city": "Seattle",
        "min_age": 16,
        "max_learners_at_once": 2,
        "dress_code": "Business casual and closed-toe shoes. No perfume.",
        "arrival_notes": "Street parking on Hudson St; bus 7 stops outside. Check in at the front desk 10 minutes early.",
        "tb": False,
    },
    {
        "name": "Eastside Family Health Center",
        "address": "1100 112th Ave NE",
        "city": "Bellevue",
        "min_age": 16,
        "max_learners_at_once": 3,
        "dress_code": "Business casual; the clinic lends a short white coat.",
        "arrival_notes": "Free parking in the garage, level 2. Ask for the learner badge at reception.",
        "tb": False,
    },
    {
        "name": "Harborview Teaching Clinics",
        "address": "325 9th Ave",
        "city": "Seattle",
        "min_age": 18,
        "max_learners_at_once": 4,
        "dress_code": "Business attire, hospital ID visible at all times, no open-toe shoes.",
        "arrival_notes": "Visitor parking in the View Park garage. Come to the Education Office, 2nd floor, Ninth & Jefferson Building.",
        "tb": True,
    },
]

SUBMITTED_ON = date(2026, 10, 20)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _sites() -> dict[str, Site]:
    out = {}
    for spec in SITES:
        health_system = Organization.objects.filter(
            name=spec["name"], kind=Organization.Kind.HEALTH_SYSTEM
        ).first()
        site, _created = Site.objects.get_or_create(
            name=spec["name"],
            defaults={
                "address": spec["address"],
                "city": spec["city"],
                "min_age": spec["min_age"],
                "max_learners_at_once": spec["max_learners_at_once"],
                "dress_code": spec["dress_code"],
                "arrival_notes": spec["arrival_notes"],
                "health_system": health_system,
            },
        )
        Requirement.objects.get_or_create(
            site=site,
            kind=Requirement.Kind.IMMUNIZATION,
            applies_to=Requirement.AppliesTo.LEARNER,
            defaults={
                "name": "Immunization record",
                "text": "MMR, varicella, hepatitis B and this season's flu shot.",
                "requires_document": True,
            },
        )
        if spec["tb"]:
            Requirement.objects.get_or_create(
                site=site,
                kind=Requirement.Kind.TB_TEST,
                applies_to=Requirement.AppliesTo.LEARNER,
                defaults={
                    "name": "TB test",
                    "text": "A negative TB test from the last 12 months.",
                    "requires_document": True,
                    "valid_for_days": 365,
                },
            )
        if health_system is not None:
            mentor_ids = list(
                MentorProfile.objects.filter(organization=health_system).values_list("pk", flat=True)
            )
            Site.mentors.through.objects.bulk_create(
                [Site.mentors.through(site_id=site.pk, mentorprofile_id=pk) for pk in mentor_ids],
                ignore_conflicts=True,
                batch_size=5000,
            )
        out[site.name] = site
    return out


def _programs(sites: dict[str, Site]) -> dict[str, tuple[Program, Term]]:
    out = {}
    for spec in PROGRAMS:
        program = Program.objects.filter(slug=spec["slug"]).first()
        if program is None:
            program = services.program_create(
                actor=None,
                name=spec["name"],
                slug=spec["slug"],
                description=spec["description"],
                eligible_stages=spec["eligible_stages"],
                min_age=spec["min_age"],
                max_hours_per_experience=spec["max_hours_per_experience"],
                region=spec["region"],
            )
        program.sites.add(*[sites[name] for name in spec["sites"]])
        name, starts, ends = spec["term"]
        term, _created = Term.objects.get_or_create(
            program=program,
            name=name,
            defaults={
                "application_opens": _aware(date(2026, 10, 1)),
                "application_closes": _aware(date(2027, 4, 30)),
                "starts_on": starts,
                "ends_on": ends,
                "status": Term.Status.OPEN,
            },
        )
        out[spec["slug"]] = (program, term)
    return out


def seed_programs(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    sites = _sites()
    programs = _programs(sites)
    seed_consent_translations(program for program, _term in programs.values())
    by_stage = {stage: pt for pt in programs.values() for stage in pt[0].eligible_stages}

    # --- enrollments: every demo learner applied to the program for their stage ---------------------------
    learners = list(
        LearnerProfile.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}")
        .values_list("pk", "user_id", "stage", "date_of_birth", "user__email")
        .order_by("pk")
    )
    guardians = dict(
        GuardianLink.objects.filter(status=GuardianLink.Status.VERIFIED, guardian__isnull=False).values_list(
            "learner_id", "guardian_id"
        )
    )
    amina = f"amina.hassan@{DEMO_DOMAIN}"
    minh = f"minh.tran@{DEMO_DOMAIN}"
    coordinator = User.objects.filter(email=f"coordinator@{DEMO_DOMAIN}").first()

    def age(dob: date) -> int:
        return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))

    enrollments = []
    plans: dict[int, str] = {}  # learner pk -> compliance plan
    enrolled = set(
        Enrollment.objects.filter(term__in=[t for _p, t in programs.values()]).values_list(
            "learner_id", flat=True
        )
    )
    for pk, _user_id, stage, dob, email in learners:
        program, term = by_stage[stage]
        minor = age(dob) < 18
        if email in (amina, minh):
            status, plan = Enrollment.Status.ACCEPTED, "complete"
        else:
            roll = rng.random()
            plan = rng.choices(["complete", "submitted", "expired", "partial"], [70, 15, 7, 8])[0]
            if minor and pk not in guardians:
                status, plan = Enrollment.Status.APPLIED, "partial"
            elif roll < 0.70:
                status = Enrollment.Status.ACCEPTED
            elif roll < 0.85:
                status = Enrollment.Status.APPLIED
            elif roll < 0.95:
                status = Enrollment.Status.WAITLISTED
            else:
                status = Enrollment.Status.DECLINED
        plans[pk] = plan
        decided = status != Enrollment.Status.APPLIED
        interests = rng.choice(
            ["primary care", "pediatrics", "surgery", "public health", "emergency medicine"]
        )
        availability = rng.sample(["mon-am", "tue-pm", "wed-am", "thu-pm", "fri-am", "sat-am"], 3)
        if pk in enrolled:  # a second run draws the same numbers but adds nothing
            continue
        enrollments.append(
            Enrollment(
                term=term,
                learner_id=pk,
                statement="I want to see how physicians care for people in my community.",
                interests=interests,
                availability=availability,
                status=status,
                decision_reason=""
                if status != Enrollment.Status.DECLINED
                else "The term is full; please apply again next term.",
                decided_by=coordinator if decided else None,
                decided_at=_aware(date(2026, 10, 25)) if decided else None,
            )
        )
    Enrollment.objects.bulk_create(enrollments, ignore_conflicts=True, batch_size=2000)

    # --- compliance records ----------------------------------------------------------------------------
    program_reqs: dict[int, list[Requirement]] = {}
    for requirement in Requirement.objects.filter(program__isnull=False):
        program_reqs.setdefault(requirement.program_id, []).append(requirement)
    site_reqs: dict[int, list[Requirement]] = {}
    for requirement in Requirement.objects.filter(site__isnull=False):
        site_reqs.setdefault(requirement.site_id, []).append(requirement)
    existing = set(RequirementRecord.objects.values_list("person_id", "requirement_id"))
    # Plain rows for one prepared INSERT: ORM bulk_create spends most of the large seed building objects.
    records: list[tuple[object, ...]] = []
    valid_until = today + timedelta(days=300)
    signed_at = _aware(SUBMITTED_ON)
    reviewed_at = _aware(SUBMITTED_ON + timedelta(days=2))
    coordinator_id = coordinator.pk if coordinator else None
    adapt_day = connection.ops.adapt_datefield_value
    signed_at_db = connection.ops.adapt_datetimefield_value(signed_at)
    reviewed_at_db = connection.ops.adapt_datetimefield_value(reviewed_at)

    def add(person_id: int, requirement: Requirement, status: str, **extra: object) -> None:
        if (person_id, requirement.pk) in existing:
            return
        existing.add((person_id, requirement.pk))
        signs = not requirement.requires_document
        reviewed = status != RequirementRecord.Status.SUBMITTED
        expires = extra.get(
            "expires_on", valid_until if requirement.kind in ("immunization", "tb_test") else None
        )
        records.append(
            (
                requirement.pk,
                person_id,
                status,
                signed_at_db,
                adapt_day(expires),
                str(extra.get("signed_name", "")) if signs else "",
                extra.get("signed_by_id", person_id) if signs else None,
                signed_at_db if signs else None,
                "192.0.2.10" if signs else None,
                requirement.version,
                coordinator_id if reviewed else None,
                reviewed_at_db if reviewed else None,
                "",
            )
        )

    names = dict(User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").values_list("pk", "full_name"))
    program_sites = {
        programs[spec["slug"]][0].pk: [sites[name] for name in spec["sites"]] for spec in PROGRAMS
    }
    for pk, user_id, stage, dob, _email in learners:
        program, _term = by_stage[stage]
        minor = age(dob) < 18
        plan = plans[pk]
        reqs = [r for r in program_reqs.get(program.pk, []) if r.applies_to == Requirement.AppliesTo.LEARNER]
        for site in program_sites[program.pk]:
            if age(dob) >= site.min_age:  # no site paperwork for a clinic the learner is too young for
                reqs += site_reqs.get(site.pk, [])
        for i, requirement in enumerate(reqs):
            if requirement.minors_only and not minor:
                continue
            signer = user_id
            if requirement.kind == Requirement.Kind.GUARDIAN_CONSENT:
                if pk not in guardians:
                    continue
                signer = guardians[pk]
            status = RequirementRecord.Status.APPROVED
            expires = None
            if plan == "submitted" and i == len(reqs) - 1:
                status = RequirementRecord.Status.SUBMITTED
            elif plan == "expired" and requirement.kind == Requirement.Kind.IMMUNIZATION:
                expires = date(2026, 3, 3)
            elif plan == "partial" and i >= 1:
                if i == 1:
                    status = RequirementRecord.Status.SUBMITTED
                else:
                    continue
            extra: dict[str, object] = {"signed_name": names.get(signer, ""), "signed_by_id": signer}
            if expires is not None:
                extra["expires_on"] = expires
            add(user_id, requirement, status, **extra)

    # --- mentors opt in to the terms for the stages they like; background checks --------------------------
    mentors = list(
        # Dr. Rivera is the demo mentor login: she takes part even while her onboarding is being finished.
        MentorProfile.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}")
        .filter(Q(status=MentorProfile.Status.ACTIVE) | Q(user__email=f"dr.rivera@{DEMO_DOMAIN}"))
        .values_list("pk", "user_id", "capacity", "user__email")
        .order_by("pk")
    )
    terms = [term for _p, term in programs.values()]
    opted = set(MentorTermOptIn.objects.filter(term__in=terms).values_list("term_id", "mentor_id"))
    opt_ins = []
    for i, (pk, user_id, capacity, email) in enumerate(mentors):
        chosen = terms[:2] if email == f"dr.rivera@{DEMO_DOMAIN}" else [terms[i % 4], terms[(i + 1) % 4]]
        for term in chosen:
            half_days = rng.sample(["mon-am", "mon-pm", "tue-am", "wed-pm", "thu-am", "fri-pm"], 3)
            if (term.pk, pk) not in opted:
                opt_ins.append(
                    MentorTermOptIn(
                        term=term, mentor_id=pk, capacity=max(1, capacity), availability=half_days
                    )
                )
            for requirement in program_reqs.get(term.program_id, []):
                if requirement.applies_to == Requirement.AppliesTo.MENTOR:
                    status = (
                        RequirementRecord.Status.SUBMITTED
                        if i % 12 == 5
                        else RequirementRecord.Status.APPROVED
                    )
                    add(user_id, requirement, status, expires_on=today + timedelta(days=500))
    MentorTermOptIn.objects.bulk_create(opt_ins, ignore_conflicts=True, batch_size=2000)
    insert_rows(
        RequirementRecord,
        [
            "requirement_id",
            "person_id",
            "status",
            "submitted_at",
            "expires_on",
            "signed_name",
            "signed_by_id",
            "signed_at",
            "signed_ip",
            "text_version",
            "reviewed_by_id",
            "reviewed_at",
            "review_note",
        ],
        records,
    )

    by_status = dict(RequirementRecord.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "programs": Program.objects.count(),
        "sites": Site.objects.count(),
        "terms": Term.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "mentor_opt_ins": MentorTermOptIn.objects.count(),
        "records_approved": by_status.get("approved", 0),
        "records_waiting": by_status.get("submitted", 0),
    }
