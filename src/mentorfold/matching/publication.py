"""Publication of a match run: claim it once, write the mentorships in bulk, then tell people in batches.

Three steps, each safe to repeat:
1. ``match_run_publish_claim`` — one conditional UPDATE (finished → publishing) under the term's row lock, so
   two clicks at once, or two runs of one term, publish once.
2. ``match_run_publish_write`` — one short transaction: the mentorships copied from the run's pairs by one
   ``INSERT … SELECT`` inside the database, run → published. A retry finds the run published and writes
   nothing.
3. ``match_run_publish_queue`` — after the commit, from the task: in-app notices and one queued e-mail per
   person (``PublicationMail``, unique per run and person), in batches; a retry skips everyone queued.
4. ``match_run_publish_mail`` — a second task sends the queued e-mails in batches, each batch claimed (and
   committed) before it is sent, so a retried task never mails anyone twice; each e-mail is in its recipient's
   own language (``core.mail.send_templated_mails``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.accounts.models import MentorProfile
from mentorfold.core.audit import audit
from mentorfold.core.bulk import insert_rows, now_value
from mentorfold.core.mail import MailNotSent, send_templated_mails
from mentorfold.core.models import Notice
from mentorfold.programs.models import Term

from .models import MatchAssignment, MatchRun, Mentorship, PublicationMail
from .snapshot import settings_for

Progress = Callable[[int, str], None]
CURRENT = [Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED]
BATCH = 500  # e-mails per claimed batch
QUEUE_BATCH = 1000  # people per notice/queue transaction: about 0.06 s CPU of write lock each


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


def _insert_mentorships(*, run: MatchRun, created_by: int | None, now: datetime) -> None:
    """The run's pairs become mentorships in one ``INSERT … SELECT``: no row passes through Python.

    Learners who already have a current mentorship in the term (placed by hand meanwhile) are skipped; ON
    CONFLICT DO NOTHING keeps the old row of a learner once declined by the same mentor.
    """
    qn = connection.ops.quote_name
    mentorship = qn(Mentorship._meta.db_table)
    assignment = qn(MatchAssignment._meta.db_table)
    columns = ", ".join(
        qn(c)
        for c in (
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
        )
    )
    # Table and column names come from model metadata; every value is a query parameter.
    sql = (
        f"INSERT INTO {mentorship} ({columns}) "  # noqa: S608
        "SELECT a.learner_id, a.mentor_id, %s, %s, '', '', %s, %s, a.site_id, a.run_id, '' "
        f"FROM {assignment} a WHERE a.run_id = %s AND a.mentor_id IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {mentorship} m WHERE m.term_id = %s AND m.learner_id = a.learner_id "
        "AND m.status IN (%s, %s)) "
        "ON CONFLICT DO NOTHING"
    )
    params = [
        run.term_id,
        Mentorship.Status.ACTIVE.value,
        created_by,
        connection.ops.adapt_datetimefield_value(now),
        run.pk,
        run.term_id,
        *[status.value for status in CURRENT],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def match_run_publish_write(*, match_run_id: int, user: Any, now: datetime | None = None) -> int:
    """Create the run's mentorships and mark it published in one short transaction; returns how many.

    All of a publication becomes visible at once (nobody sees half of it), and the transaction stays short
    because the rows are copied inside the database. A retry finds the run published and writes nothing.
    """
    now = now or timezone.now()
    created_by = user.pk if user is not None and user.pk else None
    # Read before the lock: what the audit names (method, term) never changes; the big JSON columns are skipped.
    run = (
        MatchRun.objects.select_related("term__program")
        .defer("inputs", "result", "certificate", "stats", "parameters")
        .get(pk=match_run_id)
    )
    with transaction.atomic():
        status = MatchRun.objects.select_for_update().filter(pk=run.pk).values_list("status", flat=True).get()
        if status == MatchRun.Status.PUBLISHED:
            return 0
        if status != MatchRun.Status.PUBLISHING:
            raise ValidationError(_("Only a finished run that is not yet published can be published."))
        _insert_mentorships(run=run, created_by=created_by, now=now)
        created = Mentorship.objects.filter(match_run_id=run.pk).count()
        MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.PUBLISHING).update(
            status=MatchRun.Status.PUBLISHED, published_at=now
        )
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


def _mentorship_url() -> Callable[[int], str]:
    """``reverse`` once: 40,000 calls cost seconds; the path differs only in the id."""
    marker = 987654321
    path = reverse("matching:mentorship", args=[marker])
    head, tail = path.split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _notice_rows(person: _Recipient, url: Callable[[int], str], now: Any) -> list[tuple[Any, ...]]:
    rows = [
        (person.user_id, (_("You are matched with %(mentor)s.") % {"mentor": m})[:300], url(pk), now)
        for pk, m in person.mentors
    ]
    rows += [
        (person.user_id, (_("%(learner)s is your new mentee.") % {"learner": m})[:300], url(pk), now)
        for pk, m in person.mentees
    ]
    return rows


def match_run_publish_queue(
    *, match_run_id: int, progress: Progress | None = None, batch: int = QUEUE_BATCH
) -> int:
    """In-app notices for everyone in the published run and one queued e-mail per person; returns people queued.

    Each batch is one short transaction under the run's row lock that skips people already queued, so a retry
    or a second task at the same time queues nobody twice.
    """
    report = progress or (lambda percent, message: None)
    run = MatchRun.objects.only("pk", "status").get(pk=match_run_id)
    if run.status != MatchRun.Status.PUBLISHED:
        raise ValidationError(_("Only a published run can tell people about their match."))
    people = publication_recipients(run)
    url = _mentorship_url()
    ids = sorted(people)
    queued = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            MatchRun.objects.select_for_update().filter(pk=run.pk).values_list("pk", flat=True).first()
            logged = set(
                PublicationMail.objects.filter(
                    run_id=run.pk, user_id__gte=chunk[0], user_id__lte=chunk[-1]
                ).values_list("user_id", flat=True)
            )
            chunk = [uid for uid in chunk if uid not in logged]
            now = now_value()
            insert_rows(
                PublicationMail, ["run_id", "user_id", "queued_at"], [(run.pk, uid, now) for uid in chunk]
            )
            insert_rows(
                Notice,
                ["user_id", "text", "url", "created_at"],
                [row for uid in chunk for row in _notice_rows(people[uid], url, now)],
            )
        queued += len(chunk)
        done = min(start + batch, len(ids))
        report(10 + int(80 * done / max(len(ids), 1)), _("Notices and e-mails queued: %(n)d") % {"n": done})
    return queued


def _subject(kind: int) -> Callable[[], str]:
    """Subject of a group of letters, translated when sent (in each recipient's language)."""
    if kind == 0:
        return lambda: _("You have a mentor")
    return lambda: ngettext("You have a new mentee", "You have new mentees", kind)


def _letters(
    claim: list[tuple[int, int]], people: dict[int, _Recipient], url: Callable[[int], str]
) -> dict[int, list[tuple[int, str, dict[str, Any]]]]:
    """The claimed people's letters grouped by subject: 0 = a learner told of their mentor, n = n new mentees."""
    groups: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}
    for pk, uid in claim:
        person = people.get(uid)
        if person is None or not person.email.strip():
            continue
        kind = 0 if person.mentors and not person.mentees else len(person.mentees) or 1
        own = {
            "name": person.name,
            "mentors": [{"name": m, "url": url(mpk)} for mpk, m in person.mentors],
            "mentees": [{"name": m, "url": url(mpk)} for mpk, m in person.mentees],
        }
        groups.setdefault(kind, []).append((pk, person.email, own))
    return groups


