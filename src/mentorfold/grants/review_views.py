"""Grant pages for reviewers: assigned applications, blind scoring, conflicts and declarations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import review as reviews
from . import selectors
from .forms import (
    ConflictDiscoveredForm,
    DeclarationForm,
    PageForm,
    ReviewForm,
)
from .models import (
    GrantCycle,
    Review,
    ReviewerDeclaration,
)
from .views import _errors, _form_errors

# --------------------------------------------------------------------------- reviewer


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """The reviewer's assigned applications, a page at a time, with counts aggregated in the database."""
    if not reviews.is_reviewer(request.user):
        raise PermissionDenied
    form = PageForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Page: use a whole number from 1."))
    page = Paginator(selectors.reviewer_assignments(request.user), selectors.REVIEWS_PER_PAGE).get_page(
        form.cleaned_data["page"]
    )
    counts = selectors.reviewer_open_counts(request.user)
    cycles = GrantCycle.objects.exclude(status=GrantCycle.Status.DRAFT).exclude(
        status=GrantCycle.Status.DECIDED
    )
    return render(
        request,
        "grants/review_list.html",
        {"page": page, "open_total": counts["assigned"], "done": counts["done"], "cycles": cycles},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_application(request: HttpRequest, pk: int) -> HttpResponse:
    """One assigned application: the reviewer sees only their own review (never other reviewers' scores)."""
    if not reviews.is_reviewer(request.user):
        raise Http404
    application = selectors.application_for_reviewer(request.user, pk)
    if application is None:
        raise Http404
    cycle = application.cycle
    review = Review.objects.filter(application=application, reviewer=request.user).first()
    initial: dict[str, Any] = {}
    if review:
        initial.update({f"score_{k}": str(v) for k, v in review.scores.items()})
        initial.update({f"comment_{k}": v for k, v in review.comments.items()})
    closed = cycle.is_frozen
    form = ReviewForm(request.POST or None, cycle=cycle, initial=initial, submitting="submit" in request.POST)
    if request.method == "POST" and closed:
        messages.error(request, _("Reviews for this cycle are closed: the decision is frozen."))
    elif request.method == "POST" and form.is_valid():
        try:
            reviews.review_save(
                application=application,
                reviewer=request.user,
                scores=form.scores(),
                comments=form.comments(),
                submit="submit" in request.POST,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your review is submitted.")
                if "submit" in request.POST
                else _("Your draft review is saved."),
            )
            return redirect("grants:review_list")
    return render(
        request,
        "grants/review_application.html",
        {
            "application": application,
            "cycle": cycle,
            "form": form,
            "review": review,
            "closed": closed,
            "blind": cycle.blind_review,
            "attachments": [] if cycle.blind_review else application.attachments.all(),
        },
    )


@login_required
@require_POST
def review_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    if not reviews.is_reviewer(request.user):
        raise Http404
    application = selectors.application_for_reviewer(request.user, pk)
    if application is None:
        raise Http404
    form = ConflictDiscoveredForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("grants:review_application", pk)
    try:
        reviews.review_conflict_discovered(
            application=application, reviewer=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("grants:review_application", pk)
    messages.success(request, _("Thank you. This application is no longer assigned to you."))
    return redirect("grants:review_list")


@login_required
@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    if not reviews.is_reviewer(request.user):
        raise PermissionDenied
    cycle = get_object_or_404(GrantCycle.objects.exclude(status=GrantCycle.Status.DRAFT), pk=cycle_pk)
    instance = ReviewerDeclaration.objects.filter(cycle=cycle, reviewer=request.user).first()
    form = DeclarationForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.declaration_save(
                cycle=cycle,
                reviewer=request.user,
                known_people=form.cleaned_data["known_people"],
                mailing_address=form.cleaned_data["mailing_address"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Thank you. Your declaration is saved."))
            return redirect("grants:review_list")
    return render(request, "grants/declaration.html", {"cycle": cycle, "form": form})
