from __future__ import annotations

from django.contrib import admin

from .models import GlossaryEntry, Question, TeachingMoment


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["title", "created_at", "answered_at", "promoted_at"]
    raw_id_fields = ["asked_by", "mentorship", "program", "booking", "answered_by", "promoted_by"]
    readonly_fields = ["answer_html"]


@admin.register(GlossaryEntry)
class GlossaryEntryAdmin(admin.ModelAdmin):
    list_display = ["term", "direction", "language", "program"]
    search_fields = ["term"]
    raw_id_fields = ["mentorship", "added_by", "promoted_from"]


@admin.register(TeachingMoment)
class TeachingMomentAdmin(admin.ModelAdmin):
    list_display = ["mentor", "direction", "category", "created_at"]
    raw_id_fields = ["mentorship", "mentor", "recorded_by"]
