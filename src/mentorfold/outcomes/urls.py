from __future__ import annotations

from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("export/<slug:chart>/<slug:fmt>/", views.export, name="export"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("terms/<int:term_pk>/surveys/", views.term_surveys, name="term_surveys"),
    path("pipeline-import/", views.pipeline_import_upload, name="pipeline_import"),
    path("pipeline-import/<int:pk>/", views.pipeline_import_preview, name="pipeline_import_preview"),
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/<int:pk>/wording/", views.instrument_wording, name="instrument_wording"),
    path("s/<str:token>/", views.survey, name="survey"),
    path("impact/", views.impact, name="impact"),
    path("recognition/", views.recognition, name="recognition"),
    path("recognition/<str:code>.pdf", views.recognition_pdf, name="recognition_pdf"),
    path("recognition/verify/<str:code>/", views.recognition_verify, name="recognition_verify"),
    path("mine/", views.mine, name="mine"),
    path("where-are-you-now/", views.pipeline, name="pipeline"),
    path("where-are-you-now/<str:token>/", views.pipeline_checkin, name="pipeline_checkin"),
]
