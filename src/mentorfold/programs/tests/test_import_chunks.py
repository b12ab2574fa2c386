"""An import writes its people in short chunks that nobody sees, then makes the whole batch live at once.

Issue 14 §2: no write transaction longer than ~0.5 s at 20,000 rows, still all or nothing; a failure, a sign-up
meanwhile or a killed worker leaves nothing live and (after recovery) nothing behind.
"""

from __future__ import annotations

import csv
import gc
import io
import subprocess
import sys
import threading
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorfold.accounts import selectors
from mentorfold.accounts.models import LearnerProfile, Organization, User
from mentorfold.accounts.tests.factories import LanguageFactory, UserFactory
from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import task_runs_recover, worker_identity
from mentorfold.programs import exporting, import_writes, importing
from mentorfold.programs.models import ImportBatch, ImportPending, ImportPendingLanguage, ImportWelcome

pytestmark = pytest.mark.django_db

PREFIX = "chunky"


def _data(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "full_name", "stage", "date_of_birth", "school", "languages"])
    for i in range(n):
        writer.writerow(
            [
                f"{PREFIX}{i}@example.org",
                f"Chunky {i}",
                "undergraduate",
                "2004-05-17",
                "Chunk High",
                "Spanish",
            ]
        )
    return out.getvalue().encode()


def _batch(coordinator: Any, n: int = 7) -> ImportBatch:
    batch = importing.import_batch_create(actor=coordinator, kind="learners", name="l.csv", data=_data(n))
    assert batch.errors == []
    return batch


def _nothing_left(batch: ImportBatch) -> None:
    """Nothing of the batch is live, and nothing it wrote is left over."""
    assert not User.objects.filter(email__startswith=PREFIX).exists()
    assert not EmailAddress.objects.filter(email__startswith=PREFIX).exists()
    assert not LearnerProfile.objects.filter(user__email__startswith=PREFIX).exists()
    assert not ImportPending.objects.filter(batch=batch).exists()
    assert not ImportPendingLanguage.objects.filter(batch=batch).exists()
    assert not Organization.objects.filter(name="Chunk High").exists()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    LanguageFactory()
    monkeypatch.setattr(importing, "IMPORT_CHUNK", 2)  # 7 people: chunks of 2, 2, 2, 1


def test_each_chunk_is_its_own_short_transaction_and_the_batch_goes_live_at_once(
    coordinator: Any, small_chunks: None
) -> None:
    batch = _batch(coordinator)
    with CaptureQueriesContext(connection) as queries:
        assert importing.import_batch_commit(batch=batch, actor=coordinator) == 7
    user_inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "accounts_user"')
    ]
    assert len(user_inserts) == 4  # one per chunk, each in its own transaction
    assert User.objects.filter(email__startswith=PREFIX, is_active=True).count() == 7
    assert LearnerProfile.objects.filter(user__email__startswith=PREFIX, languages__code="es").count() == 7
    assert LearnerProfile.objects.filter(school__name="Chunk High").count() == 7
    assert User.objects.filter(email__startswith=PREFIX, groups__name="learner").count() == 7
    assert not ImportPending.objects.exists() and not ImportPendingLanguage.objects.exists()
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == (ImportBatch.Status.DONE, 7)


