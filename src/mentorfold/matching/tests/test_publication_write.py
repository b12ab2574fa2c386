"""Publishing a run writes its mentorships in one short transaction, copied inside the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentorfold.core.models import AuditEvent, Notice, TaskRun
from mentorfold.matching import publication, services
from mentorfold.matching.models import MatchRun, Mentorship
from mentorfold.programs.models import MentorTermOptIn

from .conftest import many_learners
from .factories import MentorshipFactory, rank


def claimed_run(term: Any, coordinator: Any) -> MatchRun:
    run = services.match_run_execute(match_run=MatchRun.objects.create(term=term, method="stable", seed=1))
    return publication.match_run_publish_claim(match_run=run, user=coordinator)


def test_the_publish_transaction_never_loads_the_runs_frozen_inputs(
    ranked_term: Any, coordinator: Any
) -> None:
    run = claimed_run(ranked_term, coordinator)
    with CaptureQueriesContext(connection) as ctx:
        assert publication.match_run_publish_write(match_run_id=run.pk, user=coordinator) == 2
    # Decoding several MB of JSON under the row lock kept the write transaction busy for seconds.
    assert not [q["sql"] for q in ctx.captured_queries if '"inputs"' in q["sql"]]


def test_the_publish_transaction_has_the_same_queries_whatever_the_size(
    ranked_term: Any, coordinator: Any, mentor: Any, other_mentor: Any, third_mentor: Any
) -> None:
    def count() -> tuple[int, int]:
        run = claimed_run(ranked_term, coordinator)
        with CaptureQueriesContext(connection) as ctx:
            publication.match_run_publish_write(match_run_id=run.pk, user=coordinator)
        created = Mentorship.objects.filter(match_run=run).count()
        Mentorship.objects.filter(match_run=run).delete()
        MatchRun.objects.filter(pk=run.pk).update(status=MatchRun.Status.FAILED)
        return len(ctx.captured_queries), created

    small, two = count()
    MentorTermOptIn.objects.filter(term=ranked_term).update(capacity=10)
    for lp in many_learners(ranked_term, 12):
        rank(ranked_term, lp, [mentor, other_mentor, third_mentor])
    large, fourteen = count()
    assert (two, fourteen) == (2, 14)
    assert large == small <= 8


def test_a_learner_placed_by_hand_meanwhile_is_skipped_and_a_declined_pair_keeps_its_row(
    ranked_term: Any, coordinator: Any, learner: Any, other_learner: Any, mentor: Any, third_mentor: Any
) -> None:
    run = claimed_run(ranked_term, coordinator)
    pairs = dict(run.assignments.values_list("learner_id", "mentor_id"))
    assert pairs == {learner.pk: mentor.pk, other_learner.pk: third_mentor.pk}
    by_hand = MentorshipFactory(term=ranked_term, learner=learner, mentor=third_mentor)
    declined = MentorshipFactory(
        term=ranked_term, learner=other_learner, mentor=third_mentor, status=Mentorship.Status.DECLINED
    )
    assert publication.match_run_publish_write(match_run_id=run.pk, user=coordinator) == 0
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHED and run.published_at
    assert set(Mentorship.objects.filter(term=ranked_term).values_list("pk", flat=True)) == {
        by_hand.pk,
        declined.pk,
    }
    assert AuditEvent.objects.get(action="matching.run_publish").data == {"mentorships": 0}


def test_mentorships_and_the_published_state_commit_together(
    ranked_term: Any, coordinator: Any, monkeypatch: Any
) -> None:
    run = claimed_run(ranked_term, coordinator)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit table is gone")

    monkeypatch.setattr(publication, "audit", broken)
    with pytest.raises(RuntimeError):
        publication.match_run_publish_write(match_run_id=run.pk, user=coordinator)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHING and not Mentorship.objects.exists()
    monkeypatch.undo()
    assert publication.match_run_publish_write(match_run_id=run.pk, user=coordinator) == 2
    created_by = set(Mentorship.objects.values_list("created_by", "match_run", "status", "site"))
    assert created_by == {(coordinator.pk, run.pk, "active", ranked_term.site.pk)}


def test_each_person_is_told_of_their_match_in_their_own_language(
    ranked_term: Any, coordinator: Any, learner: Any, other_learner: Any, mailoutbox: list[Any]
) -> None:
    learner.user.preferred_language = "es"
    learner.user.save(update_fields=["preferred_language"])
    run = claimed_run(ranked_term, coordinator)
    publication.match_run_publish_write(match_run_id=run.pk, user=coordinator)
    publication.match_run_publish_notify(match_run_id=run.pk)
    by_address = {m.to[0]: m for m in mailoutbox}
    assert by_address[learner.user.email].subject == "[Mentorfold] Ya tiene un mentor"
    assert by_address[other_learner.user.email].subject == "[Mentorfold] You have a mentor"
    assert len(mailoutbox) == 4 and {len(m.to) for m in mailoutbox} == {1}


def test_a_publication_whose_worker_died_after_the_write_can_be_finished(
    ranked_term: Any, coordinator: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    run = services.match_run_execute(
        match_run=MatchRun.objects.create(term=ranked_term, method="stable", seed=1)
    )
    with django_capture_on_commit_callbacks(execute=False):
        services.match_run_publish_start(match_run=run, user=coordinator)
    run.refresh_from_db()
    # The worker wrote the mentorships, then died before queueing anyone; restart recovery failed its job.
    publication.match_run_publish_write(match_run_id=run.pk, user=coordinator)
    TaskRun.objects.filter(pk=run.publish_task_run_id).update(status=TaskRun.Status.FAILED)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHED and run.mail_task_run_id is None
    assert services.publication_can_retry(run)

    with django_capture_on_commit_callbacks(execute=True):
        services.match_run_publish_start(match_run=run, user=coordinator)
    assert Mentorship.objects.filter(match_run=run).count() == 2
    assert len(mailoutbox) == 4 and len({m.to[0] for m in mailoutbox}) == 4
    assert Notice.objects.count() == 4
    run.refresh_from_db()
    assert not services.publication_can_retry(run)  # finished: nothing to start again
