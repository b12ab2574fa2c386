from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    GuardianLink,
    Invitation,
    Language,
    LearnerProfile,
    MentorProfile,
    Organization,
    ReviewerProfile,
    User,
)

# The admin has no login form of its own: /admin/login/ sends people to allauth's login (password, then the
# authenticator code), so there is one way in and it always ends in the MFA-verified state.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff", "groups"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Name"), {"fields": ("full_name", "preferred_name", "pronouns")}),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["name"]


admin.site.register(Language)


@admin.register(MentorProfile)
class MentorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "specialty", "organization", "capacity", "status", "accepting_learners"]
    list_filter = ["status", "career_stage", "accepting_learners"]
    search_fields = ["user__full_name", "user__email", "specialty"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user"]
    # Status and the onboarding checklist change only through the people workspace (audited services).
    readonly_fields = [
        "status",
        "status_reason",
        "orientation_completed_on",
        "licence_state",
        "licence_number",
        "licence_verified_on",
        "background_check_verified_on",
        "background_check_expires_on",
    ]


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "stage", "date_of_birth", "school"]
    list_filter = ["stage"]
    search_fields = ["user__full_name", "user__email"]
    list_select_related = ["user", "school"]
    autocomplete_fields = ["user"]
    # Corrected on the learner page with a reason (learner_correct_birth_date), so it is audited.
    readonly_fields = ["date_of_birth"]


@admin.register(GuardianLink)
class GuardianLinkAdmin(admin.ModelAdmin):
    list_display = ["invited_email", "learner", "guardian", "status", "verified_at"]
    list_filter = ["status"]
    list_select_related = ["learner__user", "guardian"]
    raw_id_fields = ["guardian", "learner"]
    # A link counts only when a coordinator confirms it on the learner page (guardian_link_confirm, audited).
    readonly_fields = [
        "guardian",
        "status",
        "accepted_at",
        "verified_at",
        "verified_by",
        "verification_method",
        "verification_note",
    ]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "max_load"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "invited_by", "created_at", "accepted_at"]
    list_filter = ["role"]
    readonly_fields = ["token"]
    raw_id_fields = ["invited_by", "accepted_by", "guardian_link"]
