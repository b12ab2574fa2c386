"""Background jobs of learning: the weekly digest of questions waiting 7+ days (cron: send_learning_digest)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import digest_send_all


@task()
def send_learning_digest() -> dict[str, Any]:
    """Mail each mentor their waiting questions; the ``DigestSent`` log makes a retry (or a rerun) harmless."""
    return {"sent": digest_send_all()}
