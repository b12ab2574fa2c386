"""core.mail sends one message per recipient, so nobody sees another person's address."""

from __future__ import annotations

from typing import Any

import pytest

from mentorfold.core.mail import send_templated_mail


@pytest.mark.django_db
def test_each_recipient_gets_a_separate_message_with_only_their_own_address(mailoutbox: list[Any]) -> None:
    sent = send_templated_mail(
        to=["mentor@example.org", "minor@example.org", "parent@example.org", "", "mentor@example.org"],
        subject="Hello",
        template="shadowing/email/booking_event.txt",
        context={"text": "Shadowing booked", "url": "https://example.org/x"},
    )
    assert sent == 3
    assert sorted(m.to[0] for m in mailoutbox) == [
        "mentor@example.org",
        "minor@example.org",
        "parent@example.org",
    ]
    for message in mailoutbox:
        assert len(message.to) == 1 and message.cc == [] and message.bcc == []
        headers = str(message.message())
        others = {"mentor@example.org", "minor@example.org", "parent@example.org"} - {message.to[0]}
        assert not any(address in headers for address in others)


@pytest.mark.django_db
def test_no_address_sends_nothing(mailoutbox: list[Any]) -> None:
    assert (
        send_templated_mail(
            to=["", None], subject="x", template="shadowing/email/booking_event.txt", context={}
        )
        == 0
    )
    assert mailoutbox == []
