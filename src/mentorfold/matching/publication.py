"""Publication of a match run: claim it once, write the mentorships in bulk, then tell people in batches.

Three steps, each safe to repeat:
1. ``match_run_publish_claim`` — one conditional UPDATE (finished → publishing) under the term's row lock, so
   two clicks at once, or two runs of one term, publish once.
2. ``match_run_publish_write`` — one short transaction: mentorships in one bulk insert, run → published.
   A retry finds the run published and writes nothing.
3. ``match_run_publish_notify`` — after the commit, from the background task: e-mails and notices in batches.
   Each batch first records who it tells in ``PublicationMail`` (unique per run and person) and commits, then
   sends; a retried task skips everyone already recorded, so nobody is mailed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.accounts.models import MentorProfile
from mentorfold.core.audit import audit
from mentorfold.core.bulk import insert_rows
from mentorfold.core.models import Notice
from mentorfold.programs.models import Term

from .models import MatchRun, Mentorship, PublicationMail
from .snapshot import settings_for

Progress = Callable[[int, str], None]
CURRENT = [Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED]
BATCH = 500


def match_run_publish_claim(*, match_run: MatchRun, user: Any) -> MatchRun:
    """Mark a finished run as being published; raises ValidationError if someone else was first."""
    with transaction.atomic():
        # The term's row lock makes "no other run of this term is published" hold for two runs at once.
        Term.objects.select_for_update().filter(pk=match_run.term_id).values_list("pk", flat=True).first()
        other = (
            MatchRun.objects.filter(
                term_id=match_run.term_id, status__in=[MatchRun.Status.PUBLISHING, MatchRun.Status.PUBLISHED]
            )
            .exclude(pk=match_run.pk)
            .exists()
        )
        if other:
            raise ValidationError(
                _("Another run of this term is already published. Place learners by hand instead.")
            )
        claimed = MatchRun.objects.filter(pk=match_run.pk, status=MatchRun.Status.SUCCEEDED).update(
            status=MatchRun.Status.PUBLISHING, published_by=user if user and user.pk else None
        )
        if not claimed:
            raise ValidationError(_("Only a finished run that is not yet published can be published."))
    match_run.status = MatchRun.Status.PUBLISHING
    return match_run


def match_run_publish_release(*, match_run_id: int) -> None:
    """Writing the mentorships failed (nothing was written): the run can be published again."""
    MatchRun.objects.filter(pk=match_run_id, status=MatchRun.Status.PUBLISHING).update(
        status=MatchRun.Status.SUCCEEDED
    )


def match_run_publish_write(*, match_run_id: int, user: Any, now: datetime | None = None) -> int:
    """Create the run's mentorships in one insert and mark it published; returns how many were created."""
    now = now or timezone.now()
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=match_run_id)
        if run.status == MatchRun.Status.PUBLISHED:
            return 0
        if run.status != MatchRun.Status.PUBLISHING:
            raise ValidationError(_("Only a finished run that is not yet published can be published."))
        taken = Mentorship.objects.filter(term_id=run.term_id, status__in=CURRENT).values("learner_id")
        pairs = list(
            run.assignments.filter(mentor__isnull=False)
            .exclude(learner_id__in=taken)
            .values_list("learner_id", "mentor_id", "site_id")
        )
        created_by = user.pk if user is not None and user.pk else None
        stamp = now
        rows = [
            (learner_id, mentor_id, run.term_id, Mentorship.Status.ACTIVE.value, "", "", created_by, stamp)
            + (site_id, run.pk, "")
            for learner_id, mentor_id, site_id in pairs
        ]
        # ON CONFLICT DO NOTHING: a learner once declined by the same mentor keeps the old row.
        insert_rows(
            Mentorship,
            [
                "learner_id",
                "mentor_id",
                "term_id",
                "status",
                "end_reason",
                "goals",
                "created_by_id",
                "created_at",
                "site_id",
                "match_run_id",
                "placed_manually_reason",
            ],
            rows,
        )
        created = Mentorship.objects.filter(match_run_id=run.pk).count()
        run.status = MatchRun.Status.PUBLISHED
        run.published_at = now
        run.save(update_fields=["status", "published_at"])
        audit(actor=user, action="matching.run_publish", target=run, data={"mentorships": created})
    return created


@dataclass
class _Recipient:
    user_id: int
    email: str
    name: str
    mentors: list[tuple[int, str]] = field(default_factory=list)  # (mentorship id, mentor) as a learner
    mentees: list[tuple[int, str]] = field(default_factory=list)  # (mentorship id, learner) as a mentor


def _display_mentor(full_name: str, email: str, career_stage: str) -> str:
    """Same words as ``MentorProfile.__str__`` without loading 20,000 model instances."""
    name = full_name or email
    return name if career_stage == MentorProfile.CareerStage.RESIDENT else f"Dr. {full_name}"


def _short_name(preferred: str, full_name: str, email: str) -> str:
    return preferred or (full_name.split(" ")[0] if full_name else email)


