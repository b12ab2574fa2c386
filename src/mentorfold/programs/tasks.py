"""Background jobs of programs: importing people (a long job with progress) and inviting them afterwards."""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext
from django_tasks import task

from mentorfold.accounts.models import User
from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked

from .importing import import_batch_commit, import_batch_fail, import_welcome_send
from .models import ImportBatch


@task()
@tracked
def import_people(run: TaskRun, *, batch_id: int, actor_id: int) -> dict[str, Any]:
    """Create everyone in a checked import batch, all or nothing."""
    batch = ImportBatch.objects.get(pk=batch_id)
    actor = User.objects.get(pk=actor_id)
    try:
        created = import_batch_commit(batch=batch, actor=actor, report=run.report)
    except Exception:
        import_batch_fail(batch_id=batch_id)
        raise
    return {
        "message": ngettext(
            "%(n)d person imported; the invitation is being sent.",
            "%(n)d people imported; their invitations are being sent.",
            created,
        )
        % {"n": created},
        "created": created,
    }


@task()
@tracked
def send_import_welcome(run: TaskRun, *, batch_id: int, actor_id: int) -> dict[str, Any]:
    """Invite everyone a finished import created; safe to retry (a sent-log row per person)."""
    actor = User.objects.get(pk=actor_id)
    sent = import_welcome_send(batch_id=batch_id, actor=actor, report=run.report)
    return {
        "message": ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", sent) % {"n": sent},
        "sent": sent,
    }


@task()
@tracked
def export_people(run: TaskRun, *, export_kind: str, fmt: str, actor_id: int) -> dict[str, Any]:
    """Write one coordinator export (CSV or XLSX) to private storage; the progress page then links to it."""
    from .exporting import export_file_make

    return export_file_make(run=run, kind=export_kind, fmt=fmt, actor_id=actor_id)
