"""Matching pages. Thin: check permission, call a selector or service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mentorfold.accounts.models import LearnerProfile, MentorProfile
from mentorfold.core.models import Notice
from mentorfold.core.notices import notices_mark_read
from mentorfold.core.redirects import safe_next
from mentorfold.core.spreadsheets import rows_to_csv, rows_to_xlsx
from mentorfold.programs.models import Term

from . import ranking_choices, run_tables, selectors, services
from .forms import (
    CompareRunsForm,
    MatchRunForm,
    MatchSettingsForm,
    MentorDecisionForm,
    MentorFilterForm,
    MentorshipActionForm,
    PlacementForm,
    PublishForm,
    RankingActionForm,
    RunDiffForm,
    RunTableForm,
)
from .models import MatchRun, Mentorship


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _form_errors(form: Any) -> list[str]:
    """Each error as 'Field: problem' so the person knows what to fix."""
    out = []
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        out.extend(f"{label}: {e}" if label else str(e) for e in errs)
    return out


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where matching starts for each role: terms to rank, requests to answer, runs to manage."""
    user = request.user
    context: dict[str, Any] = {}
    learner = getattr(user, "learner_profile", None) if user.has_role("learner") else None
    mentor = getattr(user, "mentor_profile", None) if user.has_role("mentor") else None
    if learner is not None:
        context["enrollments"] = selectors.open_terms_for_learner(learner)
        context["my_mentorships"] = selectors.mentorships_of_learner(learner)
    if mentor is not None:
        context["mentor_terms"] = selectors.mentor_terms(mentor)
        context["mentees"] = selectors.mentorships_of_mentor(mentor)
    if user.has_role("coordinator"):
        context["terms"] = list(Term.objects.select_related("program").exclude(status=Term.Status.DRAFT))
        context["quiet"] = selectors.quiet_mentorships()
    context["notices"] = list(Notice.objects.filter(user=user)[:10])
    notices_mark_read(user=user)
    return render(request, "matching/home.html", context)


def _learner_and_term(request: HttpRequest, term_pk: int) -> tuple[LearnerProfile, Term]:
    _require(request, "matching.rank_mentors")
    learner = getattr(request.user, "learner_profile", None)
    term = get_object_or_404(Term.objects.select_related("program"), pk=term_pk)
    if learner is None or selectors.accepted_enrollment(learner=learner, term=term) is None:
        raise Http404
    return learner, term


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, term_pk: int) -> HttpResponse:
    """A learner browses eligible mentors and keeps an ordered list (buttons work without JavaScript)."""
    learner, term = _learner_and_term(request, term_pk)
    errors: list[str] = []
    status = 200
    focus: tuple[int, str] | None = None
    if request.method == "POST":
        form = RankingActionForm(request.POST)
        if not form.is_valid():
            errors = _form_errors(form)
            status = 400
        else:
            data = form.cleaned_data
            try:
                if data["action"] == "order":
                    services.preferences_save(learner=learner, term=term, mentor_ids=data["order"])
                elif data["action"] == "add":
                    services.preference_add(learner=learner, term=term, mentor_id=data["mentor"])
                else:
                    services.preference_move(
                        learner=learner, term=term, mentor_id=data["mentor"], action=data["action"]
                    )
                focus = (data["mentor"] or 0, data["action"])
            except ValidationError as exc:
                errors = _errors(exc)
        if not request.htmx and not errors:
            return redirect(reverse("matching:preferences", args=[term.pk]) + _query(request.GET))
    ranked = selectors.rankings(learner=learner, term=term)
    # Filters travel in the query string, also on the list's htmx posts, so both lists re-render alike.
    filter_form = MentorFilterForm(request.GET)
    filters = filter_form.filters()
    context: dict[str, Any] = {
        "term": term,
        "ranked": ranked,
        "errors": errors,
        "is_open": services.preferences_are_open(term),
        "max": term.max_preferences,
        "filters": filters,
        "filter_form": filter_form,
        "post_url": reverse("matching:preferences", args=[term.pk])
        + _query({**filters, "page": filter_form.page_number() if filter_form.page_number() > 1 else None}),
        **_focus_target([p.mentor_id for p in ranked], focus),
    }
    if context["is_open"]:
        context.update(
            _mentor_choices(
                learner=learner, term=term, filters=filters, ranked=ranked, page=filter_form.page_number()
            )
        )
        context["page_links"] = _page_links(filters, context.get("page_obj"))
    if request.htmx and request.method == "POST":
        context["oob"] = True
        return render(request, "matching/_ranking_update.html", context, status=status)
    return render(request, "matching/preferences.html", context, status=status)


