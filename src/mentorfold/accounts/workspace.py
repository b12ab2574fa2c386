"""The coordinator's people workspace: mentors list and onboarding checklist, learner actions.

Thin views: every request value goes through a form in ``workspace_forms``, writes go through the services
in ``onboarding`` (and ``programs.services`` for application decisions), and each page has a fixed number of
queries however many mentors or bookings there are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mentorfold.core.models import AuditEvent
from mentorfold.matching.models import Mentorship
from mentorfold.programs import compliance
from mentorfold.programs import services as program_services
from mentorfold.programs.models import Enrollment, Requirement, RequirementRecord, Site
from mentorfold.shadowing.models import Booking
from mentorfold.shadowing.selectors import hours

from . import onboarding
from .models import (
    GuardianLink,
    LearnerProfile,
    MentorProfile,
    mentor_cleared_for_minors_q,
    mentor_cleared_q,
)
from .workspace_forms import (
    ActivateForm,
    BackgroundCheckForm,
    DeactivateForm,
    EnrollmentDecisionForm,
    GuardianResendForm,
    LicenceForm,
    MentorFilterForm,
    OrientationForm,
    SitesForm,
)

MENTORS_PER_PAGE = 25
EXPIRY_WARNING_DAYS = 60


def _require_coordinator(request: HttpRequest) -> None:
    if not request.user.has_perm("accounts.manage_people"):
        raise PermissionDenied


# --- Mentors ------------------------------------------------------------------------------------------------


def mentor_queryset(filters: dict[str, Any]) -> QuerySet[MentorProfile]:
    """Mentors matching the list filters, with everything the list shows joined or prefetched."""
    qs = (
        MentorProfile.objects.select_related("user", "organization")
        .prefetch_related("languages", Prefetch("sites", queryset=Site.objects.order_by("name")))
        .order_by("user__full_name", "pk")
    )
    if search := filters.get("q"):
        qs = qs.filter(Q(user__full_name__icontains=search) | Q(user__email__icontains=search))
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if specialty := filters.get("specialty"):
        qs = qs.filter(specialty__icontains=specialty)
    if language := filters.get("language"):
        qs = qs.filter(languages=language)
    if site := filters.get("site"):
        qs = qs.filter(sites=site)
    if accepting := filters.get("accepting"):
        taking = MentorProfile.objects.accepting(timezone.localdate()).values("pk")
        qs = qs.filter(pk__in=taking) if accepting == "yes" else qs.exclude(pk__in=taking)
    today = timezone.localdate()
    clearance = filters.get("clearance")
    if clearance == "cleared":
        qs = qs.filter(mentor_cleared_q())
    elif clearance == "not_cleared":
        qs = qs.exclude(mentor_cleared_q())
    elif clearance == "minors":
        qs = qs.filter(mentor_cleared_for_minors_q(today))
    elif clearance == "expiring":
        qs = qs.filter(
            background_check_expires_on__gte=today,
            background_check_expires_on__lte=today + timedelta(days=EXPIRY_WARNING_DAYS),
        )
    return qs.distinct() if filters.get("language") or filters.get("site") else qs


@login_required
@require_GET
def mentor_list(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    form = MentorFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(mentor_queryset(filters), MENTORS_PER_PAGE).get_page(
        form.cleaned_data.get("page") if hasattr(form, "cleaned_data") else None
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/workspace/mentor_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "today": timezone.localdate()},
    )


def _mentor(pk: int) -> MentorProfile:
    return get_object_or_404(
        MentorProfile.objects.select_related("user", "organization").prefetch_related("languages", "sites"),
        pk=pk,
    )


def _mentor_forms(mentor: MentorProfile, data: Any = None, step: str = "") -> dict[str, forms.Form]:
    today = timezone.localdate()
    initial = {
        "orientation": {"completed_on": mentor.orientation_completed_on or today},
        "licence": {
            "state": mentor.licence_state,
            "number": mentor.licence_number,
            "verified_on": mentor.licence_verified_on or today,
        },
        "background_check": {
            "verified_on": mentor.background_check_verified_on or today,
            "expires_on": mentor.background_check_expires_on,
        },
        "sites": {"sites": list(mentor.sites.all())},
    }
    classes: dict[str, type[forms.Form]] = {
        "orientation": OrientationForm,
        "licence": LicenceForm,
        "background_check": BackgroundCheckForm,
        "sites": SitesForm,
        "activate": ActivateForm,
        "deactivate": DeactivateForm,
    }
    return {
        name: cls(data if name == step else None, initial=initial.get(name), prefix=name)
        for name, cls in classes.items()
    }


def _render_mentor(
    request: HttpRequest, mentor: MentorProfile, step_forms: dict[str, forms.Form]
) -> HttpResponse:
    events = AuditEvent.objects.filter(
        target_type="accounts.mentorprofile", target_id=str(mentor.pk)
    ).select_related("actor")[:20]
    today = timezone.localdate()
    return render(
        request,
        "accounts/workspace/mentor_detail.html",
        {
            "mentor": mentor,
            "forms": step_forms,
            "events": events,
            "today": today,
            "is_accepting": mentor.is_accepting_on(today),
            "has_background_check": mentor.has_background_check_on(today),
        },
        status=400 if any(f.is_bound and f.errors for f in step_forms.values()) else 200,
    )


@login_required
@require_GET
def mentor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_coordinator(request)
    mentor = _mentor(pk)
    return _render_mentor(request, mentor, _mentor_forms(mentor))


def _step_call(step: str, mentor: MentorProfile, actor: Any, data: dict[str, Any]) -> MentorProfile:
    actions: dict[str, Callable[[], MentorProfile]] = {
        "orientation": lambda: onboarding.mentor_record_orientation(
            mentor=mentor, actor=actor, completed_on=data["completed_on"]
        ),
        "licence": lambda: onboarding.mentor_verify_licence(
            mentor=mentor,
            actor=actor,
            state=data["state"],
            number=data["number"],
            verified_on=data["verified_on"],
        ),
        "background_check": lambda: onboarding.mentor_verify_background_check(
            mentor=mentor, actor=actor, verified_on=data["verified_on"], expires_on=data["expires_on"]
        ),
        "sites": lambda: onboarding.mentor_set_sites(mentor=mentor, actor=actor, sites=list(data["sites"])),
        "activate": lambda: onboarding.mentor_activate(mentor=mentor, actor=actor),
        "deactivate": lambda: onboarding.mentor_deactivate(mentor=mentor, actor=actor, reason=data["reason"]),
    }
    return actions[step]()


STEP_DONE = {
    "orientation": gettext_lazy("Orientation recorded."),
    "licence": gettext_lazy("Licence verified."),
    "background_check": gettext_lazy("Background check recorded."),
    "sites": gettext_lazy("Clinic sites saved."),
    "activate": gettext_lazy("Mentor activated: they can now publish slots and be matched."),
    "deactivate": gettext_lazy("Mentor deactivated."),
}


@login_required
@require_POST
def mentor_onboarding_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    _require_coordinator(request)
    if step not in STEP_DONE:
        raise Http404
    mentor = _mentor(pk)
    step_forms = _mentor_forms(mentor, request.POST, step)
    form = step_forms[step]
    if form.is_valid():
        try:
            _step_call(step, mentor, request.user, form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, str(STEP_DONE[step]))
            return redirect("workspace_mentor_detail", pk=mentor.pk)
    return _render_mentor(request, mentor, step_forms)


# --- Learners -------------------------------------------------------------------------------------------------


def learner_panels(
    learner: LearnerProfile, *, decision_form: Any = None, resend_form: Any = None
) -> dict[str, Any]:
    """Programs, requirements, match, bookings, hours and guardians of one learner, in a fixed number of queries."""
    enrollments = list(
        Enrollment.objects.filter(learner=learner)
        .select_related("term__program", "decided_by")
        .order_by("-created_at")
    )
    records = list(
        RequirementRecord.objects.filter(person_id=learner.user_id)
        .select_related("requirement__program", "requirement__site")
        .order_by("-submitted_at", "-pk")[:50]
    )
    mentorships = list(
        Mentorship.objects.filter(learner=learner)
        .select_related("mentor__user", "term__program", "site")
        .order_by("-created_at")
    )
    bookings = list(
        Booking.objects.filter(learner=learner)
        .select_related("slot__mentor__user", "slot__site", "slot__program")
        .order_by("-slot__starts_at")[:50]
    )
    verified = (
        Booking.objects.filter(learner=learner, verified_at__isnull=False).aggregate(
            total=Sum("verified_minutes")
        )["total"]
        or 0
    )
    links = list(learner.guardian_links.select_related("guardian", "invitation").order_by("created_at"))
    return {
        **_enrollment_panels(enrollments),
        "records": records,
        "still_to_do": _still_to_do(learner, enrollments),
        "mentorships": mentorships,
        "bookings": bookings,
        "verified_hours": hours(verified),
        "workspace_guardian_links": links,
        "decision_form": decision_form or EnrollmentDecisionForm(learner=learner, prefix="decide"),
        "resend_form_for": {link.pk for link in links if link.status == GuardianLink.Status.INVITED},
        "resend_form": resend_form,
    }


def _enrollment_panels(enrollments: list[Enrollment]) -> dict[str, Any]:
    return {
        "enrollments": enrollments,
        "open_enrollments": [
            e for e in enrollments if e.status in {Enrollment.Status.APPLIED, Enrollment.Status.WAITLISTED}
        ],
    }


def _still_to_do(learner: LearnerProfile, enrollments: list[Enrollment]) -> list[tuple[str, str]]:
    """Program requirements of current accepted terms the learner has not met yet (two queries)."""
    today = timezone.localdate()
    program_ids = {
        e.term.program_id
        for e in enrollments
        if e.status == Enrollment.Status.ACCEPTED and e.term.ends_on >= today
    }
    if not program_ids:
        return []
    requirements = Requirement.objects.filter(
        program_id__in=program_ids, applies_to=Requirement.AppliesTo.LEARNER
    ).select_related("program")
    if learner.age_on(today) >= 18:
        requirements = requirements.exclude(minors_only=True)
    requirements = list(requirements.order_by("program__name", "name"))
    # Objects, not ids: with ids a shared approved record costs one more query.
    latest = compliance.latest_record_states([learner.user_id], requirements)
    out = []
    for requirement in requirements:
        blocker = compliance.record_blocker(requirement, latest.get((learner.user_id, requirement.pk)), today)
        if blocker is not None:
            assert requirement.program is not None
            out.append((requirement.program.name, blocker.message))
    return out


def _coordinator_learner(request: HttpRequest, pk: int) -> LearnerProfile:
    _require_coordinator(request)
    return get_object_or_404(LearnerProfile.objects.select_related("user", "school"), pk=pk)


def _render_learner(request: HttpRequest, learner: LearnerProfile, **panel_forms: Any) -> HttpResponse:
    context = {
        "learner": learner,
        "show_private": True,
        "guardian_links": learner.guardian_links.all(),
        **learner_panels(learner, **panel_forms),
    }
    return render(request, "accounts/learner_detail.html", context, status=400)


@login_required
@require_POST
def learner_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, waitlist or decline one of the learner's applications (the programs service decides)."""
    learner = _coordinator_learner(request, pk)
    form = EnrollmentDecisionForm(request.POST, learner=learner, prefix="decide")
    if form.is_valid():
        data = form.cleaned_data
        try:
            enrollment = program_services.enrollment_decide(
                enrollment=data["enrollment"],
                actor=request.user,
                decision=data["decision"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("%(term)s: application %(status)s.")
                % {"term": enrollment.term, "status": enrollment.get_status_display().lower()},
            )
            return redirect(reverse("learner_detail", args=[learner.pk]) + "#applications")
    return _render_learner(request, learner, decision_form=form)


@login_required
@require_POST
def learner_guardian_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail a guardian's invitation again (at most once an hour per guardian link)."""
    learner = _coordinator_learner(request, pk)
    form = GuardianResendForm(request.POST, learner=learner)
    if form.is_valid():
        link = form.cleaned_data["link"]
        try:
            onboarding.guardian_invite_resend(link=link, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Invitation sent again to %(email)s.") % {"email": link.invited_email}
            )
        return redirect(reverse("learner_detail", args=[learner.pk]) + "#guardians")
    return _render_learner(request, learner, resend_form=form)
