from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.core.models import AuditEvent, Notice
from mentorfold.engine.stable import stable_match
from mentorfold.matching import selectors, services
from mentorfold.matching.models import (
    MatchAssignment,
    MatchRun,
    MentorDecision,
    Mentorship,
    Preference,
)
from mentorfold.programs import compliance
from mentorfold.programs.models import Requirement, RequirementRecord

from .factories import EnrollmentFactory, OptInFactory, SiteFactory, TermFactory, join_term, mentor_rank, rank


def run_now(term: Any, user: Any, method: str = "stable", seed: int = 1) -> MatchRun:
    run = MatchRun.objects.create(term=term, method=method, seed=seed, created_by=user)
    return services.match_run_execute(match_run=run)


def matched(run: MatchRun) -> dict[int, int | None]:
    return {a.learner_id: a.mentor_id for a in run.assignments.all()}


# ------------------------------------------------------------------------------------------ rankings


def test_learner_saves_an_ordered_list_of_eligible_mentors(
    ranked_term: Any, learner: Any, other_mentor: Any, mentor: Any
) -> None:
    services.preferences_save(learner=learner, term=ranked_term, mentor_ids=[other_mentor.pk, mentor.pk])
    assert selectors.ranked_mentor_ids(learner=learner, term=ranked_term) == [other_mentor.pk, mentor.pk]


def test_moving_a_mentor_up_swaps_it_with_the_one_above(
    ranked_term: Any, learner: Any, mentor: Any, other_mentor: Any
) -> None:
    services.preference_move(learner=learner, term=ranked_term, mentor_id=other_mentor.pk, action="up")
    assert selectors.ranked_mentor_ids(learner=learner, term=ranked_term) == [other_mentor.pk, mentor.pk]
    services.preference_move(learner=learner, term=ranked_term, mentor_id=other_mentor.pk, action="remove")
    assert selectors.ranked_mentor_ids(learner=learner, term=ranked_term) == [mentor.pk]


def test_it_rejects_rankings_after_the_deadline(ranked_term: Any, learner: Any, mentor: Any) -> None:
    ranked_term.preferences_close = timezone.now() - timedelta(minutes=1)
    ranked_term.save()
    with pytest.raises(ValidationError, match="closed"):
        services.preferences_save(learner=learner, term=ranked_term, mentor_ids=[mentor.pk])


def test_it_rejects_more_mentors_than_the_term_allows(
    ranked_term: Any, learner: Any, mentor: Any, other_mentor: Any
) -> None:
    ranked_term.max_preferences = 1
    ranked_term.save()
    with pytest.raises(ValidationError, match="up to 1"):
        services.preferences_save(learner=learner, term=ranked_term, mentor_ids=[mentor.pk, other_mentor.pk])


def test_it_rejects_a_mentor_at_a_site_where_the_learner_is_not_cleared(
    ranked_term: Any, learner: Any
) -> None:
    outsider = MentorProfileFactory()
    strict = SiteFactory(min_age=21)  # learner is 20
    OptInFactory(term=ranked_term, mentor=outsider)
    strict.mentors.add(outsider)
    assert outsider.pk not in {
        e.mentor.pk for e in selectors.eligible_mentors(learner=learner, term=ranked_term)
    }
    with pytest.raises(ValidationError, match="not open to you"):
        services.preferences_save(learner=learner, term=ranked_term, mentor_ids=[outsider.pk])


def test_a_learner_without_accepted_enrollment_cannot_rank(ranked_term: Any, mentor: Any) -> None:
    stranger = LearnerProfileFactory()
    with pytest.raises(PermissionDenied):
        services.preferences_save(learner=stranger, term=ranked_term, mentor_ids=[mentor.pk])


def test_eligible_mentors_filter_by_language_specialty_and_schedule(
    ranked_term: Any, learner: Any, other_mentor: Any
) -> None:
    from mentorfold.accounts.tests.factories import LanguageFactory

    other_mentor.languages.add(LanguageFactory(code="so", name="Somali"))

    def names(**f: Any) -> set[int]:
        return {e.mentor.pk for e in selectors.eligible_mentors(learner=learner, term=ranked_term, **f)}

    assert names(language="so") == {other_mentor.pk}
    assert names(specialty="pediat") == {other_mentor.pk}
    assert len(names(fits_schedule=True)) == 3  # all opted in on mon-am, the learner is free on mon-am