def _query(values: Any) -> str:
    """``?language=es&fits_schedule=1`` from the filters that are set, or ``""``."""
    keep = {
        k: ("1" if v is True else v)
        for k, v in dict(values).items()
        if v and k in MentorFilterForm.base_fields
    }
    return "?" + urlencode(keep) if keep else ""


def _focus_target(ids: list[int], focus: tuple[int, str] | None) -> dict[str, Any]:
    """Which button keeps the keyboard focus after the list re-renders: the moved mentor's, or the list."""
    if focus is None:
        return {"focus_mentor": None, "focus_button": "", "focus_list": False}
    mentor_id, action = focus
    if mentor_id not in ids:  # removed (or the whole order changed): the list itself takes the focus
        return {"focus_mentor": None, "focus_button": "", "focus_list": action in {"remove", "order"}}
    i, last = ids.index(mentor_id), len(ids) - 1
    prefer = {"up": ["up", "down"], "down": ["down", "up"], "add": ["up", "down"]}.get(action, [])
    for button in [*prefer, "remove"]:
        if (button == "up" and i > 0) or (button == "down" and i < last) or button == "remove":
            return {"focus_mentor": mentor_id, "focus_button": button, "focus_list": False}
    return {"focus_mentor": None, "focus_button": "", "focus_list": True}


def _half_day_labels(codes: list[str]) -> list[str]:
    """``["mon-am"]`` → ``["Monday morning"]`` in the page's language."""
    from mentorfold.accounts.models import WEEKDAY_CHOICES

    days = dict(WEEKDAY_CHOICES)
    parts = {"am": _("morning"), "pm": _("afternoon")}
    out = []
    for code in codes or []:
        day, _sep, part = str(code).partition("-")
        if day in days and part in parts:
            out.append(_("%(day)s %(part)s") % {"day": days[day], "part": parts[part]})
    return out


MENTORS_PER_PAGE = 24


def _mentor_choices(
    *, learner: LearnerProfile, term: Term, filters: dict[str, Any], ranked: list[Any], page: int = 1
) -> dict[str, Any]:
    """Mentors the learner may still add, one page at a time, and the true reason when there are none.

    A large society has thousands of eligible mentors; the page shows a screenful and the filters narrow it.
    """
    from mentorfold.programs import compliance

    choices = ranking_choices.mentor_choice_page(
        learner=learner,
        term=term,
        exclude=[p.mentor_id for p in ranked],
        page=page,
        per_page=MENTORS_PER_PAGE,
        **filters,
    )
    page_obj = choices.page_obj
    # Full profiles only for the screenful shown, not for every eligible mentor.
    shown = selectors.eligible_mentor_details(choices.rows)
    mentors = [{"e": e, "half_days": _half_day_labels(e.opt_in.availability)} for e in shown]
    empty_reason = ""
    if not mentors:
        if any(filters.values()):
            empty_reason = "filters"
        elif choices.any_eligible:
            empty_reason = "all_ranked"
        elif compliance.learner_blockers(learner, program=term.program):
            empty_reason = "requirements"
        else:
            empty_reason = "none_open"
    return {"mentors": mentors, "empty_reason": empty_reason, "page_obj": page_obj}


def _page_links(filters: dict[str, Any], page_obj: Any) -> dict[str, str]:
    """Previous/next links of the mentor list that keep the filters."""
    if page_obj is None or page_obj.paginator.num_pages < 2:
        return {}
    links = {}
    if page_obj.has_previous():
        links["previous"] = _query({**filters, "page": page_obj.previous_page_number()})
    if page_obj.has_next():
        links["next"] = _query({**filters, "page": page_obj.next_page_number()})
    return links


