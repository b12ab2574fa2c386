from __future__ import annotations

from django.urls import path

from . import export_views, translation_views, views, workspace

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("requirements/", views.my_requirements, name="my_requirements"),
    path("requirements/<int:pk>/sign/", views.requirement_sign, name="requirement_sign"),
    path("requirements/<int:pk>/upload/", views.requirement_upload, name="requirement_upload"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("consent/<int:learner_pk>/<slug:slug>/", views.consent, name="consent"),
    path("consent/records/<int:pk>/withdraw/", views.consent_revoke, name="consent_revoke"),
    path("terms/<int:pk>/take-part/", views.opt_in, name="opt_in"),
    path("manage/", views.manage, name="manage"),
    path("manage/sites/", views.sites, name="sites"),
    path("manage/queue/", views.queue, name="queue"),
    path("manage/queue/<int:pk>/review/", views.review, name="review"),
    path("manage/enrollments/", views.enrollments, name="enrollments"),
    path("manage/enrollments/<int:pk>/decide/", views.enrollment_decide, name="enrollment_decide"),
    path("manage/import/", views.import_upload, name="import"),
    path("manage/import/<int:pk>/", views.import_preview, name="import_preview"),
    path("manage/export/<str:kind>.<str:fmt>", export_views.export, name="export"),
    path("manage/exports/<uuid:pk>/download", export_views.export_download, name="export_download"),
    path("manage/translations/", translation_views.translations, name="translations"),
    path("manage/translations/languages/", translation_views.language_review, name="language_review"),
    path(
        "manage/translations/text/", translation_views.requirement_translation, name="requirement_translation"
    ),
    path("<slug:slug>/", views.program_detail, name="detail"),
    path("<slug:slug>/apply/<int:term_pk>/", views.apply, name="apply"),
    # Coordinator workspace: programs, terms and clinic sites (issue 11 §1).
    path("manage/programs/", workspace.program_list, name="workspace_programs"),
    path("manage/programs/new/", workspace.program_new, name="workspace_program_new"),
    path("manage/programs/<int:pk>/", workspace.program_edit, name="workspace_program"),
    path("manage/programs/<int:pk>/archive/", workspace.program_archive, name="workspace_program_archive"),
    path("manage/programs/<int:pk>/terms/new/", workspace.term_new, name="workspace_term_new"),
    path("manage/terms/<int:pk>/", workspace.term_edit, name="workspace_term"),
    path("manage/terms/<int:pk>/advance/", workspace.term_advance, name="workspace_term_advance"),
    path("manage/sites/new/", workspace.site_new, name="workspace_site_new"),
    path("manage/sites/<int:pk>/", workspace.site_edit, name="workspace_site"),
]
