"""Demo people: organisations, mentors, learners (some minors with guardians), reviewers, a coordinator.

Idempotent: every person has a deterministic e-mail, rows are inserted with ``ignore_conflicts`` and
re-read by e-mail, so running the seed twice gives the same counts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from mentorfold.core.demo_names import (
    FIRST_NAMES,
    HEALTH_SYSTEMS,
    INTERESTS,
    LANGUAGES,
    LAST_NAMES,
    SCHOOLS,
    SPECIALTIES,
)

from .models import (
    GuardianLink,
    Language,
    LearnerProfile,
    MentorProfile,
    Organization,
    ReviewerProfile,
    Role,
    User,
)

DEMO_DOMAIN = "demo.mentorfold.org"
DEMO_PASSWORD = "mentorfold-demo"  # noqa: S105 - published demo password, printed by make run
# A fixed TOTP secret for the demo coordinator and reviewer, so a demo can add it to an authenticator app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPMENTORFOLDDEMO23"  # noqa: S105 - demo only

# People behind the demo logins; generated names avoid them so "Minh Tran" is always the learner.
NAMED_PEOPLE = frozenset(
    {"Jordan Ellis", "Maria Rivera", "Amina Hassan", "Minh Tran", "Lan Tran", "Samuel Okafor"}
)

SIZES = {
    "small": {"mentors": 20, "learners": 80, "reviewers": 6},
    "large": {"mentors": 5000, "learners": 20000, "reviewers": 120},
}


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    note: str


DEMO_LOGINS = [
    DemoLogin("coordinator", f"coordinator@{DEMO_DOMAIN}", "asks for an authenticator code"),
    DemoLogin("mentor", f"dr.rivera@{DEMO_DOMAIN}", "family medicine"),
    DemoLogin("adult learner", f"amina.hassan@{DEMO_DOMAIN}", "pre-med, 20"),
    DemoLogin("minor learner", f"minh.tran@{DEMO_DOMAIN}", "high school, 16"),
    DemoLogin("guardian", f"lan.tran@{DEMO_DOMAIN}", "Minh's parent"),
    DemoLogin("reviewer", f"reviewer@{DEMO_DOMAIN}", "asks for an authenticator code"),
]


def _years_ago(today: date, years: int, rng: random.Random) -> date:
    return today - timedelta(days=int(years * 365.25) + rng.randint(0, 300))


def _fill_onboarding(today: date) -> int:
    """Tick the onboarding checklist of demo mentors that lack it (idempotent; uses no random draws).

    Active mentors get orientation and a verified licence; attendings also a background check, so residents
    show a mentor who hosts adults only. Onboarding mentors have attended orientation and wait for the rest.
    """
    todo = list(
        MentorProfile.objects.filter(
            user__email__endswith=f"@{DEMO_DOMAIN}", orientation_completed_on__isnull=True
        )
    )
    for mentor in todo:
        mentor.orientation_completed_on = today - timedelta(days=90)
        if mentor.status == MentorProfile.Status.ACTIVE:
            mentor.licence_state = "WA"
            mentor.licence_number = f"MD{60000 + mentor.pk:06d}"
            mentor.licence_verified_on = today - timedelta(days=80)
            if mentor.career_stage != MentorProfile.CareerStage.RESIDENT:
                mentor.background_check_verified_on = today - timedelta(days=70)
                mentor.background_check_expires_on = today + timedelta(days=660)
    MentorProfile.objects.bulk_update(
        todo,
        [
            "orientation_completed_on",
            "licence_state",
            "licence_number",
            "licence_verified_on",
            "background_check_verified_on",
            "background_check_expires_on",
        ],
        batch_size=1000,
    )
    return len(todo)


def seed_people(*, size: str, rng: random.Random, today: date) -> dict[str, int]:
    counts = SIZES[size]
    password = make_password(DEMO_PASSWORD)

    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})
    languages = list(Language.objects.order_by("code"))
    english = next(lang for lang in languages if lang.code == "en")
    for name, city in HEALTH_SYSTEMS:
        Organization.objects.get_or_create(
            name=name, kind=Organization.Kind.HEALTH_SYSTEM, defaults={"city": city, "state": "WA"}
        )
    for name, kind, city in SCHOOLS:
        Organization.objects.get_or_create(name=name, kind=kind, defaults={"city": city, "state": "WA"})
    clinics = list(Organization.objects.filter(kind=Organization.Kind.HEALTH_SYSTEM).order_by("name"))
    schools_by_kind: dict[str, list[Organization]] = {}
    for org in Organization.objects.exclude(kind=Organization.Kind.HEALTH_SYSTEM).order_by("name"):
        schools_by_kind.setdefault(org.kind, []).append(org)

    def person(i: int, prefix: str) -> tuple[str, str]:
        first = FIRST_NAMES[(i * 7 + len(prefix)) % len(FIRST_NAMES)]
        last_index = (i * 13 + 3 * len(prefix)) % len(LAST_NAMES)
        if f"{first} {LAST_NAMES[last_index]}" in NAMED_PEOPLE:  # never a double of a demo login
            last_index = (last_index + 1) % len(LAST_NAMES)
        last = LAST_NAMES[last_index]
        return f"{first} {last}", f"{prefix}{i:05d}.{first.lower()}.{last.lower()}@{DEMO_DOMAIN}"

    # --- named demo logins -------------------------------------------------------------------------
    named = [
        ("Jordan Ellis", f"coordinator@{DEMO_DOMAIN}", [Role.COORDINATOR], True),
        ("Maria Rivera", f"dr.rivera@{DEMO_DOMAIN}", [Role.MENTOR], False),
        ("Amina Hassan", f"amina.hassan@{DEMO_DOMAIN}", [Role.LEARNER], False),
        ("Minh Tran", f"minh.tran@{DEMO_DOMAIN}", [Role.LEARNER], False),
        ("Lan Tran", f"lan.tran@{DEMO_DOMAIN}", [Role.GUARDIAN], False),
        ("Samuel Okafor", f"reviewer@{DEMO_DOMAIN}", [Role.REVIEWER], False),
    ]
    rows: list[tuple[str, str, list[Role]]] = [(n, e, r) for n, e, r, _s in named]
    mentor_rows = [person(i, "mentor") for i in range(counts["mentors"])]
    learner_rows = [person(i, "learner") for i in range(counts["learners"])]
    reviewer_rows = [person(i, "reviewer") for i in range(counts["reviewers"])]
    rows += [(n, e, [Role.MENTOR]) for n, e in mentor_rows]
    rows += [(n, e, [Role.LEARNER]) for n, e in learner_rows]
    rows += [(n, e, [Role.REVIEWER]) for n, e in reviewer_rows]

    User.objects.bulk_create(
        [
            User(email=e, full_name=n, password=password, is_staff=(e.startswith("coordinator@")))
            for n, e, _r in rows
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    users = dict(User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").values_list("email", "pk"))
    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=users[e], email=e, verified=True, primary=True) for _n, e, _r in rows],
        ignore_conflicts=True,
        batch_size=2000,
    )
    # The roles' groups come from a data migration, but a test database flushed between tests has lost them.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    groups = {g.name: g.pk for g in Group.objects.all()}
    membership = User.groups.through
    membership.objects.bulk_create(
        [membership(user_id=users[e], group_id=groups[r.value]) for _n, e, roles in rows for r in roles],
        ignore_conflicts=True,
        batch_size=5000,
    )
    coordinator = User.objects.get(email=f"coordinator@{DEMO_DOMAIN}")
    if not coordinator.is_superuser:
        User.objects.filter(pk=coordinator.pk).update(is_superuser=True, is_staff=True)
    for email in (f"coordinator@{DEMO_DOMAIN}", f"reviewer@{DEMO_DOMAIN}"):
        Authenticator.objects.get_or_create(
            user_id=users[email],
            type=Authenticator.Type.TOTP,
            defaults={"data": {"secret": DEMO_TOTP_SECRET}},
        )

    # --- mentors -----------------------------------------------------------------------------------
    mentor_emails = [f"dr.rivera@{DEMO_DOMAIN}"] + [e for _n, e in mentor_rows]
    mentor_profiles = []
    for i, email in enumerate(mentor_emails):
        resident = i % 9 == 8
        mentor_profiles.append(
            MentorProfile(
                user_id=users[email],
                specialty="Family medicine" if i == 0 else SPECIALTIES[rng.randrange(len(SPECIALTIES))],
                career_stage=MentorProfile.CareerStage.RESIDENT
                if resident
                else MentorProfile.CareerStage.ATTENDING,
                organization=clinics[i % len(clinics)] if size == "large" else clinics[i % 3],
                capacity=rng.choice([1, 1, 2, 2, 2, 3, 4]),
                years_in_practice=0 if resident else rng.randint(2, 35),
                accepting_learners=rng.random() > 0.1,
                status=MentorProfile.Status.ACTIVE if i == 0 or i % 10 else MentorProfile.Status.ONBOARDING,
                bio="I practise in a community clinic and love teaching curious students."
                if i == 0
                else "Happy to host learners in clinic and talk about the path to medicine.",
            )
        )
    MentorProfile.objects.bulk_create(mentor_profiles, ignore_conflicts=True, batch_size=2000)
    _fill_onboarding(today)

    # --- learners ----------------------------------------------------------------------------------
    learner_specs: list[tuple[str, str, date, Organization | None]] = [
        (
            f"amina.hassan@{DEMO_DOMAIN}",
            LearnerProfile.Stage.UNDERGRADUATE,
            _years_ago(today, 20, rng),
            schools_by_kind["university"][0],
        ),
        (
            f"minh.tran@{DEMO_DOMAIN}",
            LearnerProfile.Stage.HIGH_SCHOOL,
            _years_ago(today, 16, rng),
            schools_by_kind["school"][0],
        ),
    ]
    stage_cycle = [
        (LearnerProfile.Stage.HIGH_SCHOOL, (15, 18), "school"),
        (LearnerProfile.Stage.UNDERGRADUATE, (18, 23), "university"),
        (LearnerProfile.Stage.UNDERGRADUATE, (18, 23), "university"),
        (LearnerProfile.Stage.MEDICAL_STUDENT, (22, 30), "medical_school"),
        (LearnerProfile.Stage.RESIDENT, (26, 34), "residency"),
    ]
    for i, (_n, email) in enumerate(learner_rows):
        stage, (lo, hi), kind = stage_cycle[i % len(stage_cycle)]
        age = rng.randint(lo, hi - 1)
        learner_specs.append((email, stage, _years_ago(today, age, rng), rng.choice(schools_by_kind[kind])))
    LearnerProfile.objects.bulk_create(
        [
            LearnerProfile(
                user_id=users[email],
                stage=stage,
                date_of_birth=dob,
                school=school,
                interests=", ".join(rng.sample(INTERESTS, 2)),
                first_generation=rng.choice([True, False, None]),
                under_represented=rng.choice([True, False, None]),
            )
            for email, stage, dob, school in learner_specs
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )

    # --- languages (everyone speaks English; many speak another language too) -----------------------
    mentor_ids = dict(
        MentorProfile.objects.filter(user__email__endswith=DEMO_DOMAIN).values_list("user_id", "pk")
    )
    learner_ids = dict(
        LearnerProfile.objects.filter(user__email__endswith=DEMO_DOMAIN).values_list("user_id", "pk")
    )
    others = [lang for lang in languages if lang.code != "en"]
    mentor_langs = MentorProfile.languages.through
    learner_langs = LearnerProfile.languages.through
    mentor_lang_rows = []
    for uid, pk in sorted(mentor_ids.items()):
        mentor_lang_rows.append(mentor_langs(mentorprofile_id=pk, language_id=english.pk))
        if uid % 3 == 0:
            mentor_lang_rows.append(
                mentor_langs(mentorprofile_id=pk, language_id=others[uid % len(others)].pk)
            )
    learner_lang_rows = []
    for uid, pk in sorted(learner_ids.items()):
        learner_lang_rows.append(learner_langs(learnerprofile_id=pk, language_id=english.pk))
        if uid % 2 == 0:
            learner_lang_rows.append(
                learner_langs(learnerprofile_id=pk, language_id=others[uid % len(others)].pk)
            )
    mentor_langs.objects.bulk_create(mentor_lang_rows, ignore_conflicts=True, batch_size=5000)
    learner_langs.objects.bulk_create(learner_lang_rows, ignore_conflicts=True, batch_size=5000)

    # --- reviewers ---------------------------------------------------------------------------------
    reviewer_emails = [f"reviewer@{DEMO_DOMAIN}"] + [e for _n, e in reviewer_rows]
    ReviewerProfile.objects.bulk_create(
        [
            ReviewerProfile(
                user_id=users[email],
                organization=clinics[i % len(clinics)],
                expertise=", ".join(rng.sample(INTERESTS, 3)),
                max_load=35,
            )
            for i, email in enumerate(reviewer_emails)
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )

    # --- guardians: Minh's parent is verified; most other minors have a verified guardian too -------------
    minh = LearnerProfile.objects.get(user__email=f"minh.tran@{DEMO_DOMAIN}")
    GuardianLink.objects.get_or_create(
        learner=minh,
        guardian_id=users[f"lan.tran@{DEMO_DOMAIN}"],
        defaults={
            "invited_email": f"lan.tran@{DEMO_DOMAIN}",
            "status": GuardianLink.Status.VERIFIED,
            "verified_at": None,
            "verification_method": GuardianLink.Method.PHONE,
        },
    )
    minors = [
        lp
        for lp in LearnerProfile.objects.filter(stage=LearnerProfile.Stage.HIGH_SCHOOL).select_related("user")
        if lp.age_on(today) < 18 and lp.pk != minh.pk
    ]
    guardian_rows = []
    for i, learner in enumerate(sorted(minors, key=lambda lp: lp.pk)):
        if i % 4 == 3:  # a quarter still wait for their guardian
            continue
        last = learner.user.full_name.split(" ")[-1]
        guardian_rows.append(
            (learner, f"Parent {last}", f"guardian.{learner.user.email.split('@')[0]}@{DEMO_DOMAIN}")
        )
    User.objects.bulk_create(
        [User(email=e, full_name=n, password=password) for _l, n, e in guardian_rows],
        ignore_conflicts=True,
        batch_size=2000,
    )
    guardian_users = dict(
        User.objects.filter(email__in=[e for _l, _n, e in guardian_rows]).values_list("email", "pk")
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=guardian_users[e], email=e, verified=True, primary=True)
            for _l, _n, e in guardian_rows
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    membership.objects.bulk_create(
        [
            membership(user_id=guardian_users[e], group_id=groups[Role.GUARDIAN.value])
            for _l, _n, e in guardian_rows
        ],
        ignore_conflicts=True,
        batch_size=5000,
    )
    GuardianLink.objects.bulk_create(
        [
            GuardianLink(
                learner=learner,
                guardian_id=guardian_users[e],
                invited_email=e,
                status=GuardianLink.Status.VERIFIED,
                verification_method=GuardianLink.Method.PHONE,
            )
            for learner, _n, e in guardian_rows
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return {
        "users": User.objects.count(),
        "mentors": MentorProfile.objects.count(),
        "learners": LearnerProfile.objects.count(),
        "reviewers": ReviewerProfile.objects.count(),
        "guardian_links": GuardianLink.objects.count(),
    }
