from __future__ import annotations

import random
from datetime import date

import pytest

from mentorfold.accounts.demo import DEMO_DOMAIN, seed_people
from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.programs import compliance
from mentorfold.programs.demo import seed_programs
from mentorfold.programs.models import Program, RequirementRecord, Site

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 2)


def test_demo_seed_is_idempotent_and_shows_the_demo_people() -> None:
    seed_people(size="small", rng=random.Random(1), today=TODAY)
    first = seed_programs(size="small", rng=random.Random(2), today=TODAY)
    second = seed_programs(size="small", rng=random.Random(2), today=TODAY)
    assert first == second
    assert first["programs"] == 4 and first["sites"] == 3 and first["records_waiting"] > 0
    assert Site.objects.get(min_age=18).requirements.filter(kind="tb_test").exists()
    minh = LearnerProfile.objects.get(user__email=f"minh.tran@{DEMO_DOMAIN}")
    amina = LearnerProfile.objects.get(user__email=f"amina.hassan@{DEMO_DOMAIN}")
    hs = Program.objects.get(slug="high-school-summer-shadowing")
    premed = Program.objects.get(slug="pre-med-clinical-exposure")
    consent = RequirementRecord.objects.get(person=minh.user, requirement__kind="guardian_consent")
    assert consent.signed_by.email == f"lan.tran@{DEMO_DOMAIN}"
    assert compliance.is_learner_cleared(minh, program=hs, on=TODAY)
    for site in premed.sites.all():
        assert compliance.is_learner_cleared(amina, program=premed, site=site, on=TODAY)
    expired = RequirementRecord.objects.filter(expires_on=date(2026, 3, 3))
    assert expired.exists()


def test_demo_mentor_takes_part_in_two_terms_with_a_background_check() -> None:
    seed_people(size="small", rng=random.Random(1), today=TODAY)
    seed_programs(size="small", rng=random.Random(2), today=TODAY)
    rivera = MentorProfile.objects.get(user__email=f"dr.rivera@{DEMO_DOMAIN}")
    assert rivera.term_opt_ins.count() == 2
    assert RequirementRecord.objects.filter(person=rivera.user, requirement__kind="background_check").exists()
