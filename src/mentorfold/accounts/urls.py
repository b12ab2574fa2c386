from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("people/", views.people, name="people"),
    path("people/learners/<int:pk>/", views.learner_detail, name="learner_detail"),
    path("people/invite/", views.invite, name="invite"),
    path("guardian/invite/", views.guardian_invite, name="guardian_invite"),
    path("guardian/links/<int:pk>/revoke/", views.guardian_link_revoke, name="guardian_link_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
