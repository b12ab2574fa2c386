"""Publication as a background task: asks first, claims the run once, mails everyone once, in batches."""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts.tests.factories import LearnerProfileFactory, MentorProfileFactory
from mentorfold.core import mail as core_mail
from mentorfold.core.models import Notice, TaskRun
from mentorfold.matching import publication, services
from mentorfold.matching.models import MatchRun, Mentorship, PublicationMail

from .factories import MentorshipFactory, join_term, rank

APP = Path(services.__file__).resolve().parent


def finished_run(term: Any, coordinator: Any, method: str = "stable") -> MatchRun:
    run = MatchRun.objects.create(term=term, method=method, seed=1, created_by=coordinator)
    return services.match_run_execute(match_run=run)


def mails_per_address(mailoutbox: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in mailoutbox:
        for address in message.to:
            counts[address] = counts.get(address, 0) + 1
    return counts


def test_publish_asks_for_confirmation_first(
    client: Any, ranked_term: Any, coordinator: Any, mailoutbox: list[Any]
) -> None:
    run = finished_run(ranked_term, coordinator)
    client.force_login(coordinator)
    url = reverse("matching:run_publish", args=[run.pk])
    body = client.get(url).content.decode()
    assert "This creates 2 mentorships." in body and "4 people get an e-mail" in body
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"confirm": "on"}).status_code == 400
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED and not Mentorship.objects.exists() and not mailoutbox


