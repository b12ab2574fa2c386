"""A test-only background job that writes in two steps and holds its second transaction open.

``test_worker_recovery`` kills the worker with SIGKILL while the job sleeps inside that transaction.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from mentorfold.core.models import AuditEvent, TaskRun
from mentorfold.core.tracking import tracked


@task()
@tracked
def slow_write(run: TaskRun, *, rows: int = 5, hold_seconds: float = 60.0) -> dict[str, Any]:
    with transaction.atomic():
        AuditEvent.objects.create(action="slow.step1", target_id=str(run.pk))
        transaction.on_commit(
            lambda: send_mail("step 1 done", "saved", None, ["coordinator@example.org"], fail_silently=False)
        )
    run.report(50, "saving")
    with transaction.atomic():
        for n in range(rows):
            AuditEvent.objects.create(action="slow.step2", target_id=str(run.pk), data={"n": n})
        time.sleep(hold_seconds)
    return {"message": "done"}
