"""Background job of messaging: the e-mail digest of unread messages (cron: ``send_message_digests``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import digest_send_all


@task()
def send_message_digests() -> dict[str, Any]:
    """One mail per person with unread messages; the ``MessageDigest`` log makes a retry send nothing twice."""
    return {"sent": digest_send_all()}
