"""Dashboard per role, profiles, people lists and invitations. Thin: parse, call service/selector, render."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mentorfold.core import languages
from mentorfold.core.models import AuditEvent
from mentorfold.core.registry import panels_for

from . import selectors, services, workspace
from .forms import (
    AcceptInvitationForm,
    GuardianInviteForm,
    GuardianLinkRevokeForm,
    InvitationForm,
    LearnerProfileForm,
    MentorProfileForm,
)
from .models import GuardianLink, Invitation, LearnerProfile, Role


class RoleSignupView(SignupView):
    """allauth's sign-up, with 'join as' preselected from ``?as=mentor`` (the Become-a-mentor button)."""

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        wanted = self.request.GET.get("as")
        if wanted in {Role.MENTOR, Role.LEARNER}:
            initial["join_as"] = wanted
        return initial

    def form_valid(self, form: Any) -> HttpResponse:
        """The account, its role and profile are created together or not at all.

        Two sign-ups racing with one address both pass the form's uniqueness check; the loser's insert fails
        on the unique index and gets a form error instead of a 500.
        """
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            form.add_error(
                "email",
                _("E-mail: an account with this address already exists. Log in, or reset your password."),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        return self.form_invalid(form)


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"roles": user.role_names}
    if user.has_role(Role.COORDINATOR):
        context["summary"] = selectors.coordinator_summary()
        context["recent_events"] = AuditEvent.objects.select_related("actor")[:10]
    if user.has_role(Role.MENTOR):
        context["mentor"] = getattr(user, "mentor_profile", None)
    if user.has_role(Role.LEARNER):
        learner = getattr(user, "learner_profile", None)
        context["learner"] = learner
        if learner is not None:
            context["guardian_links"] = list(learner.guardian_links.all())
            context["has_verified_guardian"] = any(link.is_verified for link in context["guardian_links"])
    if user.has_role(Role.GUARDIAN):
        context["children"] = selectors.children_of(user)
    context["panels"] = panels_for(request)
    return render(request, "accounts/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    mentor = getattr(user, "mentor_profile", None)
    learner = getattr(user, "learner_profile", None)
    if mentor is None and learner is None:
        raise Http404
    form_class = MentorProfileForm if mentor is not None else LearnerProfileForm
    instance = mentor if mentor is not None else learner
    form = form_class(request.POST or None, instance=instance)
    shown = translation.get_language()
    current = user.preferred_language if languages.is_listed(user.preferred_language) else shown
    language_form = languages.LanguageForm(request.POST or None, prefix="lang", initial={"language": current})
    language_form.fields["language"].required = False  # a post without it keeps the saved language
    if request.method == "POST" and form.is_valid() and language_form.is_valid():
        form.save()
        chosen = language_form.cleaned_data["language"]
        if chosen and chosen != user.preferred_language:
            user.preferred_language = chosen
            user.save(update_fields=["preferred_language"])
        messages.success(request, _("Your profile is saved."))
        response = redirect("dashboard")
        if chosen:
            languages.set_language_cookie(response, chosen)
        return response
    context = {
        "form": form,
        "language_form": language_form,
        "offer_language": len(languages.listed_codes()) > 1,
    }
    return render(request, "accounts/profile_edit.html", context)


@login_required
def learner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    learner = get_object_or_404(LearnerProfile.objects.select_related("user", "school"), pk=pk)
    _require(request, "accounts.view_learner", learner)
    show_private = request.user.has_role(Role.COORDINATOR) or learner.user_id == request.user.pk
    context = {
        "learner": learner,
        "show_private": show_private,
        "guardian_links": learner.guardian_links.all(),
    }
    if request.user.has_role(Role.COORDINATOR):
        context.update(workspace.learner_panels(learner))
    return render(request, "accounts/learner_detail.html", context)


@login_required
def people(request: HttpRequest) -> HttpResponse:
    _require(request, "accounts.manage_people")
    kind = request.GET.get("kind", "learners")
    search = request.GET.get("q", "").strip()[:100]
    qs = selectors.mentor_list(search=search) if kind == "mentors" else selectors.learner_list(search=search)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/people.html", {"page": page, "kind": kind, "q": search})


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    _require(request, "accounts.manage_people")
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(invited_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("invite")
    invitations = Invitation.objects.exclude(role=Role.GUARDIAN).select_related("invited_by")[:20]
    return render(request, "accounts/invite.html", {"form": form, "invitations": invitations})


@login_required
@require_http_methods(["GET", "POST"])
def guardian_invite(request: HttpRequest) -> HttpResponse:
    learner = getattr(request.user, "learner_profile", None)
    if learner is None:
        raise PermissionDenied
    _require(request, "accounts.invite_guardian", learner)
    form = GuardianInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_invite(learner=learner, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("We sent an invitation to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("dashboard")
    return render(request, "accounts/guardian_invite.html", {"form": form, "learner": learner})


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("guardian_link__learner__user"), token=token
    )
    if not invitation.is_open:
        return render(request, "accounts/invitation_closed.html", {"invitation": invitation}, status=410)
    if request.user.is_authenticated:
        # Only the account that owns the invited address may take the invitation (never a role for a link).
        problem = services.invitation_addressee_problem(invitation, request.user)
        if request.method == "POST" and problem is None:
            try:
                services.invitation_accept_existing_user(invitation=invitation, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("dashboard")
            messages.success(request, _("Invitation accepted."))
            return redirect("dashboard")
        return render(
            request,
            "accounts/invitation_accept.html",
            {"invitation": invitation, "form": None, "problem": problem},
            status=403 if problem else 200,
        )
    form = AcceptInvitationForm(
        request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept_new_user(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
            # The same record allauth's login keeps; privileged roles still need the authenticator step.
            record_authentication(request, user, method="password", email=user.email)
            messages.success(request, _("Welcome to Mentorfold!"))
            return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form})


@login_required
@require_http_methods(["POST"])
def guardian_link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(GuardianLink, pk=pk)
    form = GuardianLinkRevokeForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, f"{form.fields['reason'].label}: {error}")
        return redirect("dashboard")
    try:
        services.guardian_link_revoke(link=link, actor=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Guardian link removed."))
    return redirect("dashboard")
