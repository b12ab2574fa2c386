"""Writes that stay correct: every grant write re-reads the cycle under its row lock, the freeze takes the
same lock, and letters are mailed once however often the task runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from mentorfold.accounts.tests.factories import ReviewerProfileFactory

from .. import applications, decision
from .. import review as reviews
from ..models import Application, Assignment, Conflict, DecisionRecord, GrantCycle, Letter, LetterMail, Review
from .factories import ApplicationFactory, AssignmentFactory, GrantCycleFactory, ReviewFactory

SCORES = {"story": 4, "community": 3, "need": 5, "plan": 4}


def reviewed_cycle(coordinator: Any) -> tuple[GrantCycle, Any, Application]:
    """Three applications with two reviews each, except the last: its second reviewer has not submitted."""
    cycle = GrantCycleFactory(status=GrantCycle.Status.REVIEW, total_budget=3000, reviewers_per_application=2)
    applications.cycle_save(cycle=cycle, actor=coordinator)
    people = [ReviewerProfileFactory().user for _ in range(2)]
    apps = [ApplicationFactory(cycle=cycle, amount_requested=1000) for _ in range(3)]
    for i, app in enumerate(apps):
        for k, person in enumerate(people):
            AssignmentFactory(application=app, reviewer=person)
            if (i, k) != (2, 1):
                ReviewFactory(application=app, reviewer=person, total=float(2 + (i + k) % 3))
    return cycle, people[1], apps[2]


# --------------------------------------------------------------------------- stale objects are re-read


@pytest.mark.django_db
@pytest.mark.parametrize(
    "write",
    [
        "review_save",
        "conflict_add",
        "conflict_set_status",
        "assignment_swap",
        "application_withdraw",
        "declaration_save",
        "decision_prepare",
        "reminders_send",
    ],
)
def test_every_write_refuses_a_cycle_frozen_since_the_page_loaded(coordinator: Any, write: str) -> None:
    cycle, late_reviewer, app = reviewed_cycle(coordinator)
    conflict = Conflict.objects.create(
        cycle=cycle, reviewer=late_reviewer, application=app, source="coordinator", reason="x"
    )
    assignment = Assignment.objects.filter(application=app).first()
    other = ReviewerProfileFactory().user
    # The objects below were loaded while the cycle was in review; then the decision was frozen.
    GrantCycle.objects.filter(pk=cycle.pk).update(status=GrantCycle.Status.DECIDED)
    actions: dict[str, Callable[[], Any]] = {
        "review_save": lambda: reviews.review_save(
            application=app, reviewer=late_reviewer, scores=SCORES, comments={}, submit=True
        ),
        "conflict_add": lambda: reviews.conflict_add(
            cycle=cycle, reviewer=other, application=app, reason="x", actor=coordinator
        ),
        "conflict_set_status": lambda: reviews.conflict_set_status(
            conflict=conflict, status="dismissed", reason="x", actor=coordinator
        ),
        "assignment_swap": lambda: reviews.assignment_swap(
            assignment=assignment, new_reviewer=other, reason="x", actor=coordinator
        ),
        "application_withdraw": lambda: applications.application_withdraw(application=app),
        "declaration_save": lambda: reviews.declaration_save(
            cycle=cycle, reviewer=other, known_people="", mailing_address=""
        ),
        "decision_prepare": lambda: decision.decision_prepare(cycle=cycle, actor=coordinator, seed=1),
        "reminders_send": lambda: reviews.reminders_send(cycle=cycle, actor=coordinator),
    }
    assert not cycle.is_frozen  # the stale copy still says "in review"
    with pytest.raises(ValidationError, match="frozen"):
        actions[write]()


@pytest.mark.django_db
def test_a_review_submitted_while_the_budget_runs_refuses_the_draft(
    coordinator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycle, late_reviewer, app = reviewed_cycle(coordinator)
    real_compute = decision.decision_engine.compute

    def compute_while_a_review_lands(*args: Any, **kwargs: Any) -> Any:
        out = real_compute(*args, **kwargs)
        reviews.review_save(application=app, reviewer=late_reviewer, scores=SCORES, comments={}, submit=True)
        return out

    monkeypatch.setattr(decision.decision_engine, "compute", compute_while_a_review_lands)
    with pytest.raises(ValidationError, match="changed while calculating"):
        decision.decision_prepare(cycle=cycle, actor=coordinator, seed=3)
    assert not DecisionRecord.objects.filter(cycle=cycle).exists()


# --------------------------------------------------------------------------- letters are mailed once


@pytest.mark.django_db
def test_a_retried_letters_task_never_mails_twice(
    coordinator: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cycle, late_reviewer, app = reviewed_cycle(coordinator)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=2)
    decision.decision_freeze(record=record, actor=coordinator, override_reason="one review late")
    with django_capture_on_commit_callbacks(execute=True):
        first = decision.letters_deliver(cycle_id=cycle.pk)
    with django_capture_on_commit_callbacks(execute=True):
        again = decision.letters_deliver(cycle_id=cycle.pk)
    assert (first, again) == (3, 0)
    assert len(mailoutbox) == 3
    assert LetterMail.objects.count() == Letter.objects.count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterMail.objects.create(application=app, kind="award", letter=Letter.objects.get(application=app))


@pytest.mark.django_db
def test_no_mail_leaves_when_the_letter_transaction_rolls_back(coordinator: Any, mailoutbox: Any) -> None:
    cycle, _late, _app = reviewed_cycle(coordinator)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=2)
    decision.decision_freeze(record=record, actor=coordinator, override_reason="one review late")
    decision.letters_deliver(cycle_id=cycle.pk)  # on_commit callbacks are not run: nothing was committed
    assert mailoutbox == []


# --------------------------------------------------------------------------- freeze vs review (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# reason: SQLite's test database cannot be shared by two threads' connections; the row lock under test is
# PostgreSQL's.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_a_review_submitted_during_the_freeze_is_refused_never_left_outside_it(
    coordinator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycle, late_reviewer, app = reviewed_cycle(coordinator)
    record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=5)
    in_freeze = threading.Event()
    real_audit = decision.audit

    def slow_audit(**kwargs: Any) -> Any:
        # The freeze has checked the live reviews and is about to commit: the review tries to land now.
        if kwargs.get("action") == "grants.decision_frozen":
            in_freeze.set()
            time.sleep(0.5)
        return real_audit(**kwargs)

    monkeypatch.setattr(decision, "audit", slow_audit)
    outcome: dict[str, str] = {}

    def freeze() -> None:
        try:
            decision.decision_freeze(record=record, actor=coordinator, override_reason="committee agreed")
            outcome["freeze"] = "ok"
        except ValidationError as exc:
            outcome["freeze"] = exc.messages[0]
        finally:
            connections.close_all()

    def submit() -> None:
        in_freeze.wait(5)
        try:
            reviews.review_save(
                application=app, reviewer=late_reviewer, scores=SCORES, comments={}, submit=True
            )
            outcome["review"] = "ok"
        except ValidationError as exc:
            outcome["review"] = exc.messages[0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=freeze), threading.Thread(target=submit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert outcome["freeze"] == "ok"
    assert "frozen" in outcome["review"]
    assert not Review.objects.filter(application=app, reviewer=late_reviewer).exists()
    frozen = DecisionRecord.objects.get(cycle=cycle, status=DecisionRecord.Status.FROZEN)
    assert decision.decision_replay(record=frozen).live_data_unchanged


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# reason: as above, two real connections need PostgreSQL.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_freeze_and_review_released_together_never_leave_a_review_after_the_freeze(coordinator: Any) -> None:
    for _round in range(4):
        cycle, late_reviewer, app = reviewed_cycle(coordinator)
        record = decision.decision_prepare(cycle=cycle, actor=coordinator, seed=5)
        barrier = threading.Barrier(2)
        outcome: dict[str, bool] = {}

        def run(
            name: str,
            action: Callable[[], Any],
            barrier: threading.Barrier = barrier,
            outcome: dict[str, bool] = outcome,
        ) -> None:
            barrier.wait()
            try:
                action()
                outcome[name] = True
            except ValidationError:
                outcome[name] = False
            finally:
                connections.close_all()

        threads = [
            threading.Thread(
                target=run,
                args=(
                    "freeze",
                    lambda record=record: decision.decision_freeze(
                        record=record, actor=coordinator, override_reason="agreed"
                    ),
                ),
            ),
            threading.Thread(
                target=run,
                args=(
                    "review",
                    lambda app=app, who=late_reviewer: reviews.review_save(
                        application=app, reviewer=who, scores=SCORES, comments={}, submit=True
                    ),
                ),
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert not (outcome["freeze"] and outcome["review"])  # never both: no review after the freeze
        assert outcome["freeze"] or outcome["review"]
        if outcome["freeze"]:
            frozen = DecisionRecord.objects.get(cycle=cycle, status=DecisionRecord.Status.FROZEN)
            assert decision.decision_replay(record=frozen).live_data_unchanged
