"""A language offered to people must be complete: catalogue checks and every public/family page in every language.

For each language listed in ``settings.LANGUAGES`` (core/languages.py OFFERED):

* its catalogue exists, has no fuzzy or untranslated entry, keeps every placeholder (``%(name)s``, ``%s``,
  ``{count}``) in every plural form, compiles with ``msgfmt -c``, and is up to date with the source code
  (makemessages into a copy must add nothing untranslated);
* every page a visitor, learner, guardian or patient sees answers 200 with the right ``lang``/``dir`` and shows
  no English sentence that the catalogue translates.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import allauth
import django
import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import to_locale

from mentorfold.core import languages
from mentorfold.core.tests.catalogues import compile_catalogues

SRC = Path(settings.LOCALE_PATHS[0]).parent
LOCALE = Path(settings.LOCALE_PATHS[0])
LISTED = [code for code, _name in settings.LANGUAGES]
TRANSLATED = [code for code in LISTED if not code.startswith("en")]
PLACEHOLDER = re.compile(r"%\([A-Za-z_0-9]+\)[sdif]|%[sdif]|\{[A-Za-z_0-9]*\}")


def _po(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / to_locale(code) / "LC_MESSAGES" / "django.po"))


def _live(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete and entry.msgid]


def _untranslated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return not entry.msgstr_plural or any(not form for form in entry.msgstr_plural.values())
    return not entry.msgstr


def test_english_is_the_default_and_listed() -> None:
    assert settings.LANGUAGE_CODE.startswith("en")
    assert LISTED[0] == "en"
    assert set(LISTED) <= set(languages.BY_CODE)


def test_every_listed_language_has_a_complete_catalogue_without_fuzzy_entries() -> None:
    problems = []
    for code in TRANSLATED:
        path = LOCALE / to_locale(code) / "LC_MESSAGES" / "django.po"
        assert path.exists(), f"{code} is listed in LANGUAGES but {path} does not exist"
        po = _po(code)
        problems += [f"{code}: fuzzy: {e.msgid[:60]!r}" for e in _live(po) if "fuzzy" in e.flags]
        problems += [f"{code}: untranslated: {e.msgid[:60]!r}" for e in _live(po) if _untranslated(e)]
    assert not problems, "\n".join(problems[:40])


def test_every_translation_keeps_the_placeholders_in_every_plural_form() -> None:
    problems = []
    for code in TRANSLATED:
        for entry in _live(_po(code)):
            if entry.msgid_plural:
                allowed = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural))
                for index, form in entry.msgstr_plural.items():
                    # A form may leave the count out ("one hour"), but never adds, renames or drops a name.
                    used = set(PLACEHOLDER.findall(form))
                    dropped = {p for p in allowed - used if not _is_count(p)}
                    if used - allowed or dropped:
                        problems.append(
                            f"{code}[{index}]: {entry.msgid[:50]!r}: {sorted((used - allowed) | dropped)}"
                        )
            elif entry.msgstr and sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(
                PLACEHOLDER.findall(entry.msgstr)
            ):
                problems.append(f"{code}: {entry.msgid[:50]!r} -> {entry.msgstr[:50]!r}")
    assert not problems, "\n".join(problems[:40])


def _is_count(placeholder: str) -> bool:
    return placeholder in {"%(count)s", "%(count)d", "%(n)s", "%(n)d", "{count}", "%d", "%s"}


def test_every_listed_catalogue_compiles(tmp_path: Path) -> None:
    for code in TRANSLATED:
        po = LOCALE / to_locale(code) / "LC_MESSAGES" / "django.po"
        result = subprocess.run(
            ["msgfmt", "-c", "-o", str(tmp_path / f"{code}.mo"), str(po)], capture_output=True, text=True
        )
        assert result.returncode == 0, f"{code}: {result.stderr}"


@pytest.mark.skipif(not TRANSLATED, reason="only English is offered: there is no catalogue to compare")
def test_every_listed_catalogue_is_up_to_date_with_the_source(tmp_path: Path) -> None:
    """makemessages (as the translators run it) on a copy of the code adds no untranslated message."""
    copy = tmp_path / "mentorfold"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.mo", "static"))
    for code in TRANSLATED:
        target = copy / "locale" / to_locale(code) / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(LOCALE / to_locale(code) / "LC_MESSAGES" / "django.po", target / "django.po")
    command = [str(Path(shutil.which("django-admin") or "django-admin")), "makemessages", "--no-obsolete"]
    command += ["--ignore", "*/tests/*", "--ignore", "engine/*", "--ignore", "static/*"]
    for code in TRANSLATED:
        command += ["-l", to_locale(code)]
    env = {"PATH": str(Path(shutil.which("msgmerge") or "/usr/bin/msgmerge").parent) + ":/usr/bin:/bin"}
    venv_bin = Path(__file__).resolve().parents[1] / ".venv" / "bin"
    if (venv_bin / "django-admin").exists():
        command[0] = str(venv_bin / "django-admin")
    result = subprocess.run(command, cwd=copy, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    problems = []
    for code in TRANSLATED:
        fresh = polib.pofile(str(copy / "locale" / to_locale(code) / "LC_MESSAGES" / "django.po"))
        problems += [
            f"{code}: not in the catalogue yet: {e.msgid[:70]!r}"
            for e in _live(fresh)
            if _untranslated(e) or "fuzzy" in e.flags
        ]
    assert not problems, "run makemessages and translate:\n" + "\n".join(problems[:40])


# --- every page a visitor, learner, guardian or patient sees ---------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def compiled() -> None:
    compile_catalogues(LISTED)


def _visible_text(body: str) -> str:
    """The page's text as a reader sees it, minus parts marked English on purpose (the binding consent text)."""
    body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", body)
    body = re.sub(r'(?is)<(div|p|span|section)\b[^>]*\blang="en"[^>]*>.*?</\1>', " ", body)
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text)


