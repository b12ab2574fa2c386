"""Races on PostgreSQL with real threads: two digest workers for the same person send one e-mail."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections

from mentorfold.messaging import services
from mentorfold.messaging.models import MessageDigest

from .factories import add_messages, start_thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# reason: SQLite's test database cannot be shared by two threads' connections; the lock under test is
# PostgreSQL's SELECT ... FOR UPDATE on the recipient's row.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and two connections"
)
def test_two_digest_workers_racing_for_one_person_send_one_email(mentorship: Any) -> None:
    thread = start_thread(mentorship)
    add_messages(thread, by=mentorship.mentor.user, count=5)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.digest_send_one(user_id=mentorship.learner.user_id))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert sorted(results) == [False, True]
    assert MessageDigest.objects.filter(user=mentorship.learner.user).count() == 1
    assert [m.to for m in mail.outbox] == [[mentorship.learner.user.email]]
