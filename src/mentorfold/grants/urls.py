from __future__ import annotations

from django.urls import path

from . import manage_views, review_views, views

app_name = "grants"

urlpatterns = [
    path("", views.home, name="home"),
    path("cycles/<int:cycle_pk>/apply/", views.eligibility, name="eligibility"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/autosave/", views.application_autosave, name="application_autosave"),
    path("applications/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/letter.pdf", views.letter_pdf, name="letter_pdf"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("decisions/<int:pk>/", manage_views.decision_public, name="decision_public"),
    path("review/", review_views.review_list, name="review_list"),
    path("review/applications/<int:pk>/", review_views.review_application, name="review_application"),
    path("review/applications/<int:pk>/conflict/", review_views.review_conflict, name="review_conflict"),
    path("review/cycles/<int:cycle_pk>/declaration/", review_views.declaration, name="declaration"),
    path("manage/", manage_views.manage, name="manage"),
    path("manage/cycles/new/", manage_views.cycle_edit, name="cycle_new"),
    path("manage/cycles/<int:pk>/", manage_views.cycle_detail, name="cycle"),
    path("manage/cycles/<int:pk>/edit/", manage_views.cycle_edit, name="cycle_edit"),
    path("manage/cycles/<int:pk>/applications/", manage_views.cycle_applications, name="cycle_applications"),
    path("manage/cycles/<int:pk>/conflicts/", manage_views.conflicts, name="conflicts"),
    path("manage/conflicts/<int:pk>/status/", manage_views.conflict_status, name="conflict_status"),
    path("manage/cycles/<int:pk>/assign/", manage_views.assignment_start, name="assignment_start"),
    path("manage/cycles/<int:pk>/assignment/", manage_views.assignment, name="assignment"),
    path("manage/assignments/<int:pk>/swap/", manage_views.assignment_swap, name="assignment_swap"),
    path("manage/cycles/<int:pk>/reminders/", manage_views.reminders, name="reminders"),
    path("manage/cycles/<int:pk>/decision/", manage_views.decision, name="decision"),
    path("manage/cycles/<int:pk>/decision/replay/", manage_views.decision_replay, name="decision_replay"),
    path("manage/cycles/<int:pk>/decision.<str:fmt>", manage_views.decision_export, name="decision_export"),
    path("manage/cycles/<int:pk>/letters/", manage_views.letters, name="letters"),
]
