from __future__ import annotations

from django.apps import AppConfig


class ShadowingConfig(AppConfig):
    name = "mentorfold.shadowing"
    label = "shadowing"
