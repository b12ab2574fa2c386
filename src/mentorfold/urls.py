from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from mentorfold.accounts.views import RoleSignupView
from mentorfold.core import views as core_views
from mentorfold.shadowing import views as shadowing_views

handler403 = "mentorfold.core.views.error_403"
handler404 = "mentorfold.core.views.error_404"
handler500 = "mentorfold.core.views.error_500"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("become-a-mentor/", core_views.become_mentor, name="become_mentor"),
    path("healthz", core_views.healthz, name="healthz"),
    path("verify/<str:code>/", shadowing_views.verify, name="certificate_verify"),
    path("tasks/<uuid:pk>/", core_views.task_progress, name="task_progress"),
    path("notices/read/", core_views.notices_read, name="notices_read"),
    path("accounts/signup/", RoleSignupView.as_view(), name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("mentorfold.core.i18n_urls")),
    path("", include("mentorfold.accounts.urls")),
    path("programs/", include("mentorfold.programs.urls")),
    path("matching/", include("mentorfold.matching.urls")),
    path("shadowing/", include("mentorfold.shadowing.urls")),
    path("grants/", include("mentorfold.grants.urls")),
    path("learning/", include("mentorfold.learning.urls")),
    path("messages/", include("mentorfold.messaging.urls")),
    path("api/", include("mentorfold.api.urls")),
    path("outcomes/", include("mentorfold.outcomes.urls")),
]
# Public pages about the society and how it handles information (core).
urlpatterns += [
    path("about/", core_views.about, name="about"),
    path("privacy/", core_views.privacy, name="privacy"),
]