_SENTENCES: dict[str, list[str]] = {}
# Django's and allauth's own messages (their Spanish catalogues list every English msgid): shown untranslated on
# a page in another language, they are English left over too, e.g. on a Somali page where neither has a catalogue.
LIBRARY_CATALOGUES = [
    Path(django.__file__).parent / "conf" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    Path(django.__file__).parent / "contrib" / "auth" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    Path(allauth.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po",
]


def _sentences(entries: Iterable[polib.POEntry], *, translated_only: bool) -> set[str]:
    found = set()
    for entry in entries:
        if entry.obsolete or entry.msgid_plural or PLACEHOLDER.search(entry.msgid) or "<" in entry.msgid:
            continue
        words = entry.msgid.split()
        if len(words) < 3 or (
            translated_only and (not entry.msgstr or entry.msgstr.strip() == entry.msgid.strip())
        ):
            continue
        found.add(" ".join(words))
    return found


def _english_sentences(code: str) -> list[str]:
    """English sentences (three words or more, no placeholders) that must not appear on a page in ``code``:
    our msgids whose translation differs, and Django's and allauth's msgids that our catalogue does not keep
    as they are."""
    if code not in _SENTENCES:
        ours = _po(code)
        kept = {" ".join(e.msgid.split()) for e in _live(ours) if e.msgstr.strip() == e.msgid.strip()}
        found = _sentences(_live(ours), translated_only=True)
        for path in LIBRARY_CATALOGUES:
            found |= _sentences(polib.pofile(str(path)), translated_only=False) - kept
        _SENTENCES[code] = sorted(found)
    return _SENTENCES[code]


@pytest.fixture
def world(
    db: None,
    guardian: Any,
    minor_learner: Any,
    learner: Any,
    mentor: Any,
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Any]:
    from mentorfold.programs import services as program_services
    from mentorfold.programs.demo_translations import seed_consent_translations
    from mentorfold.programs.tests.factories import SiteFactory
    from mentorfold.shadowing.tests.factories import HoursCertificateFactory

    with translation.override("en"):
        program = program_services.program_create(
            actor=None,
            name="Summer shadowing",
            slug="summer-shadowing",
            description="Six weeks in clinic.",
            eligible_stages=["high_school", "undergraduate"],
            min_age=16,
        )
    site = SiteFactory(name="Harbor Family Clinic")
    program.sites.add(site)
    seed_consent_translations([program])
    certificate = HoursCertificateFactory(learner=learner)
    return {
        "program": program,
        "site": site,
        "certificate": certificate,
        "guardian": guardian,
        "minor": minor_learner,
        "learner": learner,
    }


def _pages(world: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """(who is signed in, url) for each page a visitor, learner, guardian or patient sees."""
    program, site = world["program"], world["site"]
    for name in (
        "home",
        "about",
        "privacy",
        "programs:list",
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
    ):
        yield None, reverse(name)
    yield None, reverse("programs:detail", args=[program.slug])
    yield None, reverse("shadowing:feedback", args=[site.pk])
    yield None, reverse("certificate_verify", args=[world["certificate"].code])
    yield world["guardian"], reverse("dashboard")
    yield world["guardian"], reverse("programs:consent", args=[world["minor"].pk, program.slug])
    yield world["learner"].user, reverse("dashboard")
    yield world["learner"].user, reverse("shadowing:home")
    yield world["learner"].user, reverse("shadowing:hours")


@pytest.mark.parametrize("code", LISTED)
def test_every_family_and_public_page_is_fully_in_the_language(
    client: Any, world: dict[str, Any], code: str
) -> None:
    direction = "rtl" if languages.is_bidi(code) else "ltr"
    sentences = _english_sentences(code) if code in TRANSLATED else []
    problems = []
    for user, url in _pages(world):
        client.logout()
        if user is not None:
            client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
        if user is not None and user.preferred_language != code:
            user.preferred_language = code
            user.save(update_fields=["preferred_language"])
        response = client.get(url)
        body = response.content.decode()
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        if f'<html lang="{code}" dir="{direction}">' not in body:
            problems.append(f"{url}: html tag is {re.search(r'<html[^>]*>', body).group(0)}")  # type: ignore[union-attr]
        text = _visible_text(body)
        problems += [f"{url}: English left: {s!r}" for s in sentences if s in text]
    # The patient's thank-you page comes after a real submission.
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    response = client.post(
        reverse("shadowing:feedback", args=[world["site"].pk]), {"learner_ok": "yes", "enough_time": "yes"}
    )
    text = _visible_text(response.content.decode())
    if response.status_code != 200:
        problems.append(f"feedback thanks: {response.status_code}")
    problems += [f"feedback thanks: English left: {s!r}" for s in sentences if s in text]
    # Form errors come from Django and allauth: they must be translated too.
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    text = _visible_text(response.content.decode())
    problems += [f"login errors: English left: {s!r}" for s in sentences if s in text]
    assert not problems, "\n".join(problems[:40])
