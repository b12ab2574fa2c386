"""Date and number formats for languages Django does not ship (settings.FORMAT_MODULE_PATH)."""

from __future__ import annotations
