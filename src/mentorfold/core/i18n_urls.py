"""The language switcher's address (POST only; named ``set_language`` like Django's own view)."""

from __future__ import annotations

from django.urls import path

from .languages import language_switch

urlpatterns = [path("setlang/", language_switch, name="set_language")]
