"""In-app notices for every app: send, list unread, mark read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import Notice


def notices_send(*, users: Iterable[Any], text: str, url: str = "") -> int:
    rows = [Notice(user=user, text=text[:300], url=url[:300]) for user in users]
    Notice.objects.bulk_create(rows)
    return len(rows)


def notices_mark_read(*, user: Any, now: datetime | None = None) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())


def unread_notices(*, user: Any, limit: int = 5) -> list[Notice]:
    return list(Notice.objects.filter(user=user, read_at__isnull=True)[:limit])