def test_mentor_decision_is_audited_and_only_for_learners_who_ranked_them(
    ranked_term: Any, learner: Any, other_learner: Any, other_mentor: Any
) -> None:
    services.mentor_decision_set(mentor=other_mentor, learner=learner, term=ranked_term, acceptable=False)
    assert AuditEvent.objects.filter(action="matching.mentor_decision").count() == 1
    with pytest.raises(PermissionDenied):
        services.mentor_decision_set(
            mentor=other_mentor, learner=other_learner, term=ranked_term, acceptable=True
        )


# ------------------------------------------------------------------------------------------ runs


def test_a_run_gives_the_same_result_as_calling_the_engine_directly(term: Any, coordinator: Any) -> None:
    rng = random.Random(7)
    mentors = [MentorProfileFactory() for _ in range(6)]
    learners = [LearnerProfileFactory() for _ in range(15)]
    join_term(term, learners=learners, mentors=mentors, capacity=2)
    for lp in learners:
        rank(term, lp, rng.sample(mentors, 4))
    mentor_lists = {}
    for m in mentors:
        who = [p.learner for p in Preference.objects.filter(term=term, mentor=m)]
        rng.shuffle(who)
        mentor_rank(term, m, who)
        mentor_lists[m.pk] = [lp.pk for lp in who]
    run = run_now(term, coordinator, seed=3)

    l_ids = sorted(lp.pk for lp in learners)
    m_ids = sorted(m.pk for m in mentors)
    l_prefs = [
        [
            m_ids.index(p.mentor_id)
            for p in Preference.objects.filter(term=term, learner_id=i).order_by("rank")
        ]
        for i in l_ids
    ]
    m_prefs = [[l_ids.index(i) for i in mentor_lists[m]] for m in m_ids]
    expected = stable_match(l_prefs, m_prefs, [2] * len(m_ids))
    assert run.result["match"] == expected.tolist()
    assert matched(run) == {
        i: (m_ids[j] if j >= 0 else None) for i, j in zip(l_ids, expected.tolist(), strict=True)
    }
    assert run.certificate["blocking_pairs"] == 0
    assert run.stats["matched"] == int((expected >= 0).sum())


def test_rerunning_with_the_same_inputs_and_seed_gives_the_identical_result(
    term: Any, coordinator: Any
) -> None:
    rng = random.Random(11)
    mentors = [MentorProfileFactory() for _ in range(5)]
    learners = [LearnerProfileFactory() for _ in range(14)]
    join_term(term, learners=learners, mentors=mentors)
    for lp in learners:
        rank(term, lp, rng.sample(mentors, 3))  # mentors never rank: ties broken by the seed
    first, second = run_now(term, coordinator, seed=42), run_now(term, coordinator, seed=42)
    assert first.inputs_sha256 == second.inputs_sha256
    assert first.result == second.result
    assert matched(first) == matched(second)
    assert [a.choices for a in first.assignments.order_by("learner")] == [
        a.choices for a in second.assignments.order_by("learner")
    ]


def test_a_mentor_who_marked_a_learner_not_acceptable_is_never_matched_with_them(
    ranked_term: Any, learner: Any, mentor: Any, coordinator: Any
) -> None:
    MentorDecision.objects.create(term=ranked_term, mentor=mentor, learner=learner, acceptable=False)
    run = run_now(ranked_term, coordinator)
    assert matched(run)[learner.pk] != mentor.pk
    a = run.assignments.get(learner=learner)
    assert a.choices[0] == [mentor.pk, "not_accepted"]


def test_optimal_run_reports_its_optimality_gap(ranked_term: Any, coordinator: Any) -> None:
    run = run_now(ranked_term, coordinator, method="optimal")
    assert run.certificate["kind"] == "optimal"
    assert run.certificate["is_optimal"] is True
    assert run.certificate["gap"] <= run.certificate["tolerance"]
    assert run.stats["matched"] == 2