def publication_recipients(run: MatchRun) -> dict[int, _Recipient]:
    """Everyone a publication tells, one entry per person (a mentor with three mentees gets one e-mail)."""
    rows = Mentorship.objects.filter(match_run_id=run.pk).values_list(
        "pk",
        "learner__user_id",
        "learner__user__email",
        "learner__user__full_name",
        "learner__user__preferred_name",
        "mentor__user_id",
        "mentor__user__email",
        "mentor__user__full_name",
        "mentor__user__preferred_name",
        "mentor__career_stage",
    )
    people: dict[int, _Recipient] = {}
    for pk, l_id, l_email, l_name, l_pref, m_id, m_email, m_name, m_pref, stage in rows.iterator(5000):
        learner = people.get(l_id) or people.setdefault(
            l_id, _Recipient(l_id, l_email, _short_name(l_pref, l_name, l_email))
        )
        mentor = people.get(m_id) or people.setdefault(
            m_id, _Recipient(m_id, m_email, _short_name(m_pref, m_name, m_email))
        )
        learner.mentors.append((pk, _display_mentor(m_name, m_email, stage)))
        mentor.mentees.append((pk, l_name or l_email))
    return people


def _notices(person: _Recipient) -> list[Notice]:
    out = []
    for pk, mentor in person.mentors:
        url = reverse("matching:mentorship", args=[pk])
        out.append(
            Notice(
                user_id=person.user_id,
                text=_("You are matched with %(mentor)s.") % {"mentor": mentor},
                url=url,
            )
        )
    for pk, learner in person.mentees:
        url = reverse("matching:mentorship", args=[pk])
        out.append(
            Notice(
                user_id=person.user_id,
                text=_("%(learner)s is your new mentee.") % {"learner": learner},
                url=url,
            )
        )
    return out


def _message(person: _Recipient, *, term: Term, decline_days: int, template: Any) -> EmailMessage:
    mentors = [{"name": m, "url": reverse("matching:mentorship", args=[pk])} for pk, m in person.mentors]
    mentees = [{"name": m, "url": reverse("matching:mentorship", args=[pk])} for pk, m in person.mentees]
    body = template.render(
        {
            "SITE_URL": settings.SITE_URL,
            "name": person.name,
            "term": str(term),
            "mentors": mentors,
            "mentees": mentees,
            "decline_days": decline_days,
        }
    )
    if person.mentors and not person.mentees:
        subject = _("You have a mentor")
    else:
        subject = ngettext("You have a new mentee", "You have new mentees", len(person.mentees) or 1)
    return EmailMessage(
        subject=f"[Mentorfold] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    )


def match_run_publish_notify(
    *, match_run_id: int, progress: Progress | None = None, batch: int = BATCH, now: datetime | None = None
) -> int:
    """E-mail and notify everyone in the published run who has not been told yet; returns e-mails sent."""
    report = progress or (lambda percent, message: None)
    now = now or timezone.now()
    run = MatchRun.objects.select_related("term__program").defer("inputs", "result").get(pk=match_run_id)
    if run.status != MatchRun.Status.PUBLISHED:
        raise ValidationError(_("Only a published run can tell people about their match."))
    people = publication_recipients(run)
    already = set(PublicationMail.objects.filter(run_id=run.pk).values_list("user_id", flat=True))
    todo = [uid for uid in sorted(people) if uid not in already]
    decline_days = settings_for(run.term).decline_days
    template = get_template("matching/email/published.txt")
    sent = 0
    total = max(len(todo), 1)
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        with transaction.atomic():
            # The run's row lock makes two notifiers of one run take turns; each skips what the other logged.
            MatchRun.objects.select_for_update().filter(pk=run.pk).values_list("pk", flat=True).first()
            logged = set(
                PublicationMail.objects.filter(run_id=run.pk, user_id__in=chunk).values_list(
                    "user_id", flat=True
                )
            )
            chunk = [uid for uid in chunk if uid not in logged]
            insert_rows(
                PublicationMail, ["run_id", "user_id", "sent_at"], [(run.pk, uid, now) for uid in chunk]
            )
            Notice.objects.bulk_create([n for uid in chunk for n in _notices(people[uid])], batch_size=1000)
        messages = [
            _message(people[uid], term=run.term, decline_days=decline_days, template=template)
            for uid in chunk
            if people[uid].email
        ]
        with get_connection() as connection:
            sent += connection.send_messages(messages) or 0
        done = min(start + batch, len(todo))
        report(
            10 + int(90 * done / total),
            ngettext("%(n)d person told", "%(n)d people told", done) % {"n": done},
        )
    return sent


def publication_counts(run: MatchRun) -> dict[str, int]:
    """What publishing will do: mentorships to create and people to tell (for the confirmation page)."""
    taken = Mentorship.objects.filter(term_id=run.term_id, status__in=CURRENT).values("learner_id")
    pairs = run.assignments.filter(mentor__isnull=False).exclude(learner_id__in=taken)
    agg = pairs.aggregate(n=Count("pk"), mentors=Count("mentor_id", distinct=True))
    return {"mentorships": agg["n"], "people": agg["n"] + agg["mentors"]}
