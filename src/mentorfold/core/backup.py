"""Back up and restore the database and the private uploads, with a manifest that proves what was saved.

A backup is one folder::

    mentorfold-20261203-021500/
        manifest.json       migration state, row counts per table, sha256 of every file below
        database.sqlite3    SQLite: a page-by-page copy made with the online backup API
        database.pgdump     PostgreSQL: ``pg_dump --format=custom``
        files/...           the private uploads folder (``PRIVATE_MEDIA_ROOT``), without the coordinators'
                            export files (copies of the database kept 24 hours; a restore leaves none)

The folder is written under a temporary name and renamed when complete, so a half-written backup never
looks finished. Restore checks everything it can before it touches anything: every hash, and that the
backup's migrations all exist in this code (a backup from newer code is refused).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

MANIFEST = "manifest.json"
FILES_DIR = "files"
FORMAT_VERSION = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class RestorePlan:
    """What a verified backup holds, and how it relates to the code that will restore it."""

    folder: Path
    manifest: dict[str, Any]
    pending_migrations: list[str] = field(default_factory=list)

    @property
    def row_counts(self) -> dict[str, int]:
        return dict(self.manifest["row_counts"])

    @property
    def file_count(self) -> int:
        return sum(1 for name in self.manifest["files"] if name.startswith(f"{FILES_DIR}/"))


# --- shared helpers -------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _walk_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, in a stable order; symlinks are not followed (nor saved)."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


# Top-level folders of the private uploads that are not saved: coordinator exports (``programs.exporting``)
# are short-lived copies of what the database already holds, and a backup should not keep personal data longer.
NOT_SAVED = frozenset({"exports"})


def _private_files(root: Path) -> Iterator[Path]:
    for path in _walk_files(root):
        if path.relative_to(root).parts[0] not in NOT_SAVED:
            yield path


def _private_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def _migration_state(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    state: dict[str, list[str]] = {}
    for app, name in rows:
        state.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def find_pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: ``PG_BIN`` first, then PATH, then the newest /usr/lib/postgresql/*/bin."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]) / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    candidates += [p / name for p in reversed(versions)]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"{name} was not found. Install the PostgreSQL client tools or set PG_BIN to their folder."
    )


def _pg_env(conn: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq environment for the command-line tools, from the DATABASES settings (password never on argv)."""
    s = conn.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    env["PGDATABASE"] = str(s["NAME"])
    sslmode = (s.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(cmd: list[str], *, env: dict[str, str]) -> None:
    # cmd is pg_dump/pg_restore found by find_pg_tool, with arguments built here, never from a request.
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise BackupError(
            f"{Path(cmd[0]).name} failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}"
        )


# --- backup ---------------------------------------------------------------------------------------------


def _sqlite_dump(conn: BaseDatabaseWrapper, dest: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Copy the live database with SQLite's online backup API, then count rows in the copy itself."""
    conn.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        conn.connection.backup(target)
        # The copy keeps the live database's WAL mode; make it one self-contained file that reads never change.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    copy = sqlite3.connect(dest)
    try:
        tables = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {t: int(copy.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0]) for t in tables}  # noqa: S608
        migrations = (
            copy.execute("SELECT app, name FROM django_migrations").fetchall()
            if "django_migrations" in counts
            else []
        )
    finally:
        copy.close()
    return counts, _migration_state(migrations)


def _pg_dump(conn: BaseDatabaseWrapper, dest: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """``pg_dump`` from an exported snapshot, with row counts read in that same snapshot: they match exactly."""
    pg_dump = find_pg_tool("pg_dump")
    conn.ensure_connection()
    raw = conn.connection
    was_autocommit = raw.autocommit
    raw.autocommit = False
    try:
        with raw.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dest}",
                ],
                env=_pg_env(conn),
            )
            cur.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
            tables = [row[0] for row in cur.fetchall()]
            counts = {}
            for t in tables:
                cur.execute(f"SELECT COUNT(*) FROM {_quote(t)}")  # noqa: S608
                counts[t] = int(cur.fetchone()[0])
            migrations: list[tuple[str, str]] = []
            if "django_migrations" in counts:
                cur.execute("SELECT app, name FROM django_migrations")
                migrations = list(cur.fetchall())
        raw.rollback()
    finally:
        raw.autocommit = was_autocommit
    return counts, _migration_state(migrations)


