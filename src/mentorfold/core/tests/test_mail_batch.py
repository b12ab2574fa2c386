"""core.mail.send_templated_mails: bulk personal mail over one connection, each in its recipient's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.mail.backends import locmem
from django.utils import translation

from mentorfold.accounts.tests.factories import UserFactory
from mentorfold.core import mail as mail_module
from mentorfold.core.mail import MailNotSent, send_templated_mails

pytestmark = pytest.mark.django_db

TEMPLATE = "programs/email/imported_welcome.txt"


def _letters(n: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"person{i}@example.org", {"user": {"full_name": f"Person {i}"}, "url": f"/join/{i}/"})
        for i in range(n)
    ]


def test_each_letter_is_its_own_message_with_its_own_context(mailoutbox: list[Any]) -> None:
    assert send_templated_mails(letters=[*_letters(3), ("", {})], subject="Hello", template=TEMPLATE) == 3
    assert [m.to for m in mailoutbox] == [[f"person{i}@example.org"] for i in range(3)]
    for i, message in enumerate(mailoutbox):
        assert message.subject == "[Mentorfold] Hello" and message.cc == [] and message.bcc == []
        assert f"Hello Person {i}," in message.body and f"/join/{i}/" in message.body
        assert not any(f"Person {j}" in message.body for j in range(3) if j != i)


def test_the_language_of_each_recipient_is_looked_up_once_and_used(
    mailoutbox: list[Any], django_assert_num_queries: Any
) -> None:
    UserFactory(email="person1@example.org", preferred_language="es")
    UserFactory(email="person2@example.org", preferred_language="so")
    with django_assert_num_queries(1):
        send_templated_mails(letters=_letters(4), subject=translation.get_language, template=TEMPLATE)
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects == {
        "person0@example.org": "[Mentorfold] en-us",
        "person1@example.org": "[Mentorfold] es",
        "person2@example.org": "[Mentorfold] so",
        "person3@example.org": "[Mentorfold] en-us",
    }


def test_the_subject_is_translated_once_per_language_and_one_connection_carries_all(
    mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    UserFactory(email="person1@example.org", preferred_language="es")
    translated: list[str] = []
    opened: list[int] = []
    real_get_connection = mail_module.get_connection

    def subject() -> str:
        translated.append(translation.get_language() or "")
        return "Hi"

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(1)
        return real_get_connection(*args, **kwargs)

    monkeypatch.setattr(mail_module, "get_connection", counting)
    assert send_templated_mails(letters=_letters(50), subject=subject, template=TEMPLATE) == 50
    assert sorted(translated) == ["en-us", "es"] and opened == [1]


class _StopsAtThird(locmem.EmailBackend):
    seen = 0

    def send_messages(self, messages: Any) -> int:
        _StopsAtThird.seen += len(messages)
        if _StopsAtThird.seen >= 3:
            raise ConnectionError("mail server went away")
        return super().send_messages(messages)


def test_a_failure_says_how_many_went_out(mailoutbox: list[Any], settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._StopsAtThird"
    _StopsAtThird.seen = 0
    with pytest.raises(MailNotSent) as stopped:
        send_templated_mails(letters=_letters(5), subject="Hello", template=TEMPLATE)
    assert stopped.value.sent == 2 and isinstance(stopped.value.__cause__, ConnectionError)
    assert [m.to[0] for m in mailoutbox] == ["person0@example.org", "person1@example.org"]


def test_a_template_error_sends_nothing(mailoutbox: list[Any]) -> None:
    with pytest.raises(MailNotSent) as stopped:
        send_templated_mails(letters=_letters(2), subject="Hello", template="no/such/template.txt")
    assert stopped.value.sent == 0 and mailoutbox == []


def test_no_letters_send_nothing_and_ask_nothing(
    mailoutbox: list[Any], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        assert send_templated_mails(letters=[("", {}), ("  ", {})], subject="x", template=TEMPLATE) == 0
    assert mailoutbox == []
