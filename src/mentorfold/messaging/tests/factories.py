"""Factories for messaging tests: threads are started through the service, so their participants are real."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from mentorfold.matching.models import Mentorship
from mentorfold.messaging import services
from mentorfold.messaging.models import Message, Thread


def start_thread(
    mentorship: Mentorship, *, by: Any = None, subject: str = "Hello", body: str = "Hi!"
) -> Thread:
    """A thread whose first message is two hours old (so later test messages come after it)."""
    return services.thread_create(
        mentorship=mentorship,
        actor=by or mentorship.mentor.user,
        subject=subject,
        body=body,
        now=timezone.now() - timedelta(hours=2),
    )


def add_messages(thread: Thread, *, by: Any, count: int, start: datetime | None = None) -> list[Message]:
    """``count`` messages, one a minute from ``start`` (service path, so unread counts and activity update)."""
    start = start or timezone.now() - timedelta(minutes=count + 1)
    return [
        services.message_post(thread=thread, actor=by, body=f"Message {i}", now=start + timedelta(minutes=i))
        for i in range(count)
    ]