def backup_create(*, output_dir: Path, using: str = "default") -> Path:
    """Write a complete backup folder under ``output_dir`` and return its path."""
    conn = connections[using]
    if conn.in_atomic_block:
        raise BackupError("A backup cannot run inside a database transaction.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    final = output_dir / f"mentorfold-{stamp}"
    n = 1
    while final.exists():
        n += 1
        final = output_dir / f"mentorfold-{stamp}-{n}"
    work = output_dir / f".{final.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        if conn.vendor == "sqlite":
            db_file = SQLITE_FILE
            counts, migrations = _sqlite_dump(conn, work / db_file)
        elif conn.vendor == "postgresql":
            db_file = PG_FILE
            counts, migrations = _pg_dump(conn, work / db_file)
        else:
            raise BackupError(f"Backups support SQLite and PostgreSQL, not {conn.vendor}.")
        source = _private_root()
        for path in _private_files(source):
            target = work / FILES_DIR / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        (work / FILES_DIR).mkdir(exist_ok=True)
        hashes = {path.relative_to(work).as_posix(): sha256_file(path) for path in _walk_files(work)}
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "vendor": conn.vendor,
            "database_file": db_file,
            "migrations": migrations,
            "row_counts": counts,
            "files": hashes,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def backup_prune(*, output_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups in ``output_dir``; return what was deleted."""
    if keep < 1:
        raise BackupError("--keep must be at least 1.")
    folders = sorted(
        (p for p in Path(output_dir).glob("mentorfold-*") if p.is_dir() and (p / MANIFEST).is_file()),
        key=lambda p: json.loads((p / MANIFEST).read_text()).get("created_at", ""),
    )
    old = folders[:-keep]
    for folder in old:
        shutil.rmtree(folder)
    return old


# --- restore --------------------------------------------------------------------------------------------


def _code_migrations() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Migrations this code has, and those its squashed migrations replace (their files may be gone)."""
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    replaced = {tuple(key) for m in loader.disk_migrations.values() for key in m.replaces or []}
    return set(loader.disk_migrations), replaced


def restore_check(folder: Path, *, using: str = "default") -> RestorePlan:
    """Read and verify a backup without changing anything; raise BackupError naming the first problem."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{folder} is not a Mentorfold backup: {MANIFEST} is missing.")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{manifest_path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{manifest_path}: unknown backup format {manifest.get('format')!r}.")
    vendor = connections[using].vendor
    if manifest.get("vendor") != vendor:
        raise BackupError(
            f"This backup is of a {manifest.get('vendor')} database; this site uses {vendor}. "
            "Restore it on a site with the same database kind."
        )

    # Hashes: every listed file present and unchanged, and nothing unlisted hiding in the folder.
    listed: dict[str, str] = manifest.get("files", {})
    if manifest.get("database_file") not in listed:
        raise BackupError("The manifest does not list the database file.")
    for name, expected in sorted(listed.items()):
        path = folder / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise BackupError(f"The manifest names a file outside the backup: {name}")
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup.")
        if sha256_file(path) != expected:
            raise BackupError(f"{name} has changed since the backup was made (its sha256 does not match).")
    present = {p.relative_to(folder).as_posix() for p in _walk_files(folder)} - {MANIFEST}
    extra = sorted(present - set(listed))
    if extra:
        raise BackupError(f"The backup holds files its manifest does not list: {', '.join(extra[:5])}")

    # Migration state: every migration applied in the backup must exist in this code.
    on_disk, replaced = _code_migrations()
    applied = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    unknown = sorted(applied - on_disk - replaced)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:10])
        raise BackupError(
            f"This backup comes from newer code: it has migrations this code does not know ({names}). "
            "Update the code to the version that made the backup, then restore."
        )
    pending = sorted(f"{app}.{name}" for app, name in on_disk - applied - replaced)
    return RestorePlan(folder=folder, manifest=manifest, pending_migrations=pending)


def _sqlite_restore(conn: BaseDatabaseWrapper, source: Path) -> None:
    """Replace the whole database, page by page, through the live connection (works for WAL files too)."""
    conn.ensure_connection()
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.backup(conn.connection)
    finally:
        src.close()


def _pg_restore(conn: BaseDatabaseWrapper, source: Path) -> None:
    """Empty the schema, then ``pg_restore`` in one transaction: tables the backup lacks do not survive."""
    pg_restore = find_pg_tool("pg_restore")
    conn.ensure_connection()
    with conn.cursor() as cur:
        cur.execute("SELECT current_schema()")
        schema = cur.fetchone()[0]
        cur.execute(f"DROP SCHEMA {_quote(schema)} CASCADE")
        cur.execute(f"CREATE SCHEMA {_quote(schema)}")
    conn.close()
    env = _pg_env(conn)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={env['PGDATABASE']}",
            str(source),
        ],
        env=env,
    )


def _replace_folder(source: Path, target: Path) -> None:
    """Copy ``source`` beside ``target`` first, then swap, so a failed copy leaves the old folder in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.parent / f".{target.name}.restoring"
    outgoing = target.parent / f".{target.name}.replaced"
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.rmtree(outgoing, ignore_errors=True)
    shutil.copytree(source, incoming)
    try:
        if target.exists():
            target.rename(outgoing)
        incoming.rename(target)
    except OSError:
        # ``target`` may be a mount point, which cannot be renamed: empty it and move the contents in.
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        for child in incoming.iterdir():
            child.rename(target / child.name)
        incoming.rmdir()
    shutil.rmtree(outgoing, ignore_errors=True)


def current_row_counts(using: str = "default") -> dict[str, int]:
    conn = connections[using]
    with conn.cursor() as cur:
        counts = {}
        for table in sorted(conn.introspection.table_names(cur)):
            cur.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")  # noqa: S608
            counts[table] = int(cur.fetchone()[0])
    return counts


def backup_restore(plan: RestorePlan, *, using: str = "default") -> dict[str, int]:
    """Restore a verified backup (from ``restore_check``); return the restored row counts, checked."""
    conn = connections[using]
    if conn.in_atomic_block:
        raise BackupError("A restore cannot run inside a database transaction.")
    db_path = plan.folder / plan.manifest["database_file"]
    if conn.vendor == "sqlite":
        _sqlite_restore(conn, db_path)
    else:
        _pg_restore(conn, db_path)
    _replace_folder(plan.folder / FILES_DIR, _private_root())
    counts = current_row_counts(using)
    expected = plan.row_counts
    if counts != expected:
        diff = sorted(t for t in set(counts) | set(expected) if counts.get(t) != expected.get(t))
        raise BackupError(
            f"After the restore these tables' row counts differ from the manifest: {', '.join(diff[:10])}"
        )
    return counts
