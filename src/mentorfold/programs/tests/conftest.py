from __future__ import annotations

from typing import Any

import pytest

from mentorfold.programs import services
from mentorfold.programs.models import Requirement, RequirementRecord

from .factories import RequirementRecordFactory, SiteFactory, TermFactory


@pytest.fixture
def program(db: None) -> Any:
    program = services.program_create(
        actor=None,
        name="High-school summer shadowing",
        slug="summer-shadowing",
        description="Six weeks in clinic with a family physician.",
        eligible_stages=["high_school", "undergraduate"],
        min_age=16,
    )
    return program


@pytest.fixture
def site(program: Any) -> Any:
    site = SiteFactory(name="Harbor Family Clinic")
    program.sites.add(site)
    return site


@pytest.fixture
def term(program: Any) -> Any:
    return TermFactory(program=program)


def approve_all(person: Any, program: Any, site: Any = None, *, signed_by: Any = None) -> None:
    """Approved records for every learner requirement of the program (and site)."""
    qs = Requirement.objects.filter(program=program, applies_to=Requirement.AppliesTo.LEARNER)
    if site is not None:
        qs = qs | Requirement.objects.filter(site=site, applies_to=Requirement.AppliesTo.LEARNER)
    for requirement in qs:
        RequirementRecordFactory(
            requirement=requirement,
            person=person,
            status=RequirementRecord.Status.APPROVED,
            signed_by=signed_by if requirement.kind == Requirement.Kind.GUARDIAN_CONSENT else person,
        )
