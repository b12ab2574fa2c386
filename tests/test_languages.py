"""A language offered to people must be complete: every listed language needs its own catalogue."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import to_locale


def test_every_listed_language_has_a_catalogue_without_fuzzy_or_missing_entries() -> None:
    locale_dir = Path(settings.LOCALE_PATHS[0])
    for code, _name in settings.LANGUAGES:
        if code.startswith("en"):
            continue
        po = locale_dir / to_locale(code) / "LC_MESSAGES" / "django.po"
        assert po.exists(), f"{code} is listed in LANGUAGES but {po} does not exist"
        text = po.read_text(encoding="utf-8")
        assert "#, fuzzy" not in text, f"{po} has fuzzy entries"
        assert 'msgstr ""\n\n' not in text.split("\n\n", 1)[1], f"{po} has untranslated messages"


def test_english_is_the_default_and_listed() -> None:
    assert settings.LANGUAGE_CODE.startswith("en")
    assert any(code == "en" for code, _name in settings.LANGUAGES)
