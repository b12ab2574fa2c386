"""Offered languages: the switcher, the saved language of signed-in people, right-to-left, e-mails and formats."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from mentorfold.core import languages
from mentorfold.core.dates import format_date
from mentorfold.core.mail import send_templated_mail
from mentorfold.grants.money import money
from mentorfold.programs import services as program_services
from mentorfold.programs.tests.factories import ProgramFactory

ALL = [(language.code, language.name) for language in languages.KNOWN]
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture
def every_language() -> Iterator[None]:
    """All seven languages listed (the .po files may still be partial: these tests check the machinery)."""
    with override_settings(LANGUAGES=ALL):
        yield


@pytest.fixture
def spanish_subject(every_language: None) -> Iterator[str]:
    """A Spanish translation of the consent-request subject, whatever the catalogue holds right now."""
    msgid = "Please review and sign consent for %(name)s"
    with translation.override("es"):
        catalog = trans_real.translation("es")._catalog
    saved = catalog.get(msgid)
    catalog[msgid] = "Revise y firme el consentimiento de %(name)s"
    yield catalog[msgid]
    if saved is None:
        for part in catalog._catalogs:
            part.pop(msgid, None)
    else:
        catalog[msgid] = saved


def test_the_offered_list_names_languages_in_their_own_script_and_dari_right_to_left() -> None:
    names = dict(ALL)
    assert names["fa"] == "دری (Dari)" and names["so"] == "Soomaali" and names["zh-hans"] == "简体中文"
    assert languages.is_bidi("fa") and not languages.is_bidi("so")
    assert set(languages.OFFERED) <= set(names) and "en" in languages.OFFERED
    assert [code for code, _name in settings.LANGUAGES] == list(languages.OFFERED)
    assert translation.get_language_info("so")["name_local"] == "Soomaali"


def test_with_english_only_there_is_no_switcher(client: Any, db: None) -> None:
    with override_settings(LANGUAGES=[("en", "English")]):
        body = client.get(reverse("home")).content.decode()
    assert 'name="language"' not in body
    assert '<html lang="en' in body and 'dir="ltr"' in body


def test_switcher_lists_only_offered_languages_and_works_without_javascript(
    client: Any, db: None, every_language: None
) -> None:
    body = client.get(reverse("about")).content.decode()
    assert body.count('name="language"') == 1
    assert 'action="/i18n/setlang/"' in body and 'name="next" value="/about/"' in body
    for code, name in ALL:
        assert f'value="{code}" lang="{code}"' in body and name in body
    with override_settings(LANGUAGES=[("en", "English"), ("es", "Español")]):
        body = client.get(reverse("about")).content.decode()
    assert "Soomaali" not in body and "Español" in body


def test_anonymous_choice_is_kept_in_a_cookie_and_dari_pages_are_right_to_left(
    client: Any, db: None, every_language: None
) -> None:
    response = client.post(reverse("set_language"), {"language": "fa", "next": "/about/"})
    assert response.status_code == 302 and response["Location"] == "/about/"
    assert response.cookies[COOKIE].value == "fa"
    body = client.get(reverse("about")).content.decode()
    assert '<html lang="fa" dir="rtl">' in body


def test_switcher_never_redirects_off_site(client: Any, db: None, every_language: None) -> None:
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post(reverse("set_language"), {"language": "es", "next": hostile})
        assert response.status_code == 302 and "evil" not in response["Location"], hostile


def test_an_unknown_or_unlisted_language_is_refused(client: Any, db: None) -> None:
    with override_settings(LANGUAGES=[("en", "English"), ("es", "Español")]):
        for hostile in ("xx-evil", "so", "", "e" * 5000):
            response = client.post(reverse("set_language"), {"language": hostile, "next": "/about/"})
            assert response.status_code == 400 and COOKIE not in response.cookies, hostile
        response = client.post(reverse("set_language"), {"next": "/about/"})
        assert response.status_code == 400


def test_the_switcher_only_answers_posts(client: Any, db: None, every_language: None) -> None:
    response = client.get(reverse("set_language"), {"language": "es", "next": "/about/"})
    assert response.status_code == 405 and COOKIE not in response.cookies


def test_a_signed_in_persons_switch_is_saved_and_followed_on_every_device(
    client: Any, guardian: Any, every_language: None, django_assert_max_num_queries: Any
) -> None:
    client.force_login(guardian)
    client.post(reverse("set_language"), {"language": "so", "next": "/"})
    guardian.refresh_from_db()
    assert guardian.preferred_language == "so"
    other_device = type(client)()
    other_device.force_login(guardian)
    with django_assert_max_num_queries(12):
        response = other_device.get(reverse("about"))
    assert '<html lang="so" dir="ltr">' in response.content.decode()
    assert response.cookies[COOKIE].value == "so"  # the anonymous pages after log-out stay in Somali


def test_a_saved_language_that_is_no_longer_offered_is_ignored(client: Any, guardian: Any) -> None:
    guardian.preferred_language = "so"
    guardian.save(update_fields=["preferred_language"])
    client.force_login(guardian)
    with override_settings(LANGUAGES=[("en", "English")]):
        body = client.get(reverse("about")).content.decode()
    assert '<html lang="en' in body


def test_a_spanish_guardian_gets_spanish_mail_from_an_english_coordinators_action(
    guardian: Any,
    minor_learner: Any,
    spanish_subject: str,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    guardian.preferred_language = "es"
    guardian.save(update_fields=["preferred_language"])
    program = ProgramFactory(name="Verano")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        program_services.guardian_consent_request(learner=minor_learner, program=program)
        assert translation.get_language() == "en"  # the sender's language is untouched
    (message,) = mailoutbox
    assert message.to == [guardian.email]
    assert message.subject == "[Mentorfold] " + spanish_subject % {"name": minor_learner.user.full_name}


def test_people_without_a_saved_language_get_the_language_of_the_action(
    db: None, every_language: None, mailoutbox: list[Any]
) -> None:
    with translation.override("es"):
        send_templated_mail(
            to=["nobody@example.org"],
            subject=lambda: format_date(datetime.date(2026, 3, 3)),
            template="shadowing/email/booking_event.txt",
            context={"text": lambda: format_date(datetime.date(2026, 3, 3)), "url": "/"},
        )
    assert mailoutbox[0].subject == "[Mentorfold] 3 de marzo de 2026"
    assert "3 de marzo de 2026" in mailoutbox[0].body


def test_each_recipient_reads_their_own_language_in_one_send(
    db: None, every_language: None, mailoutbox: list[Any], guardian: Any, mentor: Any
) -> None:
    guardian.preferred_language = "ru"
    guardian.save(update_fields=["preferred_language"])
    sent = send_templated_mail(
        to=[guardian.email, mentor.user.email],
        subject=lambda: format_date(datetime.date(2026, 3, 3)),
        template="shadowing/email/booking_event.txt",
        context={"text": "x", "url": "/"},
        language="en",
    )
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert sent == 2
    assert subjects == {
        guardian.email: "[Mentorfold] 3 марта 2026 г.",
        mentor.user.email: "[Mentorfold] 3 March 2026",
    }


@pytest.mark.parametrize(
    ("code", "day", "amount"),
    [
        ("en", "3 March 2026", "$2,500"),
        ("es", "3 de marzo de 2026", "$2\xa0500"),
        ("ru", "3 марта 2026 г.", "$2\xa0500"),
        ("zh-hans", "2026年3月3日", "$2,500"),
        ("so", "3", "$2,500"),
        ("fa", "3", "$2,500"),
    ],
)
def test_dates_and_money_follow_the_readers_language(
    code: str, day: str, amount: str, every_language: None
) -> None:
    with translation.override(code):
        assert format_date(datetime.date(2026, 3, 3)).startswith(day)
        assert money(2500) == amount


def test_somali_has_its_own_format_module(every_language: None) -> None:
    from django.utils import formats

    with translation.override("so"):
        assert formats.get_format("DATE_FORMAT") == "j F Y"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 6


def test_a_mentor_sets_the_language_for_pages_and_mail_on_their_profile(
    client: Any, mentor: Any, every_language: None
) -> None:
    client.force_login(mentor.user)
    page = client.get(reverse("profile_edit")).content.decode()
    assert 'name="lang-language"' in page
    data = {
        "specialty": "Family medicine",
        "career_stage": "attending",
        "capacity": 2,
        "years_in_practice": 5,
        "hosting_weekdays": ["tue"],
    }
    response = client.post(reverse("profile_edit"), {**data, "lang-language": "xx"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    mentor.user.refresh_from_db()
    assert mentor.user.preferred_language == ""
    response = client.post(reverse("profile_edit"), {**data, "lang-language": "vi"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "vi"
    mentor.user.refresh_from_db()
    assert mentor.user.preferred_language == "vi"
    assert client.post(reverse("profile_edit"), data).status_code == 302  # leaving it out keeps it
    mentor.user.refresh_from_db()
    assert mentor.user.preferred_language == "vi"


def test_a_language_chosen_before_signing_in_becomes_the_persons_language(
    client: Any, guardian: Any, every_language: None
) -> None:
    client.post(reverse("set_language"), {"language": "fa", "next": "/accounts/login/"})
    client.force_login(guardian)
    body = client.get(reverse("dashboard")).content.decode()
    assert '<html lang="fa" dir="rtl">' in body
    guardian.refresh_from_db()
    assert guardian.preferred_language == "fa"
