from __future__ import annotations

from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("", views.home, name="home"),
    path("terms/<int:term_pk>/rank/", views.preferences, name="preferences"),
    path("terms/<int:term_pk>/my-match/", views.my_match, name="my_match"),
    path("terms/<int:term_pk>/requests/", views.mentor_requests, name="mentor_requests"),
    path("terms/<int:term_pk>/runs/", views.runs, name="runs"),
    path("terms/<int:term_pk>/settings/", views.settings_update, name="settings"),
    path("terms/<int:term_pk>/place/", views.place, name="place"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/publish/", views.run_publish, name="run_publish"),
    path("mentorships/<int:pk>/", views.mentorship, name="mentorship"),
]
