"""Issue 14 §6: the ranking page's mentor list is decided in SQL, with the same answer as the Python rule.

``ranking_choices`` pages the eligible mentors in the database; ``selectors.eligible_mentor_rows`` (used when a
learner adds a mentor) decides in Python. Both must name the same mentors, sites and order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching import ranking_choices, selectors
from mentorfold.programs.models import Requirement, RequirementRecord
from mentorfold.programs.tests.factories import ProgramFactory, RequirementFactory, RequirementRecordFactory

from .factories import EnrollmentFactory, OptInFactory, SiteFactory, TermFactory

MENTOR = Requirement.AppliesTo.MENTOR
BG = Requirement.Kind.BACKGROUND_CHECK
S = RequirementRecord.Status


def _record(requirement: Any, mentor: Any, status: str = S.APPROVED, expires_in: int | None = None) -> None:
    expires = timezone.localdate() + timedelta(days=expires_in) if expires_in is not None else None
    RequirementRecordFactory(requirement=requirement, person=mentor.user, status=status, expires_on=expires)


def _world() -> dict[str, Any]:
    """Mentors covering every way the mentor rules can go (shared, expired, superseded, per site)."""
    term = TermFactory()
    other_program = ProgramFactory()
    alder = SiteFactory(name="Alder Clinic")
    birch = SiteFactory(name="Birch Clinic", min_age=21)
    closed = SiteFactory(name="Aaron Clinic", is_active=False)
    bg = RequirementFactory(name="Background check", kind=BG, applies_to=MENTOR, program=term.program)
    bg_elsewhere = RequirementFactory(
        name="Background check", kind=BG, applies_to=MENTOR, program=other_program
    )
    tb_alder = RequirementFactory(
        name="TB test", kind=Requirement.Kind.TB_TEST, applies_to=MENTOR, site=alder, needs_own_document=True
    )
    orientation_birch = RequirementFactory(
        name="Birch orientation", kind=Requirement.Kind.ORIENTATION, applies_to=MENTOR, site=birch
    )
    mentors = {}

    def mentor(key: str, sites: list[Any], specialty: str = "Family medicine", **kwargs: Any) -> Any:
        m = MentorProfileFactory(user__full_name=f"Mentor {key}", specialty=specialty, **kwargs)
        OptInFactory(term=term, mentor=m)
        for site in sites:
            site.mentors.add(m)
        mentors[key] = m
        return m

    m = mentor("at alder", [alder, birch])
    _record(bg, m), _record(tb_alder, m, expires_in=30)
    m = mentor("at birch", [alder, birch], specialty="Cardiology")
    _record(bg, m), _record(orientation_birch, m)
    m = mentor("superseded", [alder])
    _record(bg, m), _record(tb_alder, m), _record(bg, m, S.REJECTED)
    m = mentor("shared from elsewhere", [alder])
    _record(bg_elsewhere, m, expires_in=100), _record(tb_alder, m)
    m = mentor("expired", [alder])
    _record(bg, m, expires_in=-1), _record(tb_alder, m)
    m = mentor("shared, pending after", [alder])
    _record(bg, m, S.REJECTED), _record(bg_elsewhere, m), _record(bg_elsewhere, m, S.SUBMITTED)
    _record(tb_alder, m)
    m = mentor("tb expired", [alder])
    _record(bg, m), _record(tb_alder, m, expires_in=-3)
    m = mentor("closed site only", [closed])
    _record(bg, m)
    m = mentor("tb rejected, birch fine", [alder, birch], specialty="Cardiology")
    _record(bg, m), _record(tb_alder, m, S.REJECTED), _record(orientation_birch, m)
    m = mentor("paused", [alder], paused_until=timezone.localdate() + timedelta(days=9))
    _record(bg, m), _record(tb_alder, m)
    m = mentor("tb not shared", [alder])
    (
        _record(bg, m),
        _record(RequirementFactory(kind=Requirement.Kind.TB_TEST, applies_to=MENTOR, site=SiteFactory()), m),
    )
    adult = LearnerProfileFactory(age=25)
    young = LearnerProfileFactory(age=19)
    for learner in (adult, young):
        EnrollmentFactory(term=term, learner=learner)
    return {"term": term, "mentors": mentors, "adult": adult, "young": young}


def _python_rule(learner: Any, term: Any) -> list[tuple[int, int]]:
    return [(r.mentor_id, r.site.pk) for r in selectors.eligible_mentor_rows(learner=learner, term=term)]


def _sql_rule(learner: Any, term: Any, **filters: Any) -> list[tuple[int, int]]:
    page = ranking_choices.mentor_choice_page(
        learner=learner, term=term, exclude=[], page=1, per_page=100, **filters
    )
    return [(r.mentor_id, r.site.pk) for r in page.rows]


def test_sql_and_python_rules_name_the_same_mentors_sites_and_order(db: None) -> None:
    world = _world()
    term, mentors = world["term"], world["mentors"]
    adult = _sql_rule(world["adult"], term)
    assert adult == _python_rule(world["adult"], term)
    names = {m.pk: key for key, m in mentors.items()}
    assert [names[m] for m, _site in adult] == [
        "at birch",
        "tb rejected, birch fine",
        "at alder",
        "shared from elsewhere",
        "shared, pending after",
    ]
    assert dict(adult)[mentors["at alder"].pk] != dict(adult)[mentors["at birch"].pk]
    # Birch takes learners from 21: the 19-year-old keeps only the mentors cleared at Alder.
    young = _sql_rule(world["young"], term)
    assert young == _python_rule(world["young"], term)
    assert [names[m] for m, _site in young] == ["at alder", "shared from elsewhere", "shared, pending after"]


def test_filters_and_the_ranked_list_narrow_the_sql_page_like_the_python_rule(db: None) -> None:
    world = _world()
    term, learner, mentors = world["term"], world["adult"], world["mentors"]
    for filters in ({"specialty": "CARDIO"}, {"language": "xx"}, {"fits_schedule": True}):
        python = [
            (r.mentor_id, r.site.pk)
            for r in selectors.eligible_mentor_rows(learner=learner, term=term, **filters)
        ]
        assert _sql_rule(learner, term, **filters) == python
    page = ranking_choices.mentor_choice_page(
        learner=learner, term=term, exclude=[mentors["at birch"].pk], page=9, per_page=2
    )
    assert page.page_obj.number == 2 and page.page_obj.paginator.count == 4
    assert [r.mentor_id for r in page.rows] == [
        mentors["shared from elsewhere"].pk,
        mentors["shared, pending after"].pk,
    ]


def test_the_sql_page_costs_the_same_queries_for_5_and_50_mentors(
    db: None, django_assert_max_num_queries: Any
) -> None:
    term = TermFactory()
    site = SiteFactory()
    learner = LearnerProfileFactory()
    EnrollmentFactory(term=term, learner=learner)
    counts = []
    for n in (5, 45):
        for _ in range(n):
            m = MentorProfileFactory()
            OptInFactory(term=term, mentor=m)
            site.mentors.add(m)
        with django_assert_max_num_queries(12) as ctx:
            page = ranking_choices.mentor_choice_page(
                learner=learner, term=term, exclude=[], page=1, per_page=24
            )
        counts.append(len(ctx.captured_queries))
        assert page.page_obj.paginator.count == (5 if n == 5 else 50)
    assert counts[0] == counts[1]
