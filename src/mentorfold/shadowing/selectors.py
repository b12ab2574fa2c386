"""Reads for shadowing pages: calendars, dashboards, hours totals (each a fixed, small number of queries)."""

from __future__ import annotations

import calendar as pycalendar
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mentorfold.accounts.models import GuardianLink, LearnerProfile, MentorProfile
from mentorfold.accounts.onboarding import visible_slot_mentor_q
from mentorfold.matching.models import Mentorship
from mentorfold.programs.models import Enrollment, MentorTermOptIn, Program

from .models import Booking, HoursCertificate, PatientFeedback, Slot


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def mentor_programs(*, mentor: MentorProfile) -> Any:
    """Programs the mentor joined: opted in to one of their terms, or mentors a learner in one."""
    opted_in = MentorTermOptIn.objects.filter(mentor=mentor).values("term__program_id")
    mentoring = Mentorship.objects.filter(mentor=mentor).values("term__program_id")
    return Program.objects.filter(Q(pk__in=opted_in) | Q(pk__in=mentoring))


def planned_minutes(*, learner: LearnerProfile, program: Program) -> int:
    """Minutes that count against the program's cap: verified minutes, or the slot length until verified."""
    rows = Booking.objects.filter(
        learner=learner, slot__program=program, status__in=Booking.ACTIVE
    ).values_list("verified_minutes", "slot__starts_at", "slot__ends_at")
    total = 0
    for verified, starts_at, ends_at in rows:
        total += verified if verified is not None else int((ends_at - starts_at).total_seconds() // 60)
    return total


def verified_bookings(*, learner: LearnerProfile) -> Any:
    return (
        Booking.objects.filter(learner=learner, status=Booking.Status.COMPLETED, verified_at__isnull=False)
        .select_related("slot__mentor__user", "slot__site", "slot__program")
        .order_by("slot__starts_at")
    )


def verified_totals(*, learner: LearnerProfile) -> dict[str, Any]:
    """Verified hours by mentor (name + specialty) and site, by specialty, and in total — JSON-ready."""
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    by_specialty: dict[str, int] = defaultdict(int)
    total = 0
    first: date | None = None
    last: date | None = None
    for booking in verified_bookings(learner=learner):
        slot = booking.slot
        day = timezone.localdate(slot.starts_at)
        key = (slot.mentor_id, slot.site_id)
        row = rows.setdefault(
            key,
            {
                "mentor": str(slot.mentor),
                "specialty": slot.mentor.specialty,
                "site": slot.site.name,
                "minutes": 0,
                "sessions": 0,
                "first": day.isoformat(),
                "last": day.isoformat(),
            },
        )
        minutes = booking.verified_minutes or 0
        row["minutes"] += minutes
        row["sessions"] += 1
        row["last"] = day.isoformat()
        by_specialty[slot.mentor.specialty] += minutes
        total += minutes
        first = first or day
        last = day
    return {
        "rows": list(rows.values()),
        "by_specialty": dict(sorted(by_specialty.items())),
        "total_minutes": total,
        "first": first.isoformat() if first else "",
        "last": last.isoformat() if last else "",
    }


def hours(minutes: int) -> str:
    """Minutes as hours for people: 90 -> "1.5"."""
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".")