def test_explanation_says_the_first_choice_was_full_without_naming_other_learners(
    ranked_term: Any, learner: Any, other_learner: Any, mentor: Any, coordinator: Any
) -> None:
    mentor_rank(ranked_term, mentor, [other_learner, learner])
    run = run_now(ranked_term, coordinator)
    a = run.assignments.select_related("run").get(learner=learner)
    assert a.rank == 2
    text = " ".join(selectors.explanation(a))
    assert "your 2nd choice" in text
    assert "full with learners they ranked higher" in text
    assert other_learner.user.full_name not in text


def test_run_executes_in_a_fixed_number_of_queries_whatever_the_size(
    ranked_term: Any, coordinator: Any, mentor: Any, other_mentor: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        run = MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
        with CaptureQueriesContext(connection) as ctx:
            services.match_run_execute(match_run=run)
        return len(ctx.captured_queries)

    small = count()
    for lp in [LearnerProfileFactory() for _ in range(25)]:
        EnrollmentFactory(term=ranked_term, learner=lp)
        rank(ranked_term, lp, [mentor, other_mentor])
    assert count() == small
    assert small <= 25


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_a_learner_without_site_compliance_is_never_matched_there(seed: int, coordinator: Any) -> None:
    rng = random.Random(seed)
    with transaction.atomic():
        term = TermFactory()
        sites = [SiteFactory(min_age=rng.choice([16, 18])) for _ in range(3)]
        for site in sites:
            if rng.random() < 0.7:
                Requirement.objects.create(
                    name=f"HIPAA {site.name}", kind="confidentiality", applies_to="learner", site=site
                )
        mentors = [MentorProfileFactory() for _ in range(5)]
        for m in mentors:
            OptInFactory(term=term, mentor=m, capacity=rng.randint(1, 2))
            for site in rng.sample(sites, rng.randint(1, 2)):
                site.mentors.add(m)
        learners = [LearnerProfileFactory(age=rng.choice([17, 19, 25])) for _ in range(10)]
        for lp in learners:
            EnrollmentFactory(term=term, learner=lp)
            if lp.age < 18:
                from mentorfold.accounts.tests.factories import GuardianLinkFactory

                GuardianLinkFactory(learner=lp)
            for req in Requirement.objects.filter(site__in=sites):
                if rng.random() < 0.5:
                    RequirementRecord.objects.create(requirement=req, person=lp.user, status="approved")
            # Rank freely, bypassing the page's filter, to prove the run itself enforces compliance.
            for r, m in enumerate(rng.sample(mentors, 3), 1):
                Preference.objects.create(term=term, learner=lp, mentor=m, rank=r)
        run = run_now(term, coordinator, seed=seed)
        for a in run.assignments.filter(mentor__isnull=False).select_related("site", "learner", "mentor"):
            assert compliance.learner_blockers(a.learner, program=term.program, site=a.site) == []
            assert a.site.mentors.filter(pk=a.mentor_id).exists()
        for a in run.assignments.filter(mentor__isnull=True):
            assert a.reason in MatchAssignment.Reason.values
        transaction.set_rollback(True)


# ------------------------------------------------------------------------------------------ publication


def test_publishing_creates_mentorships_emails_and_notices(
    ranked_term: Any, learner: Any, mentor: Any, coordinator: Any, mailoutbox: list[Any]
) -> None:
    run = run_now(ranked_term, coordinator)
    created = services.match_run_publish(match_run=run, user=coordinator)
    assert created == 2
    m = Mentorship.objects.get(learner=learner)
    assert m.site_id == ranked_term.site.pk and m.match_run_id == run.pk
    assert {msg.to[0] for msg in mailoutbox} >= {learner.user.email, mentor.user.email}
    assert Notice.objects.filter(user=learner.user, text__contains="You are matched with").exists()
    with pytest.raises(ValidationError):
        services.match_run_publish(match_run=run, user=coordinator)


def test_manual_placement_needs_a_reason_rechecks_capacity_and_is_audited(
    ranked_term: Any, learner: Any, other_learner: Any, mentor: Any, third_mentor: Any, coordinator: Any
) -> None:
    with pytest.raises(ValidationError, match="Reason"):
        services.mentorship_place_manually(
            term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason=" "
        )
    services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="Same school"
    )
    assert AuditEvent.objects.filter(action="matching.place_manually", reason="Same school").exists()
    with pytest.raises(ValidationError, match="no free seat"):
        services.mentorship_place_manually(
            term=ranked_term, learner=other_learner, mentor=mentor, user=coordinator, reason="x"
        )


