"""The yearly "where are you now" e-mail: each past learner gets a personal link to a one-question page.

The ``PipelineCheckin`` row is both the link and the sent-log: one per learner and year, its ``sent_at`` claimed
by a conditional update before the mail goes out, so a retried job never mails twice. The mail goes to the
learner's own address only (a minor's too); no guardian or other adult is ever copied.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorfold.accounts.models import LearnerProfile
from mentorfold.core.mail import send_templated_mail
from mentorfold.programs.models import Enrollment

from .models import PipelineCheckin, PipelineStage
from .services import pipeline_stage_record

CHECKIN_BATCH = 500


def past_learner_ids(*, today: date) -> list[int]:
    """Learners accepted into a term that has ended: the people the yearly e-mail asks."""
    return list(
        Enrollment.objects.filter(
            status=Enrollment.Status.ACCEPTED, term__ends_on__lt=today, learner__user__is_active=True
        )
        .values_list("learner_id", flat=True)
        .distinct()
        .order_by("learner_id")
    )


def pipeline_checkins_send(*, today: date | None = None, batch: int = CHECKIN_BATCH) -> int:
    """Yearly: give every past learner this year's link (once) and queue its e-mail after commit."""
    today = today or timezone.localdate()
    learner_ids = past_learner_ids(today=today)
    created = 0
    for start in range(0, len(learner_ids), batch):
        chunk = learner_ids[start : start + batch]
        with transaction.atomic():
            have = set(
                PipelineCheckin.objects.filter(year=today.year, learner_id__in=chunk).values_list(
                    "learner_id", flat=True
                )
            )
            new = [PipelineCheckin(learner_id=pk, year=today.year) for pk in chunk if pk not in have]
            PipelineCheckin.objects.bulk_create(new, ignore_conflicts=True)
            created += len(new)
            unsent = list(
                PipelineCheckin.objects.filter(
                    year=today.year, learner_id__in=chunk, sent_at__isnull=True
                ).values_list("pk", flat=True)
            )
            if unsent:
                transaction.on_commit(lambda ids=unsent: _enqueue(ids))
    return created


def _enqueue(checkin_ids: list[int]) -> None:
    from .tasks import send_pipeline_checkin_mail

    send_pipeline_checkin_mail.enqueue(checkin_ids=checkin_ids)


def pipeline_checkin_mail_send(*, checkin_id: int, now: datetime | None = None) -> bool:
    """E-mail one learner's yearly link at most once: ``sent_at`` is claimed before the mail is queued."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = PipelineCheckin.objects.filter(pk=checkin_id, sent_at__isnull=True).update(sent_at=now)
        if not claimed:
            return False
        checkin = PipelineCheckin.objects.select_related("learner__user").get(pk=checkin_id)
        user = checkin.learner.user
        context = {
            "name": user.get_short_name(),
            "year": checkin.year,
            "path": reverse("outcomes:pipeline_checkin", kwargs={"token": checkin.token}),
        }
        subject = _("Where are you now? One question, once a year")
        transaction.on_commit(
            lambda: send_templated_mail(
                to=[user.email],
                subject=subject,
                template="outcomes/email/pipeline_checkin.txt",
                context=context,
            )
        )
    return True


def pipeline_checkin_answer(
    *, checkin: PipelineCheckin, stage: str, reached_on: date, now: datetime | None = None
) -> PipelineStage:
    """Record the step the learner reports through their personal link (as the learner themselves)."""
    now = now or timezone.now()
    if stage not in PipelineStage.Stage.values:
        raise ValidationError({"stage": _("Where are you now: choose one of the answers shown.")})
    with transaction.atomic():
        locked = (
            PipelineCheckin.objects.select_for_update().select_related("learner__user").get(pk=checkin.pk)
        )
        learner: LearnerProfile = locked.learner
        entry = pipeline_stage_record(
            learner=learner,
            stage=stage,
            reached_on=reached_on,
            actor=learner.user,
            source=PipelineStage.Source.LEARNER,
            today=timezone.localdate(now),
        )
        if locked.answered_at is None:
            locked.answered_at = now
            locked.save(update_fields=["answered_at"])
    checkin.answered_at = locked.answered_at
    return entry


def checkin_for_token(token: str) -> Any:
    """This year's or an earlier link; None when unknown."""
    return PipelineCheckin.objects.select_related("learner__user").filter(token=token).first()
