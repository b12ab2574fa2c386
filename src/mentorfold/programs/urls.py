from __future__ import annotations

from django.urls import path

from . import views

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
    path("manage/export/<str:kind>.<str:fmt>", views.export, name="export"),
    path("<slug:slug>/", views.program_detail, name="detail"),
    path("<slug:slug>/apply/<int:term_pk>/", views.apply, name="apply"),
]
