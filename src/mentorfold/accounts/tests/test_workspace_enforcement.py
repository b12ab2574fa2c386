"""Only cleared mentors publish slots, are shown to learners, are ranked and enter a match run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mentorfold.accounts import onboarding
from mentorfold.accounts.models import MentorProfile
from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.matching import selectors as matching_selectors
from mentorfold.matching.snapshot import term_candidates
from mentorfold.matching.tests import factories as mf
from mentorfold.programs.tests.factories import MentorTermOptInFactory
from mentorfold.shadowing import selectors as shadowing_selectors
from mentorfold.shadowing import services as shadowing_services
from mentorfold.shadowing.tests.factories import EnrollmentFactory, SiteFactory, SlotFactory, TermFactory

pytestmark = pytest.mark.django_db


def _publish(mentor: MentorProfile) -> list[Any]:
    """Publish a slot as ``mentor`` in a program they joined (so only the onboarding rule can refuse it)."""
    term = TermFactory()
    MentorTermOptInFactory(term=term, mentor=mentor)
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    return shadowing_services.slot_create(
        mentor=mentor,
        site=SiteFactory(),
        program=term.program,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        actor=mentor.user,
    )


def _open_term() -> Any:
    """A running term whose learners may book any mentor's slots (not only their matched mentor's)."""
    return TermFactory(program__allows_open_booking=True)


def test_it_refuses_slots_from_an_onboarding_mentor_and_says_why() -> None:
    mentor = MentorProfileFactory(onboarding=True)
    with pytest.raises(ValidationError) as exc:
        _publish(mentor)
    assert exc.value.code == "mentor_not_cleared"
    assert "onboarding" in exc.value.messages[0]


def test_it_refuses_slots_from_a_deactivated_mentor() -> None:
    mentor = MentorProfileFactory(status=MentorProfile.Status.INACTIVE)
    with pytest.raises(ValidationError, match="deactivated"):
        _publish(mentor)


def test_a_cleared_mentor_without_background_check_may_publish_slots() -> None:
    assert len(_publish(MentorProfileFactory(without_background_check=True))) == 1


def test_defect_6_onboarding_mentor_slots_are_not_listed_to_learners() -> None:
    """Issue 11 defect #6: an onboarding mentor without a background check published slots learners saw."""
    enrollment = EnrollmentFactory(learner=LearnerProfileFactory(age=20), term=_open_term())
    program = enrollment.term.program
    hidden = SlotFactory(mentor=MentorProfileFactory(onboarding=True), program=program)
    shown = SlotFactory(program=program)
    with pytest.raises(ValidationError):
        _publish(hidden.mentor)
    listed = shadowing_selectors.learner_overview(learner=enrollment.learner)["open_slots"]
    assert [s.pk for s in listed] == [shown.pk]


def test_minors_only_see_slots_of_mentors_cleared_for_minors() -> None:
    minor = EnrollmentFactory(learner=LearnerProfileFactory(age=16), term=_open_term()).learner
    program = minor.enrollments.get().term.program
    adult = EnrollmentFactory(
        learner=LearnerProfileFactory(age=20), term=minor.enrollments.get().term
    ).learner
    no_check = SlotFactory(mentor=MentorProfileFactory(without_background_check=True), program=program)
    expired = MentorProfileFactory(
        background_check_verified_on=timezone.localdate() - timedelta(days=800),
        background_check_expires_on=timezone.localdate() - timedelta(days=1),
    )
    expired_slot = SlotFactory(mentor=expired, program=program)
    checked = SlotFactory(program=program)
    minor_sees = {s.pk for s in shadowing_selectors.learner_overview(learner=minor)["open_slots"]}
    adult_sees = {s.pk for s in shadowing_selectors.learner_overview(learner=adult)["open_slots"]}
    assert minor_sees == {checked.pk}
    assert adult_sees == {checked.pk, no_check.pk, expired_slot.pk}


def test_a_minor_cannot_book_a_mentor_without_background_check() -> None:
    minor = LearnerProfileFactory(age=16)
    slot = SlotFactory(mentor=MentorProfileFactory(without_background_check=True))
    errors = shadowing_services.booking_eligibility_errors(learner=minor, slot=slot)
    assert "mentor_not_cleared" in {e.code for e in errors}


def test_predicate_and_queryset_agree() -> None:
    today = timezone.localdate()
    mentors = [
        MentorProfileFactory(),
        MentorProfileFactory(onboarding=True),
        MentorProfileFactory(without_background_check=True),
        MentorProfileFactory(status=MentorProfile.Status.PAUSED),
        MentorProfileFactory(licence_verified_on=None),
        MentorProfileFactory(accepting_learners=False),
        MentorProfileFactory(paused_until=today + timedelta(days=5)),
        MentorProfileFactory(paused_until=today),
    ]
    qs = MentorProfile.objects.all()
    assert {m.pk for m in qs.cleared()} == {m.pk for m in mentors if m.is_cleared}
    assert {m.pk for m in qs.cleared_for_minors(today)} == {m.pk for m in mentors if m.can_host_minors}
    assert {m.pk for m in qs.accepting(today)} == {m.pk for m in mentors if m.is_accepting_on(today)}
    assert len({m.pk for m in qs.cleared()}) == 5
    assert len({m.pk for m in qs.accepting(today)}) == 6
    assert onboarding.mentor_may_host(mentors[2], learner=LearnerProfileFactory(age=20), on=today)
    assert not onboarding.mentor_may_host(mentors[2], learner=LearnerProfileFactory(age=16), on=today)


def test_learners_may_rank_only_cleared_unpaused_mentors() -> None:
    term = mf.TermFactory()
    learner = LearnerProfileFactory(age=20)
    cleared = MentorProfileFactory()
    onboarding_mentor = MentorProfileFactory(onboarding=True)
    paused = MentorProfileFactory(paused_until=timezone.localdate() + timedelta(days=30))
    mf.join_term(term, learners=[learner], mentors=[cleared, onboarding_mentor, paused])
    eligible = matching_selectors.eligible_mentors(learner=learner, term=term)
    assert [e.mentor.pk for e in eligible] == [cleared.pk]
    assert set(term_candidates(term).opt_ins) == {cleared.pk}


def test_matching_counts_only_half_days_on_the_mentors_hosting_days() -> None:
    term = mf.TermFactory()
    learner = LearnerProfileFactory(age=20)
    mentor = MentorProfileFactory(hosting_weekdays=["tue", "wed"])
    mf.join_term(term, learners=[learner], mentors=[mentor])
    mentor.term_opt_ins.update(availability=["mon-am", "tue-pm", "wed-am"])
    assert term_candidates(term).opt_ins[mentor.pk].availability == ["tue-pm", "wed-am"]
    # The learner comes Monday mornings and Tuesday afternoons (EnrollmentFactory): only Tuesday is shared.
    fits = matching_selectors.eligible_mentors(learner=learner, term=term, fits_schedule=True)
    assert [e.schedule_overlap for e in fits] == [1]
    MentorProfile.objects.filter(pk=mentor.pk).update(hosting_weekdays=["fri"])
    assert matching_selectors.eligible_mentors(learner=learner, term=term, fits_schedule=True) == []


def test_manual_placement_offers_only_cleared_mentors() -> None:
    term = mf.TermFactory()
    cleared = MentorProfileFactory()
    onboarding_mentor = MentorProfileFactory(onboarding=True)
    mf.join_term(term, mentors=[cleared, onboarding_mentor])
    assert [row["mentor"].pk for row in matching_selectors.mentors_with_seats(term)] == [cleared.pk]
