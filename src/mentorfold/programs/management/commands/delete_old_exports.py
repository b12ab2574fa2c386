"""``manage.py delete_old_exports``: delete coordinator export files older than 24 hours (cron, hourly).

Export files hold personal data; a download link stops working after 24 hours anyway, and every new export
also clears old files, but a society that exports rarely should not keep yesterday's list on disk.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorfold.programs.exporting import export_files_cleanup


class Command(BaseCommand):
    help = "Delete coordinator export files older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = export_files_cleanup()
        self.stdout.write(f"{deleted} old export file(s) deleted.")