def test_manual_placement_rechecks_compliance(ranked_term: Any, other_learner: Any, coordinator: Any) -> None:
    outsider = MentorProfileFactory()
    OptInFactory(term=ranked_term, mentor=outsider)
    SiteFactory(min_age=25).mentors.add(outsider)
    with pytest.raises(ValidationError, match="not cleared"):
        services.mentorship_place_manually(
            term=ranked_term, learner=other_learner, mentor=outsider, user=coordinator, reason="x"
        )


def test_mentor_can_decline_within_the_window_and_the_seat_opens_again(
    ranked_term: Any, learner: Any, other_learner: Any, mentor: Any, coordinator: Any
) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    assert services.seats_left(term=ranked_term, mentor=mentor) == 0
    services.mentorship_decline(mentorship=m, user=mentor.user, reason="Moving away")
    assert services.seats_left(term=ranked_term, mentor=mentor) == 1
    assert learner in selectors.learners_without_mentor(ranked_term)
    services.mentorship_place_manually(
        term=ranked_term, learner=other_learner, mentor=mentor, user=coordinator, reason="r"
    )


def test_mentor_cannot_decline_after_the_window(
    ranked_term: Any, learner: Any, mentor: Any, coordinator: Any
) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    with pytest.raises(ValidationError, match="passed"):
        services.mentorship_decline(
            mentorship=m, user=mentor.user, reason="x", now=timezone.now() + timedelta(days=8)
        )


def test_ending_early_needs_a_reason(ranked_term: Any, learner: Any, mentor: Any, coordinator: Any) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    with pytest.raises(ValidationError, match="Reason"):
        services.mentorship_update(mentorship=m, user=mentor.user, status="ended_early")
    services.mentorship_update(mentorship=m, user=mentor.user, status="ended_early", reason="Moved")
    assert Mentorship.objects.get(pk=m.pk).status == "ended_early"


# ------------------------------------------------------------------------------------------ reminders


def test_checkin_reminders_are_sent_once_per_two_weeks_and_stop_with_activity(
    ranked_term: Any, learner: Any, mentor: Any, coordinator: Any, mailoutbox: list[Any]
) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    start = timezone.now()
    Mentorship.objects.filter(pk=m.pk).update(created_at=start - timedelta(days=20))
    mailoutbox.clear()
    assert services.mentorship_send_checkin_reminders(now=start) == 1
    assert services.mentorship_send_checkin_reminders(now=start + timedelta(days=3)) == 0
    services.mentorship_record_activity(mentorship_id=m.pk, when=start + timedelta(days=10))
    assert services.mentorship_send_checkin_reminders(now=start + timedelta(days=15)) == 0
    assert services.mentorship_send_checkin_reminders(now=start + timedelta(days=25)) == 1
    # two reminders, each one message to the mentor and one to the learner (nobody sees another's address)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentor.user.email, learner.user.email] * 2)


def test_quiet_mentorships_are_flagged_after_thirty_days(
    ranked_term: Any, learner: Any, mentor: Any, coordinator: Any
) -> None:
    m = services.mentorship_place_manually(
        term=ranked_term, learner=learner, mentor=mentor, user=coordinator, reason="r"
    )
    assert selectors.quiet_mentorships() == []
    Mentorship.objects.filter(pk=m.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert [q.pk for q in selectors.quiet_mentorships()] == [m.pk]
    services.mentorship_record_activity(mentorship_id=m.pk)
    assert selectors.quiet_mentorships() == []