@login_required
def my_match(request: HttpRequest, term_pk: int) -> HttpResponse:
    """The learner's own published result and its explanation (no other learner is ever named)."""
    learner, term = _learner_and_term(request, term_pk)
    assignment = selectors.published_assignment(learner=learner, term=term)
    mentorship = (
        Mentorship.objects.filter(term=term, learner=learner, status__in=services.CURRENT)
        .select_related("mentor__user", "site")
        .first()
    )
    lines = selectors.explanation(assignment) if assignment is not None else []
    return render(
        request,
        "matching/my_match.html",
        {"term": term, "assignment": assignment, "mentorship": mentorship, "lines": lines},
    )


def _mentor(request: HttpRequest) -> MentorProfile:
    _require(request, "matching.answer_requests")
    mentor = getattr(request.user, "mentor_profile", None)
    if mentor is None:
        raise PermissionDenied
    return mentor


@login_required
@require_http_methods(["GET", "POST"])
def mentor_requests(request: HttpRequest, term_pk: int) -> HttpResponse:
    """Learners who ranked this mentor; the mentor marks each acceptable or not and may rank them."""
    mentor = _mentor(request)
    term = get_object_or_404(Term, pk=term_pk)
    if request.method == "POST":
        form = MentorDecisionForm(request.POST, term=term, mentor=mentor)
        if not form.is_valid():
            for m in _form_errors(form):
                messages.error(request, m)
            return redirect("matching:mentor_requests", term_pk=term.pk)
        try:
            services.mentor_decision_set(
                mentor=mentor,
                learner=form.cleaned_data["learner"],
                term=term,
                acceptable=form.cleaned_data["acceptable"],
                rank=form.cleaned_data["rank"],
            )
            messages.success(request, _("Saved."))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
        return redirect("matching:mentor_requests", term_pk=term.pk)
    rows = selectors.mentor_requests(mentor=mentor, term=term)
    return render(
        request,
        "matching/mentor_requests.html",
        {"term": term, "rows": rows, "is_open": services.preferences_are_open(term)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest, term_pk: int) -> HttpResponse:
    """Coordinator: start a run, list runs, compare them, edit the score weights."""
    _require(request, "matching.manage")
    term = get_object_or_404(Term.objects.select_related("program"), pk=term_pk)
    form = MatchRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.match_run_create(
                term=term,
                method=form.cleaned_data["method"],
                seed=form.cleaned_data["seed"],
                user=request.user,
            )
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
            return redirect("matching:runs", term_pk=term.pk)
        return redirect("matching:run_detail", pk=run.pk)
    all_runs = list(selectors.runs_for(term)[:20])
    compare_form = CompareRunsForm(request.GET, runs=all_runs)
    picked = compare_form.cleaned_data["compare"] if compare_form.is_valid() else []
    compared = [r for r in all_runs if r.pk in picked and r.stats] or [r for r in all_runs if r.stats][:3]
    return render(
        request,
        "matching/runs.html",
        {
            "term": term,
            "form": form,
            "runs": all_runs,
            "compared": compared,
            "compare_form": compare_form,
            "chart": selectors.histogram_svg(compared) if compared else None,
            "settings_form": MatchSettingsForm(instance=services.settings_for(term)),
        },
    )


@login_required
@require_POST
def settings_update(request: HttpRequest, term_pk: int) -> HttpResponse:
    _require(request, "matching.manage")
    term = get_object_or_404(Term, pk=term_pk)
    form = MatchSettingsForm(request.POST, instance=services.settings_for(term))
    if form.is_valid():
        try:
            services.match_settings_update(
                term=term, user=request.user, values={k: form.cleaned_data[k] for k in form.fields}
            )
            messages.success(request, _("Matching settings saved."))
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
    else:
        for field, errs in form.errors.items():
            for e in errs:
                messages.error(request, f"{form.fields[field].label}: {e}" if field in form.fields else e)
    return redirect("matching:runs", term_pk=term.pk)


def _run(request: HttpRequest, pk: int) -> MatchRun:
    _require(request, "matching.manage")
    try:
        return selectors.run_detail(pk)
    except MatchRun.DoesNotExist:
        raise Http404 from None


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: progress, numbers, certificate, every pair and every unmatched learner, a diff, publish."""
    run = _run(request, pk)
    table = RunTableForm(request.GET)
    opts = table.values()
    if opts["export"] and run.stats:
        return _export(run, opts["export"])
    context: dict[str, Any] = {"run": run, "term": run.term, "table": table, "opts": opts}
    if run.task_run_id:
        from mentorfold.core.models import TaskRun

        context["task_run"] = TaskRun.objects.filter(pk=run.task_run_id).first()
    if run.publish_task_run_id:
        from mentorfold.core.models import TaskRun

        tasks = {
            t.pk: t for t in TaskRun.objects.filter(pk__in=[run.publish_task_run_id, run.mail_task_run_id])
        }
        context["publish_task_run"] = tasks.get(run.publish_task_run_id)
        context["mail_task_run"] = tasks.get(run.mail_task_run_id)
        context["can_retry_publication"] = services.publication_can_retry(run)
    if run.stats:
        context["chart"] = selectors.histogram_svg([run])
        context["pairs"] = run_tables.matched_pairs(run, q=opts["q"], sort=opts["sort"], page=opts["page"])
        context["unmatched"] = run_tables.unmatched_learners(
            run, q=opts["q"], sort=opts["sort"], page=opts["upage"]
        )
        context["reasons"] = run_tables.unmatched_reasons(run)
        diff_form = RunDiffForm(request.GET, run=run)
        context["diff_form"] = diff_form
        against = diff_form.cleaned_data["against"] if diff_form.is_valid() else None
        if against is not None:
            context["diff"] = run_tables.run_diff(run, against)
        keep = {"q": opts["q"], "sort": opts["sort"], "against": against.pk if against else ""}
        links = _table_links(keep, opts, context["pairs"], context["unmatched"])
        context["links"] = links
        context["sort_columns"] = [
            {"key": key, "label": label, "href": links["sort"][key]}
            for key, label in (
                ("learner", _("Learner")),
                ("mentor", _("Mentor")),
                ("site", _("Clinic")),
                ("rank", _("Rank received")),
                ("score", _("Score")),
            )
        ]
        if "diff" in context:
            diff = context["diff"]
            context["diff_sections"] = [
                (_("Mentor changed"), diff.changed, diff.changed_count),
                (_("Matched only in this run"), diff.added, diff.added_count),
                (_("Matched only in the other run"), diff.removed, diff.removed_count),
            ]
    if run.status == MatchRun.Status.PUBLISHED:
        context["waiting"] = selectors.learners_without_mentor(run.term)
        context["placement_form"] = PlacementForm(term=run.term, learners=context["waiting"])
    return render(request, "matching/run_detail.html", context)


def _table_links(keep: dict[str, Any], opts: dict[str, Any], pairs: Any, unmatched: Any) -> dict[str, Any]:
    """Query strings for sort headers, pages and exports that keep the search and the compared run."""

    def link(**changes: Any) -> str:
        params = {**keep, "page": opts["page"], "upage": opts["upage"], **changes}
        return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None, 1)})

    current = opts["sort"]
    sort = {
        key: link(sort=f"-{key}" if current == key else key, page=1, upage=1)
        for key in ("learner", "mentor", "site", "rank", "score", "reason")
    }
    return {
        "sort": sort,
        "sorted_by": current.removeprefix("-"),
        "descending": current.startswith("-"),
        "prev": link(page=pairs.previous_page_number()) if pairs.has_previous() else "",
        "next": link(page=pairs.next_page_number()) if pairs.has_next() else "",
        "uprev": link(upage=unmatched.previous_page_number()) if unmatched.has_previous() else "",
        "unext": link(upage=unmatched.next_page_number()) if unmatched.has_next() else "",
        "csv": link(export="csv", page=1, upage=1),
        "xlsx": link(export="xlsx", page=1, upage=1),
    }


def _export(run: MatchRun, kind: str) -> HttpResponse:
    """Every learner of the run as CSV or XLSX; formulas in names are neutralised by core.spreadsheets."""
    rows = run_tables.export_rows(run)
    name = f"match-run-{run.pk}"
    if kind == "xlsx":
        response = HttpResponse(
            rows_to_xlsx(rows, title=name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            ("\ufeff" + rows_to_csv(rows)).encode(), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def run_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (what will happen, to how many people), then publish as a background task."""
    run = _run(request, pk)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.match_run_publish_start(match_run=run, user=request.user)
            messages.success(
                request, _("Publishing started. The mentorships appear and e-mails go out in the background.")
            )
            return redirect("matching:run_detail", pk=run.pk)
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
            return redirect("matching:run_detail", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "matching/publish_confirm.html",
        {
            "run": run,
            "term": run.term,
            "form": form,
            "counts": selectors.publication_counts(run),
            "can_publish": run.status == MatchRun.Status.SUCCEEDED or services.publication_can_retry(run),
        },
        status=status,
    )


@login_required
@require_POST
def place(request: HttpRequest, term_pk: int) -> HttpResponse:
    """Manual placement of a learner who is still waiting; needs a reason and is audited."""
    _require(request, "matching.manage")
    term = get_object_or_404(Term, pk=term_pk)
    waiting = selectors.learners_without_mentor(term)
    form = PlacementForm(request.POST, term=term, learners=waiting)
    back = safe_next(request, reverse("matching:runs", args=[term.pk]))
    if form.is_valid():
        try:
            services.mentorship_place_manually(
                term=term,
                learner=form.cleaned_data["learner"],
                mentor=form.cleaned_data["mentor"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Learner placed."))
        except ValidationError as exc:
            for m in _errors(exc):
                messages.error(request, m)
    else:
        for field, errs in form.errors.items():
            for e in errs:
                messages.error(request, f"{form.fields[field].label}: {e}" if field in form.fields else e)
    return redirect(back)


def _mentorship(request: HttpRequest, pk: int) -> Mentorship:
    mentorship = get_object_or_404(
        Mentorship.objects.select_related("mentor__user", "learner__user", "term__program", "site"), pk=pk
    )
    if not request.user.has_perm("matching.view_mentorship", mentorship):
        raise Http404
    return mentorship


@login_required
@require_http_methods(["GET", "POST"])
def mentorship(request: HttpRequest, pk: int) -> HttpResponse:
    """A mentorship: both people, goals, status; the learner sees why; the mentor may decline in time."""
    m = _mentorship(request, pk)
    user = request.user
    if request.method == "POST":
        form = MentorshipActionForm(request.POST)
        if not form.is_valid():
            for msg in _form_errors(form):
                messages.error(request, msg)
            return redirect("matching:mentorship", pk=m.pk)
        action, data = form.cleaned_data["action"], form.cleaned_data
        try:
            if action == "decline":
                _require(request, "matching.decline_mentorship", m)
                services.mentorship_decline(mentorship=m, user=user, reason=data["reason"])
                messages.success(request, _("You declined this match. The coordinator has been told."))
            elif action == "goals":
                _require(request, "matching.set_goals", m)
                services.mentorship_update(mentorship=m, user=user, goals=data["goals"])
                messages.success(request, _("Goals saved."))
            else:
                _require(request, "matching.update_mentorship", m)
                services.mentorship_update(
                    mentorship=m, user=user, status=data["status"], reason=data["reason"]
                )
                messages.success(request, _("Status saved."))
        except ValidationError as exc:
            for msg in _errors(exc):
                messages.error(request, msg)
        return redirect("matching:mentorship", pk=m.pk)
    is_learner = m.learner.user_id == user.pk
    assignment = None
    if is_learner and m.match_run_id:
        assignment = m.match_run.assignments.filter(learner=m.learner).select_related("run").first()
    deadline = services.decline_deadline(m)
    return render(
        request,
        "matching/mentorship.html",
        {
            "m": m,
            "is_learner": is_learner,
            "is_mentor": m.mentor.user_id == user.pk,
            "can_update": user.has_perm("matching.update_mentorship", m),
            "lines": selectors.explanation(assignment) if assignment else [],
            "decline_deadline": deadline,
            "can_decline": m.mentor.user_id == user.pk
            and m.status == Mentorship.Status.ACTIVE
            and timezone.now() <= deadline,
            "statuses": [
                (v, label) for v, label in Mentorship.Status.choices if v != Mentorship.Status.DECLINED
            ],
        },
    )
