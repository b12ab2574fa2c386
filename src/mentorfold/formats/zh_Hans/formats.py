"""Group money digits in threes ($2,500); Django's Chinese formats leave them ungrouped."""

from __future__ import annotations

NUMBER_GROUPING = 3
THOUSAND_SEPARATOR = ","
