"""Program pages, applications, requirements, consent, documents, the review queue and import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorfold.accounts.models import GuardianLink, LearnerProfile, Role
from mentorfold.core.forms import add_validation_errors
from mentorfold.core.tracking import task_run_start

from . import importing, selectors, services, text_translations
from .forms import (
    ApplyForm,
    DecisionForm,
    EnrollmentFilterForm,
    ImportForm,
    OptInForm,
    QueueFilterForm,
    ReviewForm,
    RevokeForm,
    SignForm,
    UploadForm,
)
from .models import Document, Enrollment, ImportBatch, Program, Requirement, RequirementRecord, Site, Term
from .tasks import import_people

QUEUE_PAGE_SIZE = 50


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


# --- Public -----------------------------------------------------------------------------------------------


@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    return render(request, "programs/program_list.html", {"programs": selectors.public_programs()})


@require_GET
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        program = selectors.program_detail(slug)
    except Program.DoesNotExist:
        raise Http404 from None
    # The same test as the apply page itself, so nobody is shown an Apply button that answers 403.
    user = request.user
    can_apply = (
        user.is_authenticated
        and getattr(user, "learner_profile", None) is not None
        and user.has_perm("programs.apply")
    )
    return render(request, "programs/program_detail.html", {"program": program, "can_apply": can_apply})


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, slug: str, term_pk: int) -> HttpResponse:
    term = get_object_or_404(
        Term.objects.select_related("program").exclude(status=Term.Status.DRAFT),
        pk=term_pk,
        program__slug=slug,
        program__archived_at__isnull=True,
    )
    learner = getattr(request.user, "learner_profile", None)
    if learner is None or not request.user.has_perm("programs.apply"):
        raise PermissionDenied
    if term.status != Term.Status.OPEN:
        # The page follows the term: no form once applications have closed.
        return render(request, "programs/apply.html", {"term": term, "program": term.program, "closed": True})
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_apply(learner=learner, term=term, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request, _("Your application was sent. You will see its status on your dashboard.")
            )
            if learner.is_minor:
                has_guardian = learner.guardian_links.filter(status=GuardianLink.Status.VERIFIED).exists()
                messages.info(
                    request,
                    _(
                        "Because you are under 18, your parent or guardian must sign consent. We e-mailed them."
                    )
                    if has_guardian
                    else _(
                        "Because you are under 18, a parent or guardian must join and sign consent. "
                        "Invite them from your dashboard."
                    ),
                )
            return redirect("dashboard")
    return render(request, "programs/apply.html", {"form": form, "term": term, "program": term.program})


# --- Requirements: sign, upload, see status ---------------------------------------------------------------


@login_required
@require_GET
def my_requirements(request: HttpRequest) -> HttpResponse:
    user = request.user
    learner = getattr(user, "learner_profile", None)
    mentor = getattr(user, "mentor_profile", None)
    if learner is None and mentor is None:
        raise PermissionDenied
    rows = selectors.learner_requirements(learner) if learner else selectors.mentor_requirements(mentor)
    return render(request, "programs/my_requirements.html", {"rows": rows})


def _own_requirement(request: HttpRequest, pk: int) -> Requirement:
    requirement = get_object_or_404(Requirement.objects.select_related("program", "site"), pk=pk)
    if requirement.kind == Requirement.Kind.GUARDIAN_CONSENT:
        raise Http404
    wanted = Role.LEARNER if requirement.applies_to == Requirement.AppliesTo.LEARNER else Role.MENTOR
    if not request.user.has_role(wanted):
        raise PermissionDenied
    return requirement


@login_required
@require_http_methods(["GET", "POST"])
def requirement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = _own_requirement(request, pk)
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attestation_sign(
                requirement=requirement,
                person=request.user,
                signed_name=form.cleaned_data["signed_name"],
                ip=_ip(request),
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Signed. A coordinator will review it."))
            return redirect("programs:my_requirements")
    return render(request, "programs/sign.html", {"form": form, "requirement": requirement})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_upload(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = _own_requirement(request, pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_document_submit(
                requirement=requirement,
                person=request.user,
                upload=form.cleaned_data["file"],
                done_on=form.cleaned_data["done_on"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Uploaded. A coordinator will review it."))
            return redirect("programs:my_requirements")
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/upload.html", {"form": form, "requirement": requirement}, status=status)


@login_required
@never_cache
@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(Document, pk=pk)
    if not request.user.has_perm("programs.view_document", document):
        raise Http404  # do not reveal that someone else's document exists
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Guardian consent ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, learner_pk: int, slug: str) -> HttpResponse:
    learner = get_object_or_404(LearnerProfile.objects.select_related("user"), pk=learner_pk)
    if not request.user.has_perm("programs.sign_consent", learner):
        raise Http404
    program = get_object_or_404(Program.objects.prefetch_related("sites"), slug=slug)
    requirement = services.guardian_consent_requirement(program)
    if requirement is None:
        raise Http404
    record = (
        RequirementRecord.objects.filter(requirement=requirement, person_id=learner.user_id)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    shown = text_translations.requirement_text_for(requirement, translation.get_language())
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_consent_sign(
                learner=learner,
                program=program,
                guardian=request.user,
                signed_name=form.cleaned_data["signed_name"],
                ip=_ip(request),
                text_language=shown.language,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(
                request,
                _("Thank you. Your consent for %(name)s is recorded.") % {"name": learner.user.full_name},
            )
            return redirect("dashboard")
    sites = list(program.sites.all()) or list(Site.objects.filter(is_active=True)[:10])
    site_requirements: dict[int, list[Requirement]] = {}
    for r in Requirement.objects.filter(site__in=sites, applies_to=Requirement.AppliesTo.LEARNER):
        site_requirements.setdefault(r.site_id, []).append(r)
    site_rows = [(site, site_requirements.get(site.pk, [])) for site in sites]
    signed = record is not None and record.status in {
        RequirementRecord.Status.SUBMITTED,
        RequirementRecord.Status.APPROVED,
    }
    return render(
        request,
        "programs/consent.html",
        {
            "learner": learner,
            "program": program,
            "requirement": requirement,
            "shown": shown,
            "language_status": text_translations.interface_status(translation.get_language()),
            "record": record,
            "signed": signed,
            "site_rows": site_rows,
            "form": form,
            "revoke_form": RevokeForm(),
        },
    )


@login_required
@require_POST
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(RequirementRecord, pk=pk, requirement__kind=Requirement.Kind.GUARDIAN_CONSENT)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        cancelled = services.guardian_consent_revoke(record=record, actor=request.user, reason=reason)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dashboard")
    messages.success(
        request,
        ngettext(
            "Consent withdrawn. %(n)d future clinic visit was cancelled.",
            "Consent withdrawn. %(n)d future clinic visits were cancelled.",
            cancelled,
        )
        % {"n": cancelled},
    )
    return redirect("dashboard")


# --- Mentors ------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def opt_in(request: HttpRequest, pk: int) -> HttpResponse:
    term = get_object_or_404(
        Term.objects.select_related("program").exclude(status=Term.Status.DRAFT),
        pk=pk,
        program__archived_at__isnull=True,
    )
    mentor = getattr(request.user, "mentor_profile", None)
    if mentor is None or not request.user.has_perm("programs.opt_in"):
        raise PermissionDenied
    current = term.mentor_opt_ins.filter(mentor=mentor).first()
    if term.status == Term.Status.CLOSED:
        return render(request, "programs/opt_in.html", {"term": term, "current": current, "closed": True})
    form = OptInForm(request.POST or None, initial={"capacity": current.capacity if current else 1})
    if request.method == "POST" and form.is_valid():
        try:
            services.mentor_opt_in(mentor=mentor, term=term, capacity=form.cleaned_data["capacity"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("You are taking part in %(term)s.") % {"term": term})
            return redirect("dashboard")
    return render(request, "programs/opt_in.html", {"form": form, "term": term, "current": current})


# --- Coordinators -------------------------------------------------------------------------------------


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    _require(request, "programs.manage")
    return render(
        request,
        "programs/manage.html",
        {
            "counts": selectors.coordinator_counts(),
            "programs": Program.objects.prefetch_related("terms").order_by("name"),
            "imports": selectors.recent_imports(),
        },
    )


@login_required
@require_GET
def sites(request: HttpRequest) -> HttpResponse:
    _require(request, "programs.manage")
    site_list = Site.objects.select_related("health_system").prefetch_related("requirements").order_by("name")
    return render(request, "programs/sites.html", {"sites": site_list})


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _require(request, "programs.review_records")
    filters = QueueFilterForm(request.GET)
    if not filters.is_valid():
        return HttpResponseBadRequest(_("Filters: choose a kind from the list and a page number."))
    kind = filters.cleaned_data["kind"]
    page = Paginator(selectors.review_queue(kind=kind), QUEUE_PAGE_SIZE).get_page(
        filters.cleaned_data["page"]
    )
    return render(
        request,
        "programs/queue.html",
        {"page": page, "kind": kind, "kinds": Requirement.Kind.choices, "form": ReviewForm()},
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "programs.review_records")
    record = get_object_or_404(RequirementRecord, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Decision: choose approve or reject."))
    else:
        try:
            services.requirement_record_review(
                record=record,
                actor=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved: %(record)s.") % {"record": record.requirement.name})
    back = reverse("programs:queue")
    page = form.cleaned_data.get("page") if form.is_valid() else None
    return redirect(f"{back}?page={page}" if page else back)


@login_required
@require_GET
def enrollments(request: HttpRequest) -> HttpResponse:
    _require(request, "programs.manage")
    data = request.GET.copy()
    data.setdefault("status", Enrollment.Status.APPLIED)
    filters = EnrollmentFilterForm(data)
    if not filters.is_valid():
        return HttpResponseBadRequest(_("Filters: choose a status from the list, a term and a page number."))
    status = filters.cleaned_data["status"]
    qs = selectors.enrollments_for_review(term_id=filters.cleaned_data["term"], status=status)
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(filters.cleaned_data["page"])
    return render(
        request,
        "programs/enrollments.html",
        {"page": page, "status": status, "statuses": Enrollment.Status.choices, "form": DecisionForm()},
    )


@login_required
@require_POST
def enrollment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "programs.manage")
    enrollment = get_object_or_404(Enrollment, pk=pk)
    form = DecisionForm(request.POST)
    back_status = Enrollment.Status.APPLIED
    if form.is_valid():
        back_status = form.cleaned_data["status"]
        try:
            services.enrollment_decide(
                enrollment=enrollment,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Decision saved."))
    else:
        messages.error(request, _("Decision: choose accept, waitlist or decline."))
    return redirect(reverse("programs:enrollments") + "?status=" + back_status)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require(request, "programs.manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > importing.MAX_IMPORT_BYTES:
            form.add_error(
                "file", _("File: the limit for imports is 5 MB. Split the list into smaller files.")
            )
        else:
            try:
                batch = importing.import_batch_create(
                    actor=request.user, kind=form.cleaned_data["kind"], name=upload.name, data=upload.read()
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return redirect("programs:import_preview", pk=batch.pk)
    return render(request, "programs/import_upload.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "programs.manage")
    batch = importing.import_batch_reconcile(get_object_or_404(ImportBatch, pk=pk))
    if request.method == "POST":

        def enqueue(batch: ImportBatch) -> Any:
            return task_run_start(
                task=import_people,
                kind="programs.import",
                label=_("Import %(kind)s from %(name)s")
                % {"kind": batch.get_kind_display(), "name": batch.original_name},
                user=request.user,
                batch_id=batch.pk,
                actor_id=request.user.pk,
            )

        try:
            run = importing.import_batch_start(batch=batch, actor=request.user, enqueue=enqueue)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            batch.refresh_from_db(fields=["status", "task_run_id"])
            if batch.task_run_id is not None and batch.status == ImportBatch.Status.RUNNING:
                return redirect("task_progress", pk=batch.task_run_id)
            return redirect("programs:import_preview", pk=batch.pk)
        return redirect("task_progress", pk=run.pk)
    error_rows = sorted({e["row"] for e in batch.errors})
    return render(
        request,
        "programs/import_preview.html",
        {"batch": batch, "error_rows": error_rows, "sample": batch.rows[:20]},
    )
