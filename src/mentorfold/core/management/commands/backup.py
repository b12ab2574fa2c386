"""``manage.py backup [--output DIR]``: the database, the private uploads and a manifest, in one folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mentorfold.core.backup import BackupError, backup_create, backup_prune


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump) and the private uploads into a new folder "
        "under --output, with a manifest of migration state, row counts and sha256 hashes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=Path(settings.VAR_DIR) / "backups",
            help="Folder that receives the new backup folder (default: var/backups).",
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="After a successful backup, delete all but the newest KEEP backups in --output.",
        )

    def handle(self, *args: Any, output: Path, database: str, keep: int | None, **options: Any) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        try:
            folder = backup_create(output_dir=output, using=database)
            pruned = backup_prune(output_dir=output, keep=keep) if keep else []
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = json.loads((folder / "manifest.json").read_text())
        rows = sum(manifest["row_counts"].values())
        files = sum(1 for name in manifest["files"] if name.startswith("files/"))
        self.stdout.write(
            f"Backup written to {folder}: {len(manifest['row_counts'])} tables, {rows} rows, {files} uploaded files."
        )
        if pruned:
            self.stdout.write(f"Deleted {len(pruned)} older backup(s): {', '.join(p.name for p in pruned)}")
        self.stdout.write(str(folder))