def experience_descriptions(*, totals: dict[str, Any], limit: int = 700) -> list[dict[str, str]]:
    """One plain-text paragraph per mentor, ready for a medical-school application (at most ``limit`` chars)."""
    by_mentor: dict[str, dict[str, Any]] = {}
    for row in totals["rows"]:
        entry = by_mentor.setdefault(
            row["mentor"],
            {
                "specialty": row["specialty"],
                "sites": [],
                "minutes": 0,
                "sessions": 0,
                "first": row["first"],
                "last": row["last"],
            },
        )
        entry["sites"].append(row["site"])
        entry["minutes"] += row["minutes"]
        entry["sessions"] += row["sessions"]
        entry["first"] = min(entry["first"], row["first"])
        entry["last"] = max(entry["last"], row["last"])
    result = []
    for mentor, entry in by_mentor.items():
        first = formats.date_format(date.fromisoformat(entry["first"]), "F Y")
        last = formats.date_format(date.fromisoformat(entry["last"]), "F Y")
        period = first if first == last else _("%(first)s to %(last)s") % {"first": first, "last": last}
        sessions = ngettext("%(n)d clinic session", "%(n)d clinic sessions", entry["sessions"]) % {
            "n": entry["sessions"]
        }
        text = _(
            "Physician shadowing in %(specialty)s with %(mentor)s at %(sites)s, %(period)s: "
            "%(hours)s verified hours over %(sessions)s. I observed patient visits, history "
            "taking, physical examinations and how the care team works together, always after the patient "
            "agreed to a learner being present. Contact: %(mentor)s, supervising physician, %(specialty)s."
        ) % {
            "period": period,
            "specialty": entry["specialty"].lower(),
            "mentor": mentor,
            "sites": ", ".join(dict.fromkeys(entry["sites"])),
            "hours": hours(entry["minutes"]),
            "sessions": sessions,
        }
        if len(text) > limit:
            text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
        result.append(
            {
                "mentor": mentor,
                "role": _("Supervising physician, %(specialty)s") % {"specialty": entry["specialty"]},
                "hours": hours(entry["minutes"]),
                "text": text,
            }
        )
    return result


def _slots_with_bookings() -> Any:
    active = Booking.objects.filter(status__in=Booking.ACTIVE).select_related("learner__user")
    return Slot.objects.select_related("site", "program", "mentor__user").prefetch_related(
        Prefetch("bookings", queryset=active, to_attr="active_bookings")
    )


@dataclass
class CalendarDay:
    day: date
    in_month: bool = True
    slots: list[Slot] = field(default_factory=list)


def calendar_range(*, view: str, anchor: date) -> tuple[date, date]:
    """First and last day shown: a Monday-to-Sunday week, or the whole weeks covering a month."""
    if view == "month":
        first = anchor.replace(day=1)
        last = anchor.replace(day=pycalendar.monthrange(anchor.year, anchor.month)[1])
        return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())
    monday = anchor - timedelta(days=anchor.weekday())
    return monday, monday + timedelta(days=6)


def mentor_calendar(*, mentor: MentorProfile, view: str, anchor: date) -> list[list[CalendarDay]]:
    """Weeks of days with the mentor's slots and their active bookings, in three queries."""
    first, last = calendar_range(view=view, anchor=anchor)
    slots = _slots_with_bookings().filter(
        mentor=mentor, starts_at__gte=_aware(first), starts_at__lt=_aware(last + timedelta(days=1))
    )
    days: dict[date, CalendarDay] = {}
    day = first
    while day <= last:
        days[day] = CalendarDay(day=day, in_month=(view != "month" or day.month == anchor.month))
        day += timedelta(days=1)
    for slot in slots:
        local = timezone.localdate(slot.starts_at)
        if local in days:
            days[local].slots.append(slot)
    ordered = list(days.values())
    return [ordered[i : i + 7] for i in range(0, len(ordered), 7)]


def pending_verifications(*, mentor: MentorProfile, now: datetime | None = None) -> Any:
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            slot__mentor=mentor,
            status=Booking.Status.BOOKED,
            verified_at__isnull=True,
            slot__starts_at__lte=now,
        )
        .select_related("slot__site", "slot__program", "learner__user")
        .order_by("slot__starts_at")
    )


