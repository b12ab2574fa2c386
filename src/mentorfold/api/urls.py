from __future__ import annotations

from django.urls import path

from . import views
from .api import api

urlpatterns = [
    path("tokens/", views.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
    path("v1/", api.urls),
    path("docs", views.docs, name="api_docs"),
]