def test_a_failure_in_the_middle_of_chunk_3_leaves_nothing_live_and_nothing_behind(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    real_insert_rows = import_writes.insert_rows
    calls = {"n": 0, "pending_then": 0}

    def boom(model: Any, columns: Any, rows: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 5:  # chunk 3: its accounts and pending rows are written, its role and languages not
            calls["pending_then"] = ImportPending.objects.filter(batch=batch).count()
            raise RuntimeError("disk full")
        real_insert_rows(model, columns, rows)

    monkeypatch.setattr(import_writes, "insert_rows", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert calls["pending_then"] == 6  # chunks 1 and 2 were committed, chunk 3 was half written
    _nothing_left(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.created_count == 0


def test_a_sign_up_before_its_chunk_fails_the_batch_cleanly_with_no_duplicate(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    real_write_chunk = importing.write_chunk

    def sign_up_after_chunk_1(b: Any, prepared: Any, start: int, stop: int, *, first: bool) -> Any:
        if start == 2:
            User.objects.create_user(email=f"{PREFIX}5@example.org", password="x", full_name="Early bird")
        return real_write_chunk(b, prepared, start, stop, first=first)

    monkeypatch.setattr(importing, "write_chunk", sign_up_after_chunk_1)
    with pytest.raises(ValidationError, match=f"{PREFIX}5@example.org"):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert list(User.objects.filter(email__startswith=PREFIX).values_list("full_name", flat=True)) == [
        "Early bird"
    ]
    assert not LearnerProfile.objects.exists()
    assert not ImportPending.objects.exists() and not ImportPendingLanguage.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW


def test_an_address_taken_by_someone_else_meanwhile_fails_the_batch_at_the_last_step(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    someone = UserFactory(email="someone@example.org")
    real_write_chunk = importing.write_chunk

    def add_address_after_last_chunk(b: Any, prepared: Any, start: int, stop: int, *, first: bool) -> Any:
        ids = real_write_chunk(b, prepared, start, stop, first=first)
        if start == 6:
            EmailAddress.objects.create(user=someone, email=f"{PREFIX}1@example.org", verified=True)
        return ids

    monkeypatch.setattr(importing, "write_chunk", add_address_after_last_chunk)
    with pytest.raises(ValidationError, match=f"{PREFIX}1@example.org"):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    assert not User.objects.filter(email__startswith=PREFIX).exists()
    assert list(EmailAddress.objects.filter(email__startswith=PREFIX).values_list("user", flat=True)) == [
        someone.pk
    ]
    assert not ImportPending.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW


def test_a_sign_up_with_an_address_already_written_is_refused_and_the_import_completes(
    client: Any, coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    real_write_chunk = importing.write_chunk
    responses: list[Any] = []

    def sign_up_after_chunk_1(b: Any, prepared: Any, start: int, stop: int, *, first: bool) -> Any:
        if start == 2:
            with pytest.raises(IntegrityError), transaction.atomic():
                User.objects.create_user(email=f"{PREFIX}0@example.org", password="x", full_name="Late")
            responses.append(
                client.post(
                    reverse("account_signup"),
                    {
                        "email": f"{PREFIX}1@example.org",
                        "full_name": "Late bird",
                        "join_as": "learner",
                        "stage": "undergraduate",
                        "date_of_birth": "2004-03-01",
                        "password1": "a-long-enough-Passw0rd",
                        "password2": "a-long-enough-Passw0rd",
                    },
                )
            )
        return real_write_chunk(b, prepared, start, stop, first=first)

    monkeypatch.setattr(importing, "write_chunk", sign_up_after_chunk_1)
    assert importing.import_batch_commit(batch=batch, actor=coordinator) == 7
    assert responses and responses[0].status_code in {200, 302}
    assert User.objects.filter(email=f"{PREFIX}1@example.org").count() == 1
    assert User.objects.get(email=f"{PREFIX}1@example.org").full_name == "Chunky 1"
    assert EmailAddress.objects.filter(email=f"{PREFIX}1@example.org").count() == 1


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing in the import catches it, so nothing is cleaned up."""


def _killed_after_two_chunks(coordinator: Any, monkeypatch: pytest.MonkeyPatch) -> ImportBatch:
    """A batch as a worker killed mid-import leaves it: running, two chunks of not-live people written."""
    batch = _batch(coordinator)
    run = TaskRun.objects.create(
        kind="programs.import",
        label="import",
        status=TaskRun.Status.RUNNING,
        worker=worker_identity(_dead_pid()),
    )
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING, task_run_id=run.pk)
    batch.refresh_from_db()
    real_write_chunk = importing.write_chunk

    def killed(b: Any, prepared: Any, start: int, stop: int, *, first: bool) -> Any:
        if start == 4:
            raise WorkerKilled
        return real_write_chunk(b, prepared, start, stop, first=first)

    monkeypatch.setattr(importing, "write_chunk", killed)
    with pytest.raises(WorkerKilled):
        importing.import_batch_commit(batch=batch, actor=coordinator)
    monkeypatch.setattr(importing, "write_chunk", real_write_chunk)
    assert ImportPending.objects.filter(batch=batch).count() == 4
    assert User.objects.filter(email__startswith=PREFIX, is_active=False).count() == 4
    return batch


def test_pending_people_are_in_no_list_count_export_role_or_sign_in(
    client: Any, coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = selectors.coordinator_summary()
    _killed_after_two_chunks(coordinator, monkeypatch)
    assert selectors.coordinator_summary() == before
    assert not selectors.learner_list(search=PREFIX).exists()
    assert not [row for row in exporting.export_rows("learners") if PREFIX in str(row[0])]
    for user in User.objects.filter(email__startswith=PREFIX):
        assert not ModelBackend().user_can_authenticate(user) and not user.has_usable_password()
    client.force_login(coordinator)
    for url in (reverse("people"), reverse("people") + f"?q={PREFIX}"):
        body = client.get(url).content.decode()
        assert f"{PREFIX}0@example.org" not in body and "Chunky 0" not in body


def test_a_killed_import_is_cleaned_up_by_recovery_and_can_be_run_again(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _killed_after_two_chunks(coordinator, monkeypatch)
    assert task_runs_recover() == [str(batch.task_run_id)]  # what `manage.py worker` does when it starts
    importing.import_batches_recover()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    _nothing_left(batch)
    with pytest.raises(ValidationError, match="already run"):
        importing.import_batch_commit(batch=batch, actor=coordinator)  # a late task writes nothing
    again = _batch(coordinator)  # the same people upload cleanly: nobody "already has an account"
    assert importing.import_batch_commit(batch=again, actor=coordinator) == 7


def test_a_new_upload_removes_a_dead_import_s_leftovers_first(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _killed_after_two_chunks(coordinator, monkeypatch)
    TaskRun.objects.filter(pk=batch.task_run_id).update(status=TaskRun.Status.FAILED)
    again = _batch(coordinator)
    assert again.errors == []
    assert not ImportPending.objects.filter(batch=batch).exists()
    assert importing.import_batch_commit(batch=again, actor=coordinator) == 7


def test_a_second_run_of_a_batch_being_written_is_refused_and_undoes_nothing_of_the_first(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    real_write_chunk = importing.write_chunk
    second: list[str] = []

    def second_run_meanwhile(b: Any, prepared: Any, start: int, stop: int, *, first: bool) -> Any:
        if start == 2 and not second:
            second.append("tried")
            with pytest.raises(ValidationError, match="already started"):
                importing.import_batch_commit(batch=batch, actor=coordinator)
        return real_write_chunk(b, prepared, start, stop, first=first)

    monkeypatch.setattr(importing, "write_chunk", second_run_meanwhile)
    assert importing.import_batch_commit(batch=batch, actor=coordinator) == 7
    assert second == ["tried"]
    assert User.objects.filter(email__startswith=PREFIX, is_active=True).count() == 7


def test_bookkeeping_left_by_a_worker_killed_right_after_going_live_never_removes_anyone(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    monkeypatch.setattr(importing, "_forget_pending", lambda batch_id: None)  # killed before the clean-up
    assert importing.import_batch_commit(batch=batch, actor=coordinator) == 7
    monkeypatch.undo()
    assert ImportPending.objects.filter(batch=batch).count() == 7
    importing.import_batch_fail(batch_id=batch.pk)  # a late failure report changes nothing
    importing.import_batches_recover()
    assert not ImportPending.objects.exists() and not ImportPendingLanguage.objects.exists()
    assert User.objects.filter(email__startswith=PREFIX, is_active=True).count() == 7
    assert LearnerProfile.objects.filter(user__email__startswith=PREFIX).count() == 7
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_batch_at_once_import_everyone_once(coordinator: Any, small_chunks: None) -> None:
    batch = _batch(coordinator)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            outcomes.append(str(importing.import_batch_commit(batch=batch, actor=coordinator)))
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["7", "refused"]
    assert User.objects.filter(email__startswith=PREFIX, is_active=True).count() == 7
    assert LearnerProfile.objects.filter(user__email__startswith=PREFIX).count() == 7
    assert not ImportPending.objects.exists()


def test_no_garbage_collection_pause_lengthens_a_write_transaction(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _batch(coordinator)
    seen: list[bool] = []
    real_make_live, real_insert_rows = importing.make_live, import_writes.insert_rows

    def make_live(*args: Any) -> int:
        seen.append(gc.isenabled())
        return real_make_live(*args)

    def insert_rows(*args: Any) -> None:
        seen.append(gc.isenabled())
        real_insert_rows(*args)

    monkeypatch.setattr(importing, "make_live", make_live)
    monkeypatch.setattr(import_writes, "insert_rows", insert_rows)
    assert gc.isenabled()
    importing.import_batch_commit(batch=batch, actor=coordinator)
    assert seen and not any(seen)
    assert gc.isenabled()


@pytest.mark.django_db(transaction=True)
def test_a_leftover_account_something_else_refers_to_is_still_removed_completely(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _killed_after_two_chunks(coordinator, monkeypatch)
    stray = User.objects.get(email=f"{PREFIX}0@example.org")
    ImportWelcome.objects.create(batch=batch, user=stray, sent_at=timezone.now())  # unexpected reference
    assert importing.import_pending_discard(batch_id=batch.pk) == 4
    assert not User.objects.filter(email__startswith=PREFIX).exists()
    assert not ImportWelcome.objects.exists() and not ImportPending.objects.exists()
    assert not User.groups.through.objects.filter(user_id=stray.pk).exists()


def test_leftovers_are_removed_with_a_few_statements_per_chunk(
    coordinator: Any, small_chunks: None, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    batch = _killed_after_two_chunks(coordinator, monkeypatch)
    monkeypatch.setattr(importing, "DISCARD_CHUNK", 100)
    with django_assert_max_num_queries(16):
        assert importing.import_pending_discard(batch_id=batch.pk) == 4
    _nothing_left(batch)