def mentor_summary(*, mentor: MentorProfile, now: datetime | None = None) -> dict[str, Any]:
    """Upcoming sessions, pending verifications, hours taught this year, learners taught — four queries."""
    now = now or timezone.now()
    year_start = _aware(timezone.localdate(now).replace(month=1, day=1))
    upcoming = list(
        Booking.objects.filter(slot__mentor=mentor, status=Booking.Status.BOOKED, slot__starts_at__gt=now)
        .select_related("slot__site", "learner__user")
        .order_by("slot__starts_at")[:5]
    )
    pending = pending_verifications(mentor=mentor, now=now).count()
    year = Booking.objects.filter(
        slot__mentor=mentor, status=Booking.Status.COMPLETED, slot__starts_at__gte=year_start
    ).aggregate(minutes=Sum("verified_minutes"), learners=Count("learner", distinct=True))
    learners = (
        Booking.objects.filter(slot__mentor=mentor, status__in=Booking.ACTIVE)
        .values("learner")
        .distinct()
        .count()
    )
    return {
        "upcoming": upcoming,
        "pending": pending,
        "hours_this_year": hours(year["minutes"] or 0),
        "learners_this_year": year["learners"] or 0,
        "learners": learners,
    }


def bookable_slots_q(*, learner: LearnerProfile, today: date) -> Q:
    """Slots on days of the learner's accepted terms, with their own mentor unless the program allows any.

    Two queries. Compliance and weekly limits are checked when booking; this only hides slots that could never
    be booked (term not running that day, someone else's mentor).
    """
    enrollments = list(
        Enrollment.objects.filter(
            learner=learner, status=Enrollment.Status.ACCEPTED, term__ends_on__gte=today
        ).values_list(
            "term_id",
            "term__program_id",
            "term__starts_on",
            "term__ends_on",
            "term__program__allows_open_booking",
        )
    )
    mentors: dict[int, list[int]] = defaultdict(list)
    for term_id, mentor_id in Mentorship.objects.filter(
        learner=learner,
        term_id__in=[row[0] for row in enrollments],
        status__in=[Mentorship.Status.ACTIVE, Mentorship.Status.PAUSED],
    ).values_list("term_id", "mentor_id"):
        mentors[term_id].append(mentor_id)
    condition = Q(pk__in=[])
    for term_id, program_id, starts_on, ends_on, open_booking in enrollments:
        part = Q(
            program_id=program_id,
            starts_at__gte=_aware(starts_on),
            starts_at__lt=_aware(ends_on + timedelta(days=1)),
        )
        if not open_booking:
            part &= Q(mentor_id__in=mentors[term_id])
        condition |= part
    return condition


def seats_taken() -> Coalesce:
    """A slot's active bookings as a per-row subquery.

    A ``Count`` over the bookings join would group every matching slot before the ``LIMIT``: with 250,000 open
    slots that took PostgreSQL 5 s for a page of 30. Per row, the database walks the slots in start order and
    stops as soon as the page is full.
    """
    active = (
        Booking.objects.filter(slot=OuterRef("pk"), status__in=Booking.ACTIVE)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(active, output_field=IntegerField()), 0)


def learner_overview(
    *, learner: LearnerProfile, now: datetime | None = None, open_limit: int = 30
) -> dict[str, Any]:
    """The learner's upcoming and past bookings, verified hours and slots they might book (bounded queries)."""
    now = now or timezone.now()
    mine = list(
        Booking.objects.filter(learner=learner)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("slot__mentor__user", "slot__site", "slot__program")
        .order_by("-slot__starts_at")[:100]
    )
    upcoming = sorted(
        (b for b in mine if b.slot.ends_at > now and b.status == Booking.Status.BOOKED),
        key=lambda b: b.slot.starts_at,
    )
    past = [b for b in mine if b not in upcoming]
    today = timezone.localdate(now)
    booked_slot_ids = [b.slot_id for b in mine if b.status == Booking.Status.BOOKED]
    open_slots = list(
        Slot.objects.filter(
            bookable_slots_q(learner=learner, today=today), status=Slot.Status.OPEN, starts_at__gt=now
        )
        .filter(visible_slot_mentor_q(learner=learner, on=today))
        .exclude(pk__in=booked_slot_ids)
        .select_related("mentor__user", "site", "program")
        .annotate(taken=seats_taken())
        .filter(Q(taken__lt=F("capacity")), Q(taken__lt=F("site__max_learners_at_once")))
        .order_by("starts_at")[:open_limit]
    )
    for slot in open_slots:
        slot.seats_left = max(slot.seats - slot.taken, 0)
    verified = sum(b.verified_minutes or 0 for b in mine if b.is_verified)
    return {
        "upcoming": upcoming,
        "past": past,
        "open_slots": open_slots,
        "verified_hours": hours(verified),
        "pending_count": sum(1 for b in past if b.status == Booking.Status.BOOKED),
    }