def test_one_click_sends_no_mail_in_the_request_and_the_task_does_the_rest(
    client: Any,
    ranked_term: Any,
    learner: Any,
    mentor: Any,
    coordinator: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = finished_run(ranked_term, coordinator)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("matching:run_publish", args=[run.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHING
    assert not mailoutbox and not Mentorship.objects.exists() and not Notice.objects.exists()
    task_run = TaskRun.objects.get(pk=run.publish_task_run_id)
    assert task_run.kind == "matching.publish" and "Publishing match run" in task_run.label
    with django_capture_on_commit_callbacks(execute=True):  # the publication task, which queues the mail task
        for callback in callbacks:
            callback()
    run.refresh_from_db()
    task_run.refresh_from_db()
    mail_run = TaskRun.objects.get(pk=run.mail_task_run_id)
    assert mail_run.kind == "matching.publish_mail" and mail_run.status == TaskRun.Status.SUCCEEDED
    assert run.status == MatchRun.Status.PUBLISHED and task_run.status == TaskRun.Status.SUCCEEDED
    assert task_run.percent == 100 and "2 mentorships created" in task_run.message
    assert Mentorship.objects.filter(match_run=run).count() == 2
    assert set(mails_per_address(mailoutbox).values()) == {1}
    assert Notice.objects.filter(user=learner.user, text__contains="You are matched with").count() == 1
    body = client.get(reverse("matching:run_detail", args=[run.pk])).content.decode()
    assert "task-progress" in body and "Published" in body


def test_a_mentor_with_several_mentees_gets_one_email_naming_them_all(
    term: Any, mentor: Any, coordinator: Any, mailoutbox: list[Any]
) -> None:
    learners = [LearnerProfileFactory() for _ in range(3)]
    join_term(term, learners=learners, mentors=[mentor], capacity=3)
    for lp in learners:
        rank(term, lp, [mentor])
    run = finished_run(term, coordinator)
    services.match_run_publish(match_run=run, user=coordinator)
    to_mentor = [m for m in mailoutbox if m.to == [mentor.user.email]]
    assert len(to_mentor) == 1
    assert all(lp.user.full_name in to_mentor[0].body for lp in learners)
    assert "3 new mentees" in to_mentor[0].body
    assert len(mailoutbox) == 4


def test_a_retried_publication_mails_nobody_twice(
    term: Any, coordinator: Any, mailoutbox: list[Any], monkeypatch: Any
) -> None:
    mentors = [MentorProfileFactory() for _ in range(3)]
    learners = [LearnerProfileFactory() for _ in range(6)]
    join_term(term, learners=learners, mentors=mentors, capacity=2)
    for i, lp in enumerate(learners):
        rank(term, lp, [mentors[i % 3]])
    run = finished_run(term, coordinator)
    publication.match_run_publish_claim(match_run=run, user=coordinator)
    assert publication.match_run_publish_write(match_run_id=run.pk, user=coordinator) == 6
    assert publication.match_run_publish_queue(match_run_id=run.pk) == 9
    assert publication.match_run_publish_queue(match_run_id=run.pk) == 0
    # The mail server cannot be reached the second time; the task fails and is retried.
    real = core_mail.get_connection
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("mail server went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(core_mail, "get_connection", flaky)
    with pytest.raises(core_mail.MailNotSent):
        publication.match_run_publish_mail(match_run_id=run.pk, batch=3)
    first = len(mailoutbox)
    assert 0 < first < 9
    assert PublicationMail.objects.filter(run=run, sent_at__isnull=False).count() == first
    # The retry writes nothing again and tells only the people not yet told.
    assert publication.match_run_publish_write(match_run_id=run.pk, user=coordinator) == 0
    publication.match_run_publish_notify(match_run_id=run.pk, batch=3)
    publication.match_run_publish_notify(match_run_id=run.pk, batch=3)
    assert max(mails_per_address(mailoutbox).values()) == 1
    assert len(mailoutbox) == 9  # the batch whose connection failed was given back and sent on the retry
    assert PublicationMail.objects.filter(run=run, sent_at__isnull=False).count() == 9
    assert Notice.objects.count() == 12  # one per mentorship per side, never twice
    assert Mentorship.objects.filter(match_run=run).count() == 6


def test_a_run_is_claimed_once_and_only_one_run_of_a_term_is_published(
    ranked_term: Any, coordinator: Any
) -> None:
    run = finished_run(ranked_term, coordinator)
    other = finished_run(ranked_term, coordinator, method="optimal")
    publication.match_run_publish_claim(match_run=run, user=coordinator)
    with pytest.raises(ValidationError, match="not yet published"):
        publication.match_run_publish_claim(match_run=MatchRun.objects.get(pk=run.pk), user=coordinator)
    with pytest.raises(ValidationError, match="already published"):
        publication.match_run_publish_claim(match_run=other, user=coordinator)


def test_a_failed_write_leaves_the_run_publishable_again(
    ranked_term: Any, coordinator: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    run = finished_run(ranked_term, coordinator)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("mentorfold.matching.tasks.match_run_publish_write", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.match_run_publish_start(match_run=run, user=coordinator)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED and not Mentorship.objects.exists()
    assert TaskRun.objects.get(pk=run.publish_task_run_id).status == TaskRun.Status.FAILED


def test_a_publication_whose_task_failed_can_be_started_again(
    ranked_term: Any, coordinator: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    run = finished_run(ranked_term, coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        services.match_run_publish_start(match_run=run, user=coordinator)
    run.refresh_from_db()
    with pytest.raises(ValidationError, match="already being published"):
        services.match_run_publish_start(match_run=run, user=coordinator)
    TaskRun.objects.filter(pk=run.publish_task_run_id).update(status=TaskRun.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        services.match_run_publish_start(match_run=run, user=coordinator)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHED
    assert set(mails_per_address(mailoutbox).values()) == {1}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real threads")
@pytest.mark.django_db(transaction=True)
def test_publication_twice_at_once_publishes_once(
    ranked_term: Any, learner: Any, other_learner: Any, coordinator: Any, mailoutbox: list[Any]
) -> None:
    run = finished_run(ranked_term, coordinator)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        try:
            barrier.wait()
            services.match_run_publish_start(match_run=MatchRun.objects.get(pk=run.pk), user=coordinator)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    run.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHED
    assert TaskRun.objects.filter(kind="matching.publish").count() == 1
    assert Mentorship.objects.filter(match_run=run).count() == 2
    assert Mentorship.objects.filter(term=ranked_term).count() == 2
    counts = mails_per_address(mailoutbox)
    assert counts[learner.user.email] == 1 and counts[other_learner.user.email] == 1
    assert set(counts.values()) == {1}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real threads")
@pytest.mark.django_db(transaction=True)
def test_two_notifiers_of_one_run_at_once_mail_each_person_once(
    ranked_term: Any, coordinator: Any, mailoutbox: list[Any]
) -> None:
    run = finished_run(ranked_term, coordinator)
    publication.match_run_publish_claim(match_run=run, user=coordinator)
    publication.match_run_publish_write(match_run_id=run.pk, user=coordinator)
    barrier = threading.Barrier(2)

    def notify() -> None:
        try:
            barrier.wait()
            publication.match_run_publish_notify(match_run_id=run.pk, batch=1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=notify) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(mails_per_address(mailoutbox).values()) == {1} and len(mailoutbox) == 4


# ------------------------------------------------------------------------------------------ mentorship writes


def test_a_decline_on_a_stale_page_does_not_undo_a_completed_mentorship(
    ranked_term: Any, learner: Any, mentor: Any
) -> None:
    m = MentorshipFactory(term=ranked_term, learner=learner, mentor=mentor)
    stale = Mentorship.objects.select_related("mentor", "term").get(pk=m.pk)
    Mentorship.objects.filter(pk=m.pk).update(status=Mentorship.Status.COMPLETED, ended_at=timezone.now())
    with pytest.raises(ValidationError):
        services.mentorship_decline(mentorship=stale, user=mentor.user, reason="busy")
    assert Mentorship.objects.get(pk=m.pk).status == Mentorship.Status.COMPLETED


def test_saving_goals_on_a_stale_page_keeps_a_status_change_made_meanwhile(
    ranked_term: Any, learner: Any, mentor: Any
) -> None:
    m = MentorshipFactory(term=ranked_term, learner=learner, mentor=mentor)
    stale = Mentorship.objects.select_related("mentor", "learner").get(pk=m.pk)
    Mentorship.objects.filter(pk=m.pk).update(status=Mentorship.Status.PAUSED)
    services.mentorship_update(mentorship=stale, user=learner.user, goals="Shadow a clinic day")
    fresh = Mentorship.objects.get(pk=m.pk)
    assert fresh.status == Mentorship.Status.PAUSED and fresh.goals == "Shadow a clinic day"


def test_a_decline_mails_the_learner_only_after_commit(
    ranked_term: Any,
    learner: Any,
    mentor: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    m = MentorshipFactory(term=ranked_term, learner=learner, mentor=mentor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.mentorship_decline(mentorship=m, user=mentor.user, reason="moving away")
    assert not mailoutbox and len(callbacks) == 1
    callbacks[0]()
    assert [msg.to for msg in mailoutbox] == [[learner.user.email]]


# ------------------------------------------------------------------------------------------ structure & certificates


def test_tasks_and_the_work_they_run_never_import_services() -> None:
    for name in ("tasks.py", "running.py", "publication.py"):
        tree = ast.parse((APP / name).read_text())
        imported = {(node.module or "") for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        assert not any(mod == "services" or mod.endswith("matching.services") for mod in imported), name


def test_an_optimal_run_stores_a_certificate_the_engine_verified(
    ranked_term: Any, coordinator: Any, monkeypatch: Any
) -> None:
    run = finished_run(ranked_term, coordinator, method="optimal")
    assert run.certificate["verified"] is True
    assert run.certificate["verified_gap"] <= run.certificate["tolerance"]

    def forged(self: Any) -> float:
        raise ValueError("stored objective 1.0 != recomputed 2.0")

    monkeypatch.setattr("mentorfold.engine.assign.Assignment.verify", forged)
    bad = MatchRun.objects.create(term=ranked_term, method="optimal", seed=1, created_by=coordinator)
    with pytest.raises(ValueError, match="recomputed"):
        services.match_run_execute(match_run=bad)
    assert not bad.assignments.exists()


def test_a_stable_run_says_how_many_learners_any_matching_could_place(
    term: Any, client: Any, coordinator: Any
) -> None:
    first, second = MentorProfileFactory(), MentorProfileFactory()
    a, b = LearnerProfileFactory(), LearnerProfileFactory()
    join_term(term, learners=[a, b], mentors=[first, second])
    rank(term, a, [first, second])
    rank(term, b, [first])
    from .factories import mentor_rank

    mentor_rank(term, first, [a, b])
    run = finished_run(term, coordinator)
    assert run.certificate["matched"] == 1 and run.certificate["most_matchable"] == 2
    client.force_login(coordinator)
    body = client.get(reverse("matching:run_detail", args=[run.pk])).content.decode()
    assert "Stable matching does not promise the most learners matched" in body
