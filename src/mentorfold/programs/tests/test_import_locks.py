"""Imports hold the write lock briefly (a fixed number of statements per batch) and invite each person once."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.core.exceptions import ValidationError
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentorfold.accounts.models import LearnerProfile, User
from mentorfold.accounts.tests.factories import LanguageFactory
from mentorfold.core import mail as mail_module
from mentorfold.core.mail import MailNotSent
from mentorfold.programs import importing
from mentorfold.programs.models import ImportBatch, ImportWelcome

pytestmark = pytest.mark.django_db


def _batch(coordinator: Any, n: int, prefix: str = "person") -> ImportBatch:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "full_name", "stage", "date_of_birth", "school", "languages"])
    for i in range(n):
        writer.writerow(
            [
                f"{prefix}{i}@example.org",
                f"Person {i}",
                "undergraduate",
                "2004-05-17",
                f"{prefix} school {i % 3}",
                "Spanish",
            ]
        )
    batch = importing.import_batch_create(
        actor=coordinator, kind="learners", name="l.csv", data=out.getvalue().encode()
    )
    assert batch.errors == []
    return batch


def _write_queries(coordinator: Any, batch: ImportBatch) -> int:
    """Statements run inside the import's write transaction (from its BEGIN to its COMMIT)."""
    with CaptureQueriesContext(connection) as queries:
        importing.import_batch_commit(batch=batch, actor=coordinator)
    sql = [q["sql"] for q in queries.captured_queries]
    start = next(i for i, q in enumerate(sql) if 'UPDATE "programs_importbatch"' in q)
    end = next(i for i in range(start, len(sql)) if sql[i].startswith("RELEASE SAVEPOINT"))
    return len(sql[start:end])


def test_the_write_transaction_runs_the_same_statements_for_5_and_50_people(coordinator: Any) -> None:
    LanguageFactory()
    small = _write_queries(coordinator, _batch(coordinator, 5, "small"))
    large = _write_queries(coordinator, _batch(coordinator, 50, "large"))
    assert small == large <= 15
    assert LearnerProfile.objects.filter(user__email__startswith="large").count() == 50
    assert LearnerProfile.objects.filter(languages__code="es", user__email__startswith="large").count() == 50


def test_someone_signing_up_during_the_import_rolls_it_all_back(
    coordinator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    LanguageFactory()
    batch = _batch(coordinator, 5)
    real_prepare = importing.prepare_people

    def prepare_then_someone_signs_up(b: ImportBatch) -> Any:
        prepared = real_prepare(b)
        User.objects.create_user(email="person3@example.org", password="x", full_name="Early bird")
        return prepared

    monkeypatch.setattr(importing, "prepare_people", prepare_then_someone_signs_up)
    with pytest.raises(ValidationError, match="person3@example.org"):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert list(User.objects.filter(email__startswith="person").values_list("full_name", flat=True)) == [
        "Early bird"
    ]
    assert not LearnerProfile.objects.exists()
    assert not EmailAddress.objects.filter(email__startswith="person").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.created_count == 0


def test_a_retried_invitation_task_mails_nobody_twice(
    coordinator: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    LanguageFactory()
    batch = _batch(coordinator, 5)
    with django_capture_on_commit_callbacks(execute=True):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert sorted(m.to[0] for m in mailoutbox) == [f"person{i}@example.org" for i in range(5)]
    assert importing.import_welcome_send(batch_id=batch.pk, actor=coordinator, batch_size=2) == 0
    assert len(mailoutbox) == 5 and ImportWelcome.objects.filter(batch=batch).count() == 5


class FlakyBackend(locmem.EmailBackend):
    """Like the test outbox, but the mail server goes away at message number ``fail_on``."""

    calls = 0
    fail_on = 0

    def send_messages(self, messages: Any) -> int:
        for _message in messages:
            FlakyBackend.calls += 1
            if FlakyBackend.calls == FlakyBackend.fail_on:
                raise ConnectionError("mail server went away")
        return super().send_messages(messages)


def test_a_mail_failure_gives_back_only_the_unsent_claims(
    coordinator: Any, mailoutbox: list[Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    LanguageFactory()
    batch = _batch(coordinator, 5)
    importing.import_batch_commit(batch=batch, actor=coordinator)
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    monkeypatch.setattr(FlakyBackend, "calls", 0)
    monkeypatch.setattr(FlakyBackend, "fail_on", 4)
    with pytest.raises(MailNotSent) as stopped:
        importing.import_welcome_send(batch_id=batch.pk, actor=coordinator, batch_size=2)
    assert isinstance(stopped.value.__cause__, ConnectionError)
    assert len(mailoutbox) == 3 and ImportWelcome.objects.filter(batch=batch).count() == 3
    assert importing.import_welcome_send(batch_id=batch.pk, actor=coordinator, batch_size=2) == 2
    recipients = [m.to[0] for m in mailoutbox]
    assert sorted(recipients) == [f"person{i}@example.org" for i in range(5)]


def test_invitations_cost_a_fixed_number_of_queries_and_one_connection_per_batch(
    coordinator: Any,
    mailoutbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    LanguageFactory()
    batch = _batch(coordinator, 30)
    importing.import_batch_commit(batch=batch, actor=coordinator)
    opened: list[Any] = []
    real_get_connection = mail_module.get_connection

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(1)
        return real_get_connection(*args, **kwargs)

    monkeypatch.setattr(mail_module, "get_connection", counting)
    # Per batch of 10: lock, sent-log read, people, sent-log write, languages (+ savepoint/commit noise).
    with django_assert_max_num_queries(3 + 3 * 8):
        assert importing.import_welcome_send(batch_id=batch.pk, actor=coordinator, batch_size=10) == 30
    assert len(opened) == 3 and len(mailoutbox) == 30
    body = next(m.body for m in mailoutbox if m.to == ["person7@example.org"])
    assert "Hello Person 7," in body
    uidb36, key = re.search(r"/password/reset/key/([0-9a-z]+)-(\S+)/", body).groups()  # type: ignore[union-attr]
    person = User.objects.get(email="person7@example.org")
    assert uidb36 == user_pk_to_url_str(person) and default_token_generator.check_token(person, key)


def test_a_failed_import_invites_nobody(coordinator: Any, mailoutbox: list[Any]) -> None:
    LanguageFactory()
    batch = _batch(coordinator, 2)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.FAILED)
    assert importing.import_welcome_send(batch_id=batch.pk, actor=coordinator) == 0
    assert mailoutbox == []
