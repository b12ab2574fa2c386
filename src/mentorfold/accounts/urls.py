from __future__ import annotations

from django.urls import path

from . import learner_actions, views, workspace

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("people/", views.people, name="people"),
    path("people/learners/<int:pk>/", views.learner_detail, name="learner_detail"),
    path("people/invite/", views.invite, name="invite"),
    path("guardian/invite/", views.guardian_invite, name="guardian_invite"),
    path("guardian/links/<int:pk>/revoke/", views.guardian_link_revoke, name="guardian_link_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path(
        "people/learners/<int:pk>/guardians/<int:link_pk>/confirm/",
        learner_actions.guardian_link_confirm,
        name="guardian_link_confirm",
    ),
    path(
        "people/learners/<int:pk>/birth-date/",
        learner_actions.learner_birth_date_correct,
        name="learner_birth_date_correct",
    ),
    path("people/mentors/", workspace.mentor_list, name="workspace_mentors"),
    path("people/mentors/<int:pk>/", workspace.mentor_detail, name="workspace_mentor_detail"),
    path(
        "people/mentors/<int:pk>/onboarding/<slug:step>/",
        workspace.mentor_onboarding_step,
        name="workspace_mentor_step",
    ),
    path("people/learners/<int:pk>/decide/", workspace.learner_decide, name="workspace_learner_decide"),
    path(
        "people/learners/<int:pk>/guardian-resend/",
        workspace.learner_guardian_resend,
        name="workspace_guardian_resend",
    ),
]
