"""Background jobs of matching: a match run and a publication each report progress to their TaskRun."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from mentorfold.core.models import TaskRun
from mentorfold.core.tracking import task_run_start, tracked

from .models import MatchRun
from .publication import (
    match_run_publish_mail,
    match_run_publish_queue,
    match_run_publish_release,
    match_run_publish_write,
)
from .running import match_run_execute, match_run_fail, match_runs_recover


@task()
@tracked
def execute_match_run(run: TaskRun, *, match_run_id: int) -> dict[str, Any]:
    """Freeze inputs, run the engine and store the result of one MatchRun."""
    match_runs_recover()  # runs left half-written by a worker that died are marked failed first
    match_run = MatchRun.objects.get(pk=match_run_id)
    try:
        done = match_run_execute(match_run=match_run, progress=run.report)
    except Exception as exc:
        match_run_fail(match_run_id=match_run_id, message=f"{type(exc).__name__}: {exc}")
        raise
    stats = done.stats
    return {
        "message": _("%(matched)d of %(learners)d learners matched")
        % {"matched": stats["matched"], "learners": stats["learners"]},
        "url": reverse("matching:run_detail", args=[done.pk]),
    }


@task()
@tracked
def publish_match_run(run: TaskRun, *, match_run_id: int, user_id: int | None = None) -> dict[str, Any]:
    """Write the mentorships of a claimed run, queue notices and e-mails, then start the mail task."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    run.report(2, _("Creating the mentorships"))
    try:
        created = match_run_publish_write(match_run_id=match_run_id, user=user)
    except Exception:
        match_run_publish_release(match_run_id=match_run_id)
        raise
    run.report(10, _("Telling learners and mentors"))
    queued = match_run_publish_queue(match_run_id=match_run_id, progress=run.report)
    mail_run = task_run_start(
        task=send_publication_mail,
        kind="matching.publish_mail",
        label=_("E-mails about match run #%(n)d") % {"n": match_run_id},
        user=user,
        match_run_id=match_run_id,
    )
    MatchRun.objects.filter(pk=match_run_id).update(mail_task_run_id=mail_run.pk)
    return {
        "message": ngettext(
            "Published: %(n)d mentorship created", "Published: %(n)d mentorships created", created
        )
        % {"n": created}
        + " · "
        + ngettext("%(q)d person to e-mail", "%(q)d people to e-mail", queued) % {"q": queued},
        "url": reverse("matching:run_detail", args=[match_run_id]),
    }


@task()
@tracked
def send_publication_mail(run: TaskRun, *, match_run_id: int) -> dict[str, Any]:
    """Send the queued e-mails of a published run in batches (each batch claimed before it is sent)."""
    sent = match_run_publish_mail(match_run_id=match_run_id, progress=run.report)
    return {
        "message": ngettext("%(n)d e-mail sent", "%(n)d e-mails sent", sent) % {"n": sent},
        "url": reverse("matching:run_detail", args=[match_run_id]),
    }
