"""Admin for every programs model; coordinators' changes here are audited like in the web UI."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from mentorfold.core.audit import audit

from . import services
from .models import (
    Document,
    Enrollment,
    ImportBatch,
    MentorTermOptIn,
    Program,
    Requirement,
    RequirementRecord,
    Site,
    Term,
)


class AuditedAdmin(admin.ModelAdmin):
    """Writes every add, change and delete to the audit log."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.{'change' if change else 'add'}",
            target=obj,
            data={"fields": sorted(form.changed_data)},
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit(actor=request.user, action=f"admin.{obj._meta.model_name}.delete", target=obj, request=request)
        super().delete_model(request, obj)


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0
    fields = ["name", "kind", "applies_to", "requires_document", "valid_for_days", "minors_only", "version"]


class TermInline(admin.TabularInline):
    model = Term
    extra = 0
    fields = ["name", "status", "application_opens", "application_closes", "starts_on", "ends_on"]


@admin.register(Program)
class ProgramAdmin(AuditedAdmin):
    list_display = ["name", "min_age", "max_hours_per_experience", "region", "is_public"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    filter_horizontal = ["sites"]
    inlines = [TermInline, RequirementInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            services.program_standard_requirements_ensure(program=form.instance)


@admin.register(Site)
class SiteAdmin(AuditedAdmin):
    list_display = ["name", "health_system", "city", "min_age", "max_learners_at_once", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "city"]
    autocomplete_fields = ["mentors"]
    inlines = [RequirementInline]


@admin.register(Term)
class TermAdmin(AuditedAdmin):
    list_display = ["__str__", "status", "application_opens", "application_closes", "starts_on", "ends_on"]
    list_filter = ["status", "program"]
    list_select_related = ["program"]


@admin.register(Enrollment)
class EnrollmentAdmin(AuditedAdmin):
    list_display = ["learner", "term", "status", "created_at", "decided_at"]
    list_filter = ["status", "term__program"]
    list_select_related = ["learner__user", "term__program"]
    search_fields = ["learner__user__full_name", "learner__user__email"]
    raw_id_fields = ["learner", "decided_by"]


@admin.register(MentorTermOptIn)
class MentorTermOptInAdmin(AuditedAdmin):
    list_display = ["mentor", "term", "capacity"]
    list_select_related = ["mentor__user", "term__program"]
    raw_id_fields = ["mentor"]


@admin.register(Requirement)
class RequirementAdmin(AuditedAdmin):
    list_display = ["name", "kind", "applies_to", "program", "site", "valid_for_days", "minors_only"]
    list_filter = ["kind", "applies_to"]
    list_select_related = ["program", "site"]


@admin.register(RequirementRecord)
class RequirementRecordAdmin(AuditedAdmin):
    list_display = ["requirement", "person", "status", "submitted_at", "expires_on", "reviewed_by"]
    list_filter = ["status", "requirement__kind"]
    list_select_related = ["requirement", "person", "reviewed_by"]
    search_fields = ["person__email", "person__full_name"]
    raw_id_fields = ["person", "signed_by", "reviewed_by", "document"]
    # Status and review fields change only through requirement_record_review / guardian_consent_revoke.
    readonly_fields = [
        "status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "revoked_at",
        "signed_name",
        "signed_by",
        "signed_at",
        "signed_ip",
        "text_version",
        "submitted_at",
    ]


@admin.register(Document)
class DocumentAdmin(AuditedAdmin):
    """Files are downloaded through the permission-checked view, never from a media URL."""

    list_display = ["original_name", "owner", "content_type", "size", "uploaded_at"]
    list_select_related = ["owner"]
    search_fields = ["owner__email", "original_name"]
    readonly_fields = ["owner", "uploaded_by", "file", "original_name", "content_type", "size", "sha256"]
    exclude: list[str] = []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "created_by", "created_at", "created_count"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "kind",
        "original_name",
        "status",
        "created_by",
        "created_count",
        "task_run_id",
        "errors",
    ]
    exclude = ["rows"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