def match_run_publish_mail(*, match_run_id: int, progress: Progress | None = None, batch: int = BATCH) -> int:
    """Send the queued e-mails of a published run in batches; returns how many were sent.

    Each batch is claimed first (``sent_at`` set under the run's row lock, committed), then sent with
    ``core.mail.send_templated_mails`` (each person in their own language, one connection per subject): a task
    that is retried, or runs twice at once, never sends a claimed e-mail again. If sending stops, the claims of
    the e-mails that did not go out are given back, so a retry sends them.
    """
    report = progress or (lambda percent, message: None)
    run = MatchRun.objects.select_related("term__program").defer("inputs", "result").get(pk=match_run_id)
    people = publication_recipients(run)
    shared = {"term": str(run.term), "decline_days": settings_for(run.term).decline_days}
    url = _mentorship_url()
    total = PublicationMail.objects.filter(run_id=run.pk, sent_at__isnull=True).count()
    sent = done = 0
    while True:
        with transaction.atomic():
            MatchRun.objects.select_for_update().filter(pk=run.pk).values_list("pk", flat=True).first()
            claim = list(
                PublicationMail.objects.filter(run_id=run.pk, sent_at__isnull=True)
                .order_by("user_id")
                .values_list("pk", "user_id")[:batch]
            )
            if not claim:
                break
            PublicationMail.objects.filter(pk__in=[pk for pk, _uid in claim]).update(sent_at=timezone.now())
        groups = sorted(_letters(claim, people, url).items())
        for position, (kind, letters) in enumerate(groups):
            try:
                sent += send_templated_mails(
                    letters=[(email, own) for _pk, email, own in letters],
                    subject=_subject(kind),
                    template="matching/email/published.txt",
                    context=shared,
                )
            except MailNotSent as stop:
                # What did not leave the building goes back to the queue, so a retry sends it.
                unsent = [pk for pk, _email, _own in letters[stop.sent :]]
                unsent += [pk for _kind, later in groups[position + 1 :] for pk, _email, _own in later]
                PublicationMail.objects.filter(pk__in=unsent).update(sent_at=None)
                raise
        done += len(claim)
        report(
            min(99, int(100 * done / max(total, 1))),
            ngettext("%(n)d e-mail sent", "%(n)d e-mails sent", done) % {"n": done},
        )
    return sent


def match_run_publish_notify(
    *, match_run_id: int, progress: Progress | None = None, batch: int = BATCH
) -> int:
    """Queue and send in one go (demo data, management commands and tests); returns e-mails sent."""
    match_run_publish_queue(match_run_id=match_run_id)
    return match_run_publish_mail(match_run_id=match_run_id, progress=progress, batch=batch)


def publication_counts(run: MatchRun) -> dict[str, int]:
    """What publishing will do: mentorships to create and people to tell (for the confirmation page)."""
    taken = Mentorship.objects.filter(term_id=run.term_id, status__in=CURRENT).values("learner_id")
    pairs = run.assignments.filter(mentor__isnull=False).exclude(learner_id__in=taken)
    agg = pairs.aggregate(n=Count("pk"), mentors=Count("mentor_id", distinct=True))
    return {"mentorships": agg["n"], "people": agg["n"] + agg["mentors"]}
