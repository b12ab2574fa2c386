"""Coordinator aggregates for the outcome dashboards: one or two queries each, every small group hidden.

Every figure here leaves through a ``Chart``: the page, the SVG, the CSV and the XLSX all show the same
already-suppressed rows, so a number hidden on the page can never appear in an export. Groups under
``MIN_CELL`` people are hidden with ``engine.stats.suppress``, which also hides a second cell whenever a
published total would let a reader work out a hidden one by subtraction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.apps import apps
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorfold.engine.stats import paired_difference, paired_proportions, proportion, suppress
from mentorfold.grants.models import Application, GrantCycle
from mentorfold.shadowing.models import Booking

from .models import ReferenceFigure, SurveyInvitation, SurveyResponse, SurveySchedule

MIN_CELL = 10
HIDDEN = "<10"
BURNOUT_REFERENCE = "physician_burnout_national"


COLUMN_LABELS = {
    "group": gettext_lazy("Group"),
    "people": gettext_lazy("People"),
    "yes": gettext_lazy("Yes"),
    "no": gettext_lazy("No"),
    "percent": gettext_lazy("Percent"),
    # xgettext:no-python-format
    "ci95_low": gettext_lazy("95% interval from"),
    # xgettext:no-python-format
    "ci95_high": gettext_lazy("95% interval to"),
    "measure": gettext_lazy("Measure"),
    "pairs": gettext_lazy("People with both answers"),
    "before": gettext_lazy("Before"),
    "after": gettext_lazy("After"),
    "change": gettext_lazy("Change"),
    "site": gettext_lazy("Clinic site"),
    "month": gettext_lazy("Month"),
    "patients": gettext_lazy("Patients asked"),
    "agreed": gettext_lazy("Agreed"),
    "declined": gettext_lazy("Declined"),
    "program": gettext_lazy("Program"),
    "learners": gettext_lazy("Learners"),
    "hours": gettext_lazy("Hours"),
    "school": gettext_lazy("School"),
    "stage": gettext_lazy("Stage"),
    "recipients": gettext_lazy("Recipients"),
    "dollars": gettext_lazy("Dollars"),
    "survey": gettext_lazy("Survey"),
    "invited": gettext_lazy("Invited"),
    "answered": gettext_lazy("Answered"),
    "not_answered": gettext_lazy("Not answered"),
    "direction": gettext_lazy("Who taught whom"),
    "mentors": gettext_lazy("Mentors"),
    "moments": gettext_lazy("Teaching moments"),
}


@dataclass
class Bar:
    label: str
    value: float | None  # share 0..1 (or amount when ``Chart.unit`` is not "share"); None = hidden
    low: float | None = None
    high: float | None = None
    text: str = ""


@dataclass
class Chart:
    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    unit: str = "share"
    reference: ReferenceFigure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def headings(self) -> list[str]:
        """Column names for people (page and PDF); exports keep the short keys a spreadsheet formula can use."""
        return [str(COLUMN_LABELS.get(column, column)) for column in self.columns]

    @property
    def has_hidden(self) -> bool:
        return any(HIDDEN in row for row in self.rows)


def _show(value: int | None) -> Any:
    return HIDDEN if value is None else value


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _share_cells(yes: int, no: int) -> tuple[dict[str, int | None], bool]:
    """Yes/no counts with their total published: hidden cells, and whether the share may be shown."""
    cells = (
        suppress({"yes": yes, "no": no}, threshold=MIN_CELL, total=yes + no)
        if yes + no >= MIN_CELL
        else {
            "yes": None,
            "no": None,
        }
    )
    return cells, None not in cells.values()


def _share_row(label: str, yes: int, no: int) -> tuple[list[Any], Bar]:
    cells, visible = _share_cells(yes, no)
    total = yes + no
    if visible and total:
        p = proportion(yes, total)
        return (
            [
                label,
                total,
                cells["yes"],
                cells["no"],
                round(p.estimate * 100, 1),
                round(p.low * 100, 1),
                round(p.high * 100, 1),
            ],
            Bar(label, p.estimate, p.low, p.high, _pct(p.estimate)),
        )
    shown_total = total if total >= MIN_CELL else HIDDEN
    return (
        [label, shown_total, _show(cells["yes"]), _show(cells["no"]), HIDDEN, HIDDEN, HIDDEN],
        Bar(label, None, text=_("hidden: fewer than 10 people")),
    )


SHARE_COLUMNS = ["group", "people", "yes", "no", "percent", "ci95_low", "ci95_high"]


def burnout_chart() -> Chart:
    """Share of mentors reporting burnout (Mini-Z item 3 at 3 or more) at term start and end; 2 queries."""
    reference = ReferenceFigure.objects.filter(key=BURNOUT_REFERENCE).first()
    chart = Chart(
        "burnout",
        _("Mentor burnout at the start and end of term"),
        _("Share of mentors who said they are burning out, with 95% Wilson intervals."),
        SHARE_COLUMNS,
        reference=reference,
    )
    counts: dict[str, list[int]] = {k: [0, 0] for k in SurveySchedule.MENTOR_KINDS}
    # Counted in the database from the score stored when each survey was sent: no answers are read here.
    rows = (
        SurveyResponse.objects.filter(
            invitation__completed_at__isnull=False,
            invitation__schedule__kind__in=SurveySchedule.MENTOR_KINDS,
        )
        .values("invitation__schedule__kind")
        .annotate(yes=Count("pk", filter=Q(burnout=True)), no=Count("pk", filter=Q(burnout=False)))
        .order_by()
    )
    for row in rows:
        counts[row["invitation__schedule__kind"]] = [row["yes"], row["no"]]
    for kind in SurveySchedule.MENTOR_KINDS:
        row, bar = _share_row(str(SurveySchedule.Kind(kind).label), *counts[kind])
        chart.rows.append(row)
        chart.bars.append(bar)
    chart.notes.append(_("Burnout: answer 3, 4 or 5 to the Mini-Z burnout question."))
    return chart


def _paired_learner_scores() -> list[tuple[Any, Any, Any, Any]]:
    """(belonging before, after, intent before, after) of each learner who sent both surveys of a term.

    Reads only the score columns (no one's answers, no JSON), one row per sent survey; pairing in Python is
    cheaper here than a correlated subquery per row. 1 query."""
    rows = SurveyResponse.objects.filter(
        invitation__completed_at__isnull=False,
        invitation__schedule__kind__in=[SurveySchedule.Kind.LEARNER_PRE, SurveySchedule.Kind.LEARNER_POST],
    ).values_list(
        "invitation__schedule__term_id",
        "invitation__user_id",
        "invitation__schedule__kind",
        "belonging",
        "intent",
    )
    pre: dict[tuple[int, int], tuple[Any, Any]] = {}
    post: dict[tuple[int, int], tuple[Any, Any]] = {}
    for term_id, user_id, kind, belonging, intent in rows:
        (pre if kind == SurveySchedule.Kind.LEARNER_PRE else post)[(term_id, user_id)] = (belonging, intent)
    return [
        (before[0], post[key][0], before[1], post[key][1])
        for key, before in sorted(pre.items())
        if key in post
    ]


def learner_change_chart() -> Chart:
    """Belonging and intent of the same learners before and after the term (pairs only); 1 query."""
    chart = Chart(
        "learner_change",
        _("Learners before and after the term (same people)"),
        _(
            "Belonging score (1 to 5) and share planning to apply to medical school, start versus end of term."
        ),
        ["measure", "pairs", "before", "after", "change", "ci95_low", "ci95_high"],
        unit="mixed",
    )
    pairs = _paired_learner_scores()
    before = [math.nan if p[0] is None else p[0] for p in pairs]
    after = [math.nan if p[1] is None else p[1] for p in pairs]
    complete = sum(1 for b, a in zip(before, after, strict=True) if not (math.isnan(b) or math.isnan(a)))
    if complete >= MIN_CELL:
        d = paired_difference(before, after)
        chart.rows.append(
            [
                _("Belonging (mean, 1-5)"),
                d.n,
                round(
                    float(
                        sum(
                            b
                            for b, a in zip(before, after, strict=True)
                            if not (math.isnan(b) or math.isnan(a))
                        )
                        / d.n
                    ),
                    2,
                ),
                round(
                    float(
                        sum(
                            a
                            for b, a in zip(before, after, strict=True)
                            if not (math.isnan(b) or math.isnan(a))
                        )
                        / d.n
                    ),
                    2,
                ),
                round(d.mean_difference, 2),
                round(d.low, 2),
                round(d.high, 2),
            ]
        )
    else:
        chart.rows.append([_("Belonging (mean, 1-5)"), HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN])
    intent_before = [p[2] for p in pairs]
    intent_after = [p[3] for p in pairs]
    both = [
        (b, a) for b, a in zip(intent_before, intent_after, strict=True) if b is not None and a is not None
    ]
    shown = False
    if len(both) >= MIN_CELL:
        yes_b = sum(1 for b, _a in both if b)
        yes_a = sum(1 for _b, a in both if a)
        _c1, ok_b = _share_cells(yes_b, len(both) - yes_b)
        _c2, ok_a = _share_cells(yes_a, len(both) - yes_a)
        if ok_b and ok_a:
            r = paired_proportions(intent_before, intent_after)
            chart.rows.append(
                [
                    _("Plan to apply (share)"),
                    r.n,
                    round(r.before * 100, 1),
                    round(r.after * 100, 1),
                    round(r.difference * 100, 1),
                    round(r.low * 100, 1),
                    round(r.high * 100, 1),
                ]
            )
            chart.bars += [
                Bar(_("Plan to apply, before"), r.before, text=_pct(r.before)),
                Bar(_("Plan to apply, after"), r.after, text=_pct(r.after)),
            ]
            shown = True
    if not shown:
        chart.rows.append([_("Plan to apply (share)"), HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN])
        chart.bars.append(Bar(_("Plan to apply"), None, text=_("hidden: fewer than 10 people")))
    chart.notes.append(_("Only learners who answered both surveys count. Not every measure improves."))
    return chart


def _month_starts(*, months: int, today: date) -> list[date]:
    first = today.replace(day=1)
    result = []
    for _month in range(months):
        result.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(result))


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _month_bounds(month_list: list[date]) -> list[datetime]:
    """Local midnights starting each month in ``month_list``, plus the start of the month after the last."""
    tz = timezone.get_default_timezone()
    after = (month_list[-1] + timedelta(days=32)).replace(day=1)
    return [
        timezone.make_aware(datetime.combine(day, datetime.min.time()), tz) for day in [*month_list, after]
    ]


def _month_index(field: str, bounds: list[datetime]) -> Case:
    """Which month a timestamp falls in, as plain comparisons with local month starts.

    Cheaper than ``TruncMonth``, which on SQLite calls back into Python for every row to convert time zones.
    """
    return Case(
        When(**{f"{field}__lt": bounds[0]}, then=Value(None)),
        *[When(**{f"{field}__lt": bounds[i + 1]}, then=Value(i)) for i in range(len(bounds) - 1)],
        default=Value(None),
        output_field=IntegerField(),
    )


@dataclass
class VisitMonths:
    """Completed and verified visits per program, site and month: what the acceptance and hours charts read."""

    month_list: list[date]
    rows: list[dict[str, Any]]


def visit_months(*, months: int = 12, now: datetime | None = None) -> VisitMonths:
    """One pass over the last ``months`` months of visits, shared by two charts; 1 query."""
    now = now or timezone.now()
    month_list = _month_starts(months=months, today=timezone.localdate(now))
    bounds = _month_bounds(month_list)
    completed = Q(status=Booking.Status.COMPLETED)
    verified = Q(verified_at__isnull=False)
    # No date condition in WHERE: SQLite then reads the visits once instead of probing every slot of the
    # year through the slot index (3-4 times slower); visits outside the months get no month and are dropped.
    rows = list(
        Booking.objects.filter(completed | verified)
        .annotate(month_index=_month_index("slot__starts_at", bounds))
        .values("slot__program__name", "slot__site__name", "month_index")
        .annotate(
            consented=Sum("patients_consented", filter=completed),
            declined=Sum("patients_declined", filter=completed),
            minutes=Sum("verified_minutes", filter=verified),
            learners=Count("learner", filter=verified, distinct=True),
        )
        .order_by("slot__program__name", "slot__site__name", "month_index")
    )
    return VisitMonths(month_list, [row for row in rows if row["month_index"] is not None])


def acceptance_chart(
    *, months: int = 12, now: datetime | None = None, visits: VisitMonths | None = None
) -> Chart:
    """Patients who agreed to a learner being present, by site and month, with intervals; 1 query."""
    visits = visits or visit_months(months=months, now=now)
    by_site: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in visits.rows:
        cell = by_site[(row["slot__site__name"], row["month_index"])]
        cell[0] += row["consented"] or 0
        cell[1] += row["declined"] or 0
    chart = Chart(
        "acceptance",
        _("Patients who agreed to a learner being present"),
        _("Agreed out of all patients asked, by clinic site and month, with 95% Wilson intervals."),
        ["site", "month", "patients", "agreed", "declined", "percent", "ci95_low", "ci95_high"],
    )
    for (site, index), (yes, no) in sorted(by_site.items()):
        if yes + no == 0:
            continue
        month = f"{visits.month_list[index]:%Y-%m}"
        line, bar = _share_row(f"{site} {month}", yes, no)
        chart.rows.append([site, month, *line[1:]])
        chart.bars.append(bar)
    return chart


def hours_chart(*, months: int = 12, now: datetime | None = None, visits: VisitMonths | None = None) -> Chart:
    """Verified hours per month by program and site; a group with under 10 learners is hidden; 1 query."""
    visits = visits or visit_months(months=months, now=now)
    chart = Chart(
        "hours",
        _("Verified shadowing hours per month"),
        _(
            "Hours mentors verified, by program, site and month. Groups with fewer than 10 learners are hidden."
        ),
        ["program", "site", "month", "learners", "hours"],
        unit="hours",
    )
    for row in visits.rows:
        if not row["learners"]:
            continue  # completed visits nobody has verified yet
        month = f"{visits.month_list[row['month_index']]:%Y-%m}"
        label = f"{row['slot__program__name']} · {row['slot__site__name']} · {month}"
        if row["learners"] < MIN_CELL:
            chart.rows.append([row["slot__program__name"], row["slot__site__name"], month, HIDDEN, HIDDEN])
            chart.bars.append(Bar(label, None, text=_("hidden: fewer than 10 people")))
            continue
        hours = round((row["minutes"] or 0) / 60, 1)
        chart.rows.append(
            [row["slot__program__name"], row["slot__site__name"], month, row["learners"], hours]
        )
        chart.bars.append(Bar(label, hours, text=f"{hours:g} h"))
    return chart


def grants_chart() -> Chart:
    """Grant dollars awarded in decided cycles by school and stage; small groups and their complements hidden."""
    rows = list(
        Application.objects.filter(cycle__status=GrantCycle.Status.DECIDED, award_amount__gt=0)
        .values("applicant__school__name", "applicant__stage")
        .annotate(people=Count("applicant", distinct=True), dollars=Sum("award_amount"))
        .order_by("applicant__school__name", "applicant__stage")
    )
    chart = Chart(
        "grants",
        _("Grant dollars awarded by school and stage"),
        _("Dollars awarded in decided grant cycles. Groups with fewer than 10 recipients are hidden."),
        ["school", "stage", "recipients", "dollars"],
        unit="dollars",
    )
    labels = [
        f"{r['applicant__school__name'] or _('No school given')} · {r['applicant__stage']}" for r in rows
    ]
    total_people = sum(r["people"] for r in rows)
    counts = {label: r["people"] for label, r in zip(labels, rows, strict=True)}
    shown = (
        suppress(counts, threshold=MIN_CELL, total=total_people)
        if total_people >= MIN_CELL
        else dict.fromkeys(counts)
    )
    for label, r in zip(labels, rows, strict=True):
        school = r["applicant__school__name"] or _("No school given")
        if shown[label] is None:
            chart.rows.append([school, r["applicant__stage"], HIDDEN, HIDDEN])
            chart.bars.append(Bar(label, None, text=_("hidden: fewer than 10 people")))
        else:
            chart.rows.append([school, r["applicant__stage"], r["people"], r["dollars"]])
            chart.bars.append(Bar(label, float(r["dollars"]), text=f"${r['dollars']:,}"))
    if total_people >= MIN_CELL:
        chart.rows.append([_("All schools"), "", total_people, sum(r["dollars"] or 0 for r in rows)])
    return chart


def response_rates_chart() -> Chart:
    """Invited and answered people per survey; 1 query."""
    rows = (
        SurveySchedule.objects.select_related("term__program")
        .annotate(
            invited=Count("invitations"),
            answered=Count("invitations", filter=Q(invitations__completed_at__isnull=False)),
        )
        .order_by("-opens_on", "kind")
    )
    chart = Chart(
        "response_rates",
        _("Survey response rates"),
        _("People who sent their survey, out of everyone invited."),
        ["survey", "invited", "answered", "not_answered", "percent", "ci95_low", "ci95_high"],
    )
    for schedule in rows:
        if not schedule.invited:
            continue
        label = f"{schedule.term} · {schedule.get_kind_display()}"
        line, bar = _share_row(label, schedule.answered, schedule.invited - schedule.answered)
        chart.rows.append(line)
        chart.bars.append(bar)
    return chart


def learning_chart() -> Chart | None:
    """Two-way learning: teaching moments by direction per month (people counted, small groups hidden)."""
    if not apps.is_installed("mentorfold.learning"):
        return None
    from mentorfold.learning.models import TeachingMoment

    rows = (
        TeachingMoment.objects.annotate(
            month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone())
        )
        .values("direction", "month")
        .annotate(moments=Count("pk"), mentors=Count("mentor", distinct=True))
        .order_by("month", "direction")
    )
    chart = Chart(
        "learning",
        _("Two-way learning"),
        _("Things mentors and learners said they learned from each other, per month."),
        ["direction", "month", "mentors", "moments"],
        unit="count",
    )
    labels = dict(TeachingMoment.Direction.choices)
    for row in rows:
        month = f"{_as_date(row['month']):%Y-%m}"
        label = f"{labels.get(row['direction'], row['direction'])} · {month}"
        if row["mentors"] < MIN_CELL:
            chart.rows.append([str(labels.get(row["direction"], row["direction"])), month, HIDDEN, HIDDEN])
            chart.bars.append(Bar(label, None, text=_("hidden: fewer than 10 people")))
        else:
            chart.rows.append(
                [str(labels.get(row["direction"], row["direction"])), month, row["mentors"], row["moments"]]
            )
            chart.bars.append(Bar(label, float(row["moments"]), text=str(row["moments"])))
    return chart


CHARTS = {
    "response_rates": response_rates_chart,
    "burnout": burnout_chart,
    "learner_change": learner_change_chart,
    "acceptance": acceptance_chart,
    "hours": hours_chart,
    "grants": grants_chart,
    "learning": learning_chart,
}


CACHE_SECONDS = 600


def build_charts(keys: list[str] | None = None) -> dict[str, Chart | None]:
    """The charts named (all by default), straight from the database; the two visit charts share one pass."""
    keys = list(CHARTS) if keys is None else keys
    visits = visit_months() if {"acceptance", "hours"} <= set(keys) else None
    shared = {
        "acceptance": partial(acceptance_chart, visits=visits),
        "hours": partial(hours_chart, visits=visits),
    }
    return {key: shared.get(key, CHARTS[key])() for key in keys}


def all_charts() -> list[Chart]:
    return [chart for chart in build_charts().values() if chart is not None]


def _cache_key(chart: str) -> str:
    return f"outcomes:chart:v2:{chart}"


def cached_charts(keys: list[str] | None = None) -> dict[str, Chart]:
    """Charts computed at most every 10 minutes, each kept whole under its own key: the page, its export and
    the PDF show the same numbers for a chart, and an export with a cold cache computes only its own chart."""
    from django.core.cache import cache

    keys = list(CHARTS) if keys is None else [k for k in keys if k in CHARTS]
    found = cache.get_many([_cache_key(k) for k in keys])
    missing = [k for k in keys if _cache_key(k) not in found]
    if missing:
        built = build_charts(missing)
        cache.set_many({_cache_key(k): chart for k, chart in built.items()}, CACHE_SECONDS)
        found.update({_cache_key(k): chart for k, chart in built.items()})
    return {k: chart for k in keys if (chart := found[_cache_key(k)]) is not None}


def forget_charts() -> None:
    """Drop the cached charts, so the next page shows a survey that was just sent (called after commit)."""
    from django.core.cache import cache

    cache.delete_many([_cache_key(k) for k in CHARTS])


def my_invitations(*, user: Any) -> list[SurveyInvitation]:
    """The person's own surveys, newest first, with their answers (their eyes only)."""
    return list(
        SurveyInvitation.objects.filter(user=user)
        .select_related("schedule__term__program", "response")
        .order_by("-schedule__opens_on")
    )


def public_impact() -> dict[str, Any]:
    """Headline numbers for the public page: each hidden when it rests on fewer than 10 people; 2 queries."""
    hours = Booking.objects.filter(verified_at__isnull=False).aggregate(
        minutes=Sum("verified_minutes"),
        learners=Count("learner", distinct=True),
        mentors=Count("slot__mentor", distinct=True),
    )
    patients = Booking.objects.filter(status=Booking.Status.COMPLETED).aggregate(
        yes=Sum("patients_consented"), no=Sum("patients_declined")
    )
    learners, mentors = hours["learners"] or 0, hours["mentors"] or 0
    yes, no = patients["yes"] or 0, patients["no"] or 0
    cells, visible = _share_cells(yes, no)
    share = proportion(yes, yes + no) if visible and yes + no else None
    return {
        "learners": learners if learners >= MIN_CELL else None,
        "mentors": mentors if mentors >= MIN_CELL else None,
        "hours": round((hours["minutes"] or 0) / 60) if learners >= MIN_CELL else None,
        "acceptance": share,
    }
