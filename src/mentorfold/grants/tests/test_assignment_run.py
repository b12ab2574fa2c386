"""The reviewer assignment computes outside any transaction, verifies its certificate, and writes in one short
transaction only if nothing it read has changed meanwhile."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mentorfold.accounts.tests.factories import ReviewerProfileFactory
from mentorfold.engine import assign

from .. import review as reviews
from ..models import Assignment, AssignmentRun, Conflict, GrantCycle, Review
from .factories import ApplicationFactory, GrantCycleFactory


@pytest.fixture
def small_cycle(db: None) -> GrantCycle:
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, reviewers_per_application=2)
    for topic in ("surgery", "pediatrics", "rural medicine", "refugee health"):
        ApplicationFactory(cycle=cycle, topics=topic, personal_statement=f"I care about {topic}")
    for topic in ("surgery", "pediatrics", "rural medicine"):
        ReviewerProfileFactory(expertise=topic)
    return cycle


def test_the_run_stores_the_verified_certificate(
    small_cycle: GrantCycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[float] = []
    real_verify = assign.Assignment.verify

    def spy(self: assign.Assignment) -> float:
        calls.append(real_verify(self))
        return calls[-1]

    monkeypatch.setattr(assign.Assignment, "verify", spy)
    run = reviews.assignment_run(cycle=small_cycle)
    assert len(calls) == 1
    assert run.verified_gap == pytest.approx(calls[0])
    assert run.is_optimal
    assert Assignment.objects.filter(cycle=small_cycle).count() == 8


def test_a_certificate_that_fails_verification_is_never_stored(
    small_cycle: GrantCycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: assign.Assignment) -> float:
        raise ValueError("stored objective 1.0 != recomputed 2.0")

    monkeypatch.setattr(assign.Assignment, "verify", broken)
    with pytest.raises(ValidationError, match="optimality check"):
        reviews.assignment_run(cycle=small_cycle)
    assert not AssignmentRun.objects.exists() and not Assignment.objects.exists()


@pytest.mark.parametrize("change", ["conflict", "review", "frozen", "newer_run"])
def test_a_change_during_the_computation_refuses_the_write(
    small_cycle: GrantCycle, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    first = reviews.assignment_run(cycle=small_cycle)
    before = set(Assignment.objects.values_list("application_id", "reviewer_id"))
    pair = Assignment.objects.first()
    real_solve = assign.optimal_assignment

    def solve_while_someone_writes(*args: Any, **kwargs: Any) -> Any:
        result = real_solve(*args, **kwargs)
        if change == "conflict":
            Conflict.objects.create(
                cycle=small_cycle,
                reviewer=pair.reviewer,
                application=pair.application,
                source=Conflict.Source.COORDINATOR,
                reason="found meanwhile",
            )
        elif change == "review":
            Review.objects.create(cycle=small_cycle, application=pair.application, reviewer=pair.reviewer)
        elif change == "frozen":
            GrantCycle.objects.filter(pk=small_cycle.pk).update(status=GrantCycle.Status.DECIDED)
        else:
            AssignmentRun.objects.create(cycle=small_cycle)
        return result

    monkeypatch.setattr(assign, "optimal_assignment", solve_while_someone_writes)
    with pytest.raises(ValidationError, match="frozen" if change == "frozen" else "changed while"):
        reviews.assignment_run(cycle=small_cycle)
    assert set(Assignment.objects.values_list("application_id", "reviewer_id")) == before
    assert AssignmentRun.objects.exclude(pk=first.pk).count() == (1 if change == "newer_run" else 0)


@pytest.mark.django_db(transaction=True)
def test_affinity_solve_and_explanations_run_outside_any_transaction(
    small_cycle: GrantCycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real_solve = assign.optimal_assignment
    real_affinity = reviews.affinity_matrix
    real_explain = reviews.explain_arrays

    def watch(real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.append(connection.in_atomic_block)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(assign, "optimal_assignment", watch(real_solve))
    monkeypatch.setattr(reviews, "affinity_matrix", watch(real_affinity))
    monkeypatch.setattr(reviews, "explain_arrays", watch(real_explain))
    reviews.assignment_run(cycle=small_cycle)
    assert seen == [False, False, False]


def test_pairs_under_review_are_kept_and_never_offered_again(small_cycle: GrantCycle) -> None:
    reviews.assignment_run(cycle=small_cycle)
    pair = Assignment.objects.order_by("pk").first()
    Review.objects.create(cycle=small_cycle, application=pair.application, reviewer=pair.reviewer)
    run = reviews.assignment_run(cycle=small_cycle)
    assert Assignment.objects.filter(application=pair.application, reviewer=pair.reviewer).count() == 1
    offered = [alt[0] for alt in run.explanations[str(pair.application_id)]]
    assert pair.reviewer_id not in offered
    assert np.isfinite(run.verified_gap)


def test_a_decision_whose_solver_hit_its_time_limit_cannot_be_frozen(coordinator: Any) -> None:
    from .. import applications, decision
    from .factories import ReviewFactory

    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, reviewers_per_application=1)
    applications.cycle_save(cycle=cycle, actor=coordinator)
    person = ReviewerProfileFactory().user
    for _ in range(2):
        ReviewFactory(application=ApplicationFactory(cycle=cycle), reviewer=person)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=1)
    record.outputs["solver_status"] = "time_limit"
    record.save(update_fields=["outputs"])
    with pytest.raises(ValidationError, match="time limit"):
        decision.decision_freeze(record=record, actor=coordinator)
