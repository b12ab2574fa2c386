"""``manage.py restore DIR [--yes]``: check a backup completely, then replace the database and uploads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from mentorfold.core.backup import BackupError, backup_restore, restore_check


class Command(BaseCommand):
    help = (
        "Restore a folder made by `manage.py backup`. Every file's hash and the migration state are checked "
        "before anything changes; the database and the private uploads folder are then replaced. "
        "Stop the web server and the task worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="The backup folder (it holds manifest.json).")
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the data.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args: Any, folder: Path, yes: bool, database: str, **options: Any) -> None:
        try:
            plan = restore_check(folder, using=database)
        except BackupError as exc:
            raise CommandError(f"Nothing was changed. {exc}") from exc
        name = connections[database].settings_dict["NAME"]
        self.stdout.write(
            f"Backup {folder} from {plan.manifest['created_at']} is complete: every hash matches.\n"
            f"It will REPLACE the database {name} and the folder {settings.PRIVATE_MEDIA_ROOT}.\n"
            "Stop the web server and the task worker before you go on."
        )
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("Nothing was changed. Add --yes to restore without a question.")
            if input("Type yes to restore: ").strip().lower() != "yes":
                raise CommandError("Nothing was changed.")
        try:
            counts = backup_restore(plan, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {len(counts)} tables ({sum(counts.values())} rows) and {plan.file_count} uploaded files; "
                "row counts match the manifest."
            )
        )
        if plan.pending_migrations:
            self.stdout.write(
                f"The backup is older than this code: run `manage.py migrate` to apply "
                f"{len(plan.pending_migrations)} newer migrations."
            )
