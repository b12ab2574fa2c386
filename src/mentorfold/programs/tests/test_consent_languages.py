"""Consent text per language: the translation is shown with the binding English beside it, the signed record
names the language and version shown, and coordinators keep each language's review status (audited)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from mentorfold.core import languages
from mentorfold.core.models import AuditEvent
from mentorfold.programs import services, text_translations
from mentorfold.programs.models import LanguageReview, RequirementRecord, RequirementTextTranslation

ALL = [(language.code, language.name) for language in languages.KNOWN]
SPANISH = "Soy el padre, la madre o el tutor legal de este alumno y acepto que participe."
MACHINE = "Machine-assisted, not yet reviewed by the society"


@pytest.fixture(autouse=True)
def every_language() -> Iterator[None]:
    with override_settings(LANGUAGES=ALL):
        yield


@pytest.fixture
def consent(program: Any) -> Any:
    return services.guardian_consent_requirement(program)


def _in(client: Any, code: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code


def _sign(client: Any, url: str) -> RequirementRecord:
    response = client.post(url, {"signed_name": "Lan Tran", "agree": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return RequirementRecord.objects.get(requirement__kind="guardian_consent")


def test_a_spanish_reader_sees_the_translation_with_the_binding_english_and_the_record_says_so(
    client: Any,
    guardian: Any,
    minor_learner: Any,
    program: Any,
    consent: Any,
    django_assert_max_num_queries: Any,
) -> None:
    RequirementTextTranslation.objects.create(
        requirement=consent, version=consent.version, language="es", text=SPANISH
    )
    url = reverse("programs:consent", args=[minor_learner.pk, program.slug])
    client.force_login(guardian)
    _in(client, "es")
    with django_assert_max_num_queries(16):
        body = client.get(url).content.decode()
    assert SPANISH in body and consent.text in body  # the English text stays on the page, marked binding
    assert 'href="#consent-english"' in body and 'id="consent-english" lang="en"' in body
    assert '<html lang="es"' in body
    record = _sign(client, url)
    assert (record.text_language, record.text_version) == ("es", consent.version)
    event = AuditEvent.objects.get(action="consent.sign")
    assert event.data["language"] == "es"


def test_without_a_translation_the_english_text_is_shown_with_a_note_and_recorded_as_english(
    client: Any, guardian: Any, minor_learner: Any, program: Any, consent: Any
) -> None:
    url = reverse("programs:consent", args=[minor_learner.pk, program.slug])
    client.force_login(guardian)
    _in(client, "so")
    body = client.get(url).content.decode()
    assert consent.text in body and "consent-english" in body
    with translation.override("en"):
        assert text_translations.interface_status("so") == MACHINE
    record = _sign(client, url)
    assert (record.text_language, record.text_version) == ("en", consent.version)


def test_a_translation_of_an_older_english_version_is_not_shown(consent: Any) -> None:
    RequirementTextTranslation.objects.create(
        requirement=consent, version=consent.version, language="es", text=SPANISH
    )
    consent.text += " New sentence."
    consent.version += 1
    consent.save(update_fields=["text", "version"])
    shown = text_translations.requirement_text_for(consent, "es")
    assert (shown.language, shown.is_fallback, shown.text) == ("en", True, consent.text)


def test_english_readers_see_the_english_text_without_a_note(consent: Any, db: None) -> None:
    shown = text_translations.requirement_text_for(consent, "en-us")
    assert (shown.language, shown.is_fallback) == ("en", False)
    assert text_translations.interface_status("en-us") == ""


def test_a_coordinator_adds_a_translation_and_marks_it_reviewed(
    client: Any, coordinator: Any, consent: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("programs:translations"))
    assert page.status_code == 200 and "دری (Dari)" in page.content.decode()
    url = f"{reverse('programs:requirement_translation')}?requirement={consent.pk}&language=fa"
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "متن دری", "reviewed": "on", "reviewed_by_name": ""})
    assert response.status_code == 200 and "reviewer" in response.content.decode()
    assert not RequirementTextTranslation.objects.exists()
    response = client.post(
        url,
        {"text": "متن دری", "reviewed": "on", "reviewed_by_name": "Dr. Noori", "reviewed_on": "2026-11-20"},
    )
    assert response.status_code == 302
    translation = RequirementTextTranslation.objects.get()
    assert (translation.language, translation.version, translation.status) == (
        "fa",
        consent.version,
        "reviewed",
    )
    assert AuditEvent.objects.filter(action="requirement_translation.create").count() == 1
    assert (
        "Reviewed by Dr. Noori on 20 November 2026"
        in client.get(reverse("programs:translations")).content.decode()
    )


def test_a_coordinator_records_the_review_of_an_interface_language(
    client: Any, coordinator: Any, db: None
) -> None:
    client.force_login(coordinator)
    data = {
        "language": "vi",
        "vi-reviewed": "on",
        "vi-reviewed_by_name": "Lan Tran",
        "vi-reviewed_on": "2026-11-02",
    }
    assert client.post(reverse("programs:language_review"), data).status_code == 302
    review = LanguageReview.objects.get(language="vi")
    assert review.status == "reviewed" and review.reviewed_on == datetime.date(2026, 11, 2)
    with translation.override("en"):
        assert text_translations.interface_status("vi") == "Reviewed by Lan Tran on 2 November 2026"
    assert AuditEvent.objects.filter(action="language_review.update").exists()


@pytest.mark.parametrize(
    "query",
    ["requirement=abc&language=es", "requirement=999999&language=es", "requirement=1&language=xx", ""],
)
def test_hostile_translation_targets_are_refused(
    client: Any, coordinator: Any, consent: Any, query: str
) -> None:
    client.force_login(coordinator)
    assert client.get(f"{reverse('programs:requirement_translation')}?{query}").status_code == 404


def test_hostile_language_review_is_a_400(client: Any, coordinator: Any, db: None) -> None:
    client.force_login(coordinator)
    for data in ({"language": "en"}, {"language": "../../x"}, {}):
        assert client.post(reverse("programs:language_review"), data).status_code == 400
    data = {"language": "vi", "vi-reviewed": "on", "vi-reviewed_on": "17/04/2026"}
    assert client.post(reverse("programs:language_review"), data).status_code == 400
    assert not LanguageReview.objects.exists()


def test_only_coordinators_manage_translations(
    client: Any, guardian: Any, mentor: Any, learner: Any, consent: Any
) -> None:
    url = f"{reverse('programs:requirement_translation')}?requirement={consent.pk}&language=es"
    for user in (guardian, mentor.user, learner.user):
        client.force_login(user)
        assert client.get(reverse("programs:translations")).status_code == 403
        assert client.get(url).status_code == 403
        assert client.post(url, {"text": "x"}).status_code == 403
        assert client.post(reverse("programs:language_review"), {"language": "es"}).status_code == 403
    assert not RequirementTextTranslation.objects.exists()


def test_demo_consent_text_comes_in_six_machine_assisted_languages_once(program: Any, consent: Any) -> None:
    from mentorfold.programs.demo_translations import seed_consent_translations

    assert seed_consent_translations([program]) == 6
    assert seed_consent_translations([program]) == 0
    rows = RequirementTextTranslation.objects.filter(requirement=consent, version=consent.version)
    assert sorted(rows.values_list("language", flat=True)) == sorted(
        code for code, _name in ALL if code != "en"
    )
    assert set(rows.values_list("status", flat=True)) == {"machine"}
    assert text_translations.requirement_text_for(consent, "fa").text.startswith("من پدر")
