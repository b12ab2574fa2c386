"""Background jobs of programs: importing people (a long job with progress)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_tasks import task

from mentorfold.accounts.models import User
from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import tracked

from .importing import import_batch_commit, import_batch_fail
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
    return {"message": _("%(n)d people imported and invited.") % {"n": created}, "created": created}
