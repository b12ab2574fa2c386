from __future__ import annotations

from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("", views.home, name="home"),
    path("ask/", views.ask, name="ask"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("questions/<int:pk>/answer/", views.question_answer, name="question_answer"),
    path("questions/<int:pk>/helpful/", views.question_helpful, name="question_helpful"),
    path("questions/<int:pk>/promote/", views.question_promote, name="question_promote"),
    path("mentorships/<int:pk>/", views.mentorship_detail, name="mentorship"),
    path("mentorships/<int:pk>/glossary/", views.glossary_add, name="glossary_add"),
    path("mentorships/<int:pk>/moments/", views.moment_add, name="moment_add"),
    path("glossary/", views.glossary, name="glossary"),
    path("glossary/program/", views.glossary_program_add, name="glossary_program_add"),
    path("glossary/<int:pk>/promote/", views.glossary_promote, name="glossary_promote"),
    path("programs/<slug:slug>/", views.program_detail, name="program"),
    path("learned/", views.learned, name="learned"),
    path("learned/<int:year>/", views.learned_year, name="learned_year"),
    path("cards/", views.card_add, name="card_add"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_rate, name="review_rate"),
    path("visits/<int:booking_pk>/reflection/", views.reflection_write, name="reflection_write"),
    path("reflections/<int:pk>/", views.reflection_detail, name="reflection"),
]