def feed_bookings(*, user: Any) -> list[Booking]:
    """Bookings to put in someone's calendar: their own as learner, and those in their slots as mentor."""
    condition = (
        Q(learner__user=user)
        | Q(slot__mentor__user=user)
        | Q(
            learner__guardian_links__guardian=user,
            learner__guardian_links__status=GuardianLink.Status.VERIFIED,
        )
    )
    since = timezone.now() - timedelta(days=180)
    return list(
        Booking.objects.filter(condition, status__in=Booking.ACTIVE, slot__starts_at__gte=since)
        .select_related("slot__mentor__user", "slot__site", "learner__user")
        .distinct()
        .order_by("slot__starts_at")[:500]
    )


def slot_with_bookings(pk: int) -> Slot:
    return _slots_with_bookings().get(pk=pk)


def children_upcoming(*, guardian: Any, now: datetime | None = None, limit: int = 10) -> list[Booking]:
    """Upcoming visits of the learners this guardian is verified for (one query)."""
    now = now or timezone.now()
    return list(
        Booking.objects.filter(
            learner__guardian_links__guardian=guardian,
            learner__guardian_links__status=GuardianLink.Status.VERIFIED,
            status=Booking.Status.BOOKED,
            slot__ends_at__gt=now,
        )
        .select_related("slot__mentor__user", "slot__site", "learner__user")
        .distinct()
        .order_by("slot__starts_at")[:limit]
    )


def coordinator_recent_bookings(*, page: int = 1, per_page: int = 20) -> tuple[list[Booking], bool]:
    """One page of the latest bookings made, newest first, and whether an older page exists.

    Read backwards through the creation-time index, one query whose cost does not depend on how many slots or
    bookings exist (sorting by the slot's start instead walked every empty future slot first). No count of all
    bookings: the page fetches one row more than it shows to know whether to link to the next page.
    """
    start = (page - 1) * per_page
    rows = list(
        Booking.objects.select_related("slot__mentor__user", "slot__site", "learner__user").order_by(
            "-created_at", "-pk"
        )[start : start + per_page + 1]
    )
    return rows[:per_page], len(rows) > per_page


def coordinator_recent_certificates(*, limit: int = 20) -> list[HoursCertificate]:
    """The newest hours certificates (read through the issue-date index)."""
    return list(HoursCertificate.objects.select_related("learner__user").order_by("-issued_at")[:limit])


