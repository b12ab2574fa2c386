"""Tests that render other languages need compiled catalogues (.mo files are built, not committed)."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import to_locale, trans_real


def compile_catalogues(codes: Iterable[str]) -> None:
    """compilemessages for ``codes`` (skips up-to-date .mo files); one process at a time under pytest-xdist."""
    locales = [to_locale(code) for code in codes if not code.startswith("en")]
    locale_dir = Path(settings.LOCALE_PATHS[0])
    locales = [name for name in locales if (locale_dir / name / "LC_MESSAGES" / "django.po").exists()]
    if not locales:
        return
    with open(Path(tempfile.gettempdir()) / "mentorfold-compilemessages.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("compilemessages", locale=locales, verbosity=0)
    trans_real._translations = {}  # catalogues loaded before compiling would otherwise stay empty
    for cached in (
        trans_real.check_for_language,
        trans_real.get_languages,
        trans_real.get_supported_language_variant,
    ):
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
