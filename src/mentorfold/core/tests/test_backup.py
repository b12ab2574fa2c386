"""Backup and restore round trip (SQLite, and PostgreSQL when DATABASE_URL points at it), and the refusals."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mentorfold.accounts.models import Role
from mentorfold.accounts.tests.factories import UserFactory
from mentorfold.core.backup import current_row_counts, restore_check, sha256_file
from mentorfold.core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    (root / "documents" / "2026").mkdir(parents=True)
    (root / "documents" / "2026" / "a1b2.pdf").write_bytes(b"%PDF-1.4 clearance letter\n" * 50)
    (root / "grants" / "attachments").mkdir(parents=True)
    (root / "grants" / "attachments" / "budget.png").write_bytes(bytes(range(256)) * 40)
    (root / "top.txt").write_text("hello")
    settings.PRIVATE_MEDIA_ROOT = root
    settings.MEDIA_ROOT = root
    return root


def _file_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _wipe_database() -> None:
    """Leave an empty database, as on a new server, so the restore cannot lean on what was there."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP SCHEMA public CASCADE")
            cur.execute("CREATE SCHEMA public")
        else:
            cur.execute("PRAGMA foreign_keys = OFF")
            for table in connection.introspection.table_names(cur):
                cur.execute(f'DROP TABLE "{table}"')
            cur.execute("PRAGMA foreign_keys = ON")
    assert connection.introspection.table_names() == []


def _backup(tmp_path: Path) -> Path:
    out = io.StringIO()
    call_command("backup", output=tmp_path / "backups", stdout=out)
    return Path(out.getvalue().strip().splitlines()[-1])


def test_backup_then_restore_into_an_empty_database_and_folder_gives_every_row_and_file_back(
    private_root: Path, tmp_path: Path
) -> None:
    # An earlier transactional test's flush removes the role groups a data migration made; seed needs them.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    call_command("seed_demo", size="small", stdout=io.StringIO())
    counts_before = current_row_counts()
    hashes_before = _file_hashes(private_root)
    assert counts_before["accounts_user"] > 100 and len(hashes_before) == 3

    folder = _backup(tmp_path)

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_counts"] == counts_before
    assert "0001_initial" in manifest["migrations"]["core"]
    db_file = manifest["database_file"]
    assert manifest["files"][db_file] == sha256_file(folder / db_file)
    assert {k.removeprefix("files/"): v for k, v in manifest["files"].items() if k.startswith("files/")} == (
        hashes_before
    )

    _wipe_database()
    shutil.rmtree(private_root)
    out = io.StringIO()
    call_command("restore", str(folder), yes=True, stdout=out)

    assert current_row_counts() == counts_before
    assert _file_hashes(private_root) == hashes_before
    assert "row counts match the manifest" in out.getvalue()
    assert (
        restore_check(folder).manifest == manifest
    )  # restoring left the backup as it was: hashes still match
    # The restored site works through the ORM, not only row by row.
    assert UserFactory().pk


def test_restore_refuses_a_backup_whose_file_was_changed_and_changes_nothing(
    private_root: Path, tmp_path: Path
) -> None:
    UserFactory.create_batch(3)
    folder = _backup(tmp_path)
    (folder / "files" / "top.txt").write_text("HELLO")
    AuditEvent.objects.create(action="after.backup")
    (private_root / "new.txt").write_text("made after the backup")
    counts = current_row_counts()

    with pytest.raises(CommandError, match=r"Nothing was changed.*files/top.txt has changed"):
        call_command("restore", str(folder), yes=True, stdout=io.StringIO())

    assert current_row_counts() == counts
    assert (private_root / "new.txt").exists()


def test_restore_refuses_a_tampered_database_file(private_root: Path, tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    with (folder / manifest["database_file"]).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(CommandError, match="its sha256 does not match"):
        call_command("restore", str(folder), yes=True, stdout=io.StringIO())


def test_restore_refuses_a_backup_from_newer_code(private_root: Path, tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"]["core"].append("9999_from_the_future")
    manifest_path.write_text(json.dumps(manifest))
    AuditEvent.objects.create(action="after.backup")

    with pytest.raises(CommandError, match=r"newer code.*core\.9999_from_the_future"):
        call_command("restore", str(folder), yes=True, stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="after.backup").exists()


def test_restore_refuses_files_the_manifest_does_not_list(private_root: Path, tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    (folder / "files" / "slipped-in.pdf").write_bytes(b"%PDF")
    with pytest.raises(CommandError, match="does not list: files/slipped-in.pdf"):
        call_command("restore", str(folder), yes=True, stdout=io.StringIO())


def test_restore_without_yes_and_without_a_terminal_changes_nothing(
    private_root: Path, tmp_path: Path
) -> None:
    folder = _backup(tmp_path)
    AuditEvent.objects.create(action="after.backup")
    with pytest.raises(CommandError, match="Add --yes"):
        call_command("restore", str(folder), stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="after.backup").exists()


def test_restore_of_an_older_backup_says_to_migrate(private_root: Path, tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"]["core"].remove("0002_notice")
    manifest_path.write_text(json.dumps(manifest))
    # The database file still has the row, so only the plan is checked here, not a real restore.
    plan = restore_check(folder)
    assert plan.pending_migrations == ["core.0002_notice"]


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"manifest\.json is missing"):
        call_command("restore", str(tmp_path), yes=True, stdout=io.StringIO())


def test_backup_keep_deletes_only_the_oldest_complete_backups(private_root: Path, tmp_path: Path) -> None:
    made = [_backup(tmp_path) for _ in range(3)]
    stray = tmp_path / "backups" / "notes"
    stray.mkdir()
    out = io.StringIO()
    call_command("backup", output=tmp_path / "backups", keep=2, stdout=out)
    newest = Path(out.getvalue().strip().splitlines()[-1])
    left = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert left == sorted([made[2].name, newest.name, "notes"])


def test_coordinator_export_files_are_not_saved_in_a_backup(private_root: Path, tmp_path: Path) -> None:
    (private_root / "exports").mkdir()
    (private_root / "exports" / "0b6f2a5e-learners.csv").write_text("email\nana@example.org\n")
    folder = _backup(tmp_path)
    saved = json.loads((folder / "manifest.json").read_text())["files"]
    assert "files/top.txt" in saved
    assert not [name for name in saved if "exports" in name]
    assert not (folder / "files" / "exports").exists()
