from __future__ import annotations

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", views.reports, name="reports"),
    path("mentorships/<int:pk>/", views.mentorship_detail, name="mentorship"),
    path("mentorships/<int:pk>/threads/new/", views.thread_new, name="thread_new"),
    path("mentorships/<int:pk>/meetings/new/", views.meeting_propose, name="meeting_propose"),
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/post/", views.message_post, name="message_post"),
    path("threads/<int:pk>/lock/", views.thread_lock, name="thread_lock"),
    path("threads/<int:pk>/unlock/", views.thread_unlock, name="thread_unlock"),
    path("messages/<int:pk>/report/", views.message_report, name="message_report"),
    path("messages/<int:pk>/attachment/", views.attachment_download, name="attachment"),
    path("meetings/<int:pk>/respond/", views.meeting_respond, name="meeting_respond"),
    path("meetings/<int:pk>/log/", views.meeting_log, name="meeting_log"),
]