def late_cancellation_counts(*, since: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """Learners with the most late cancellations since ``since`` (one grouped query)."""
    return list(
        Booking.objects.filter(is_late_cancellation=True, cancelled_at__gte=since)
        .values("learner_id", "learner__user__full_name")
        .annotate(count=Count("pk"))
        .order_by("-count", "learner__user__full_name")[:limit]
    )


# --- Patients: counts and anonymous feedback -------------------------------------------------------------


def acceptance_rate(consented: int, declined: int) -> float | None:
    """Share of asked patients who agreed to a learner being present; None when nobody was asked."""
    asked = consented + declined
    return consented / asked if asked else None


def mentor_patient_summary(*, mentor: MentorProfile, comments: int = 20) -> dict[str, Any]:
    """The mentor's own patient counts and feedback answers, and recent visible comments — three queries."""
    tallies = Booking.objects.filter(slot__mentor=mentor, status=Booking.Status.COMPLETED).aggregate(
        consented=Sum("patients_consented"), declined=Sum("patients_declined"), sessions=Count("pk")
    )
    consented, declined = tallies["consented"] or 0, tallies["declined"] or 0
    answers = PatientFeedback.objects.filter(mentor=mentor).aggregate(
        total=Count("pk"),
        ok_yes=Count("pk", filter=Q(q1_learner_ok=PatientFeedback.Comfort.YES)),
        ok_unsure=Count("pk", filter=Q(q1_learner_ok=PatientFeedback.Comfort.UNSURE)),
        ok_no=Count("pk", filter=Q(q1_learner_ok=PatientFeedback.Comfort.NO)),
        time_yes=Count("pk", filter=Q(q2_enough_time=PatientFeedback.Time.YES)),
        time_less=Count("pk", filter=Q(q2_enough_time=PatientFeedback.Time.LESS)),
        time_more=Count("pk", filter=Q(q2_enough_time=PatientFeedback.Time.MORE)),
    )
    recent = list(
        PatientFeedback.objects.filter(mentor=mentor, hidden_at__isnull=True)
        .exclude(comment="")
        .select_related("site")[:comments]
    )
    return {
        "consented": consented,
        "declined": declined,
        "sessions": tallies["sessions"],
        "rate": acceptance_rate(consented, declined),
        "answers": answers,
        "comments": recent,
    }


def _month_starts(*, months: int, today: date) -> list[date]:
    first = today.replace(day=1)
    result = []
    for _month in range(months):
        result.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(result))


def site_acceptance_by_month(*, months: int = 12, now: datetime | None = None) -> dict[str, Any]:
    """Per site and month (society time): patients who agreed and declined, and the acceptance rate — one query.

    The database sums the counts per site and slot start time (a few rows per clinic day, with no per-row date
    function or month expression to sort by), and each start time is put in its month here, by comparing it
    with the month bounds in society time. Grouping by a month expression sorted every visit and took twice
    as long at the large demo.
    """
    now = now or timezone.now()
    month_list = _month_starts(months=months, today=timezone.localdate(now))
    bounds = [_aware(m) for m in month_list]
    last = month_list[-1]
    bounds.append(_aware((last + timedelta(days=32)).replace(day=1)))
    rows = (
        Booking.objects.filter(status=Booking.Status.COMPLETED, slot__starts_at__gte=bounds[0])
        .values_list("slot__site_id", "slot__starts_at")
        .annotate(
            site_name=Min("slot__site__name"),
            consented=Sum("patients_consented"),
            declined=Sum("patients_declined"),
        )
        .order_by()
    )
    sites: dict[int, dict[str, Any]] = {}
    for site_id, starts_at, name, consented, declined in rows:
        site = sites.setdefault(site_id, {"name": name, "counts": [[0, 0] for _m in month_list]})
        # Month index: the number of month ends this start is at or after.
        index = bisect_right(bounds, starts_at) - 1
        if index < len(month_list):  # later months are not shown
            site["counts"][index][0] += consented or 0
            site["counts"][index][1] += declined or 0
    table = []
    for _id, site in sorted(sites.items(), key=lambda item: (item[1]["name"], item[0])):
        cells = []
        for month, (consented, declined) in zip(month_list, site["counts"], strict=True):
            rate = acceptance_rate(consented, declined)
            cells.append(
                {
                    "consented": consented,
                    "declined": declined,
                    "month": month,
                    "rate": rate,
                    "percent": None if rate is None else round(rate * 100),
                }
            )
        table.append({"name": site["name"], "cells": cells})
    return {"months": month_list, "sites": table}


def feedback_for_moderation(*, limit: int = 100) -> list[PatientFeedback]:
    """Newest comments first, hidden ones included (marked), for coordinators — one query."""
    return list(
        PatientFeedback.objects.exclude(comment="").select_related("site", "mentor__user", "hidden_by")[
            :limit
        ]
    )
