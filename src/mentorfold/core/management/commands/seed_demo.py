"""``manage.py seed_demo --size small|large``: a believable society, same data every time (fixed seed)."""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

# Each app that has demo data adds its seeder here, in dependency order.
SEEDERS = [
    "mentorfold.accounts.demo.seed_people",
    "mentorfold.programs.demo.seed_programs",
    "mentorfold.matching.demo.seed_matching",
    "mentorfold.shadowing.demo.seed_shadowing",
    "mentorfold.grants.demo.seed_grants",
    "mentorfold.learning.demo.seed_learning",
    "mentorfold.messaging.demo.seed_messaging",
    "mentorfold.outcomes.demo.seed_outcomes",
]
# Demo data is anchored to a fixed day so that ages, terms and hours are the same on every run.
DEMO_TODAY = date(2026, 11, 2)
SEED = 20261102


class Command(BaseCommand):
    help = "Create (or complete) the demo society. Safe to run again: it never duplicates anyone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=["small", "large"], default="small")

    def handle(self, *args: Any, size: str, **options: Any) -> None:
        started = time.perf_counter()
        totals: dict[str, int] = {}
        timings: list[str] = []
        with transaction.atomic():
            for dotted in SEEDERS:
                seeder = import_string(dotted)
                rng = random.Random(f"{SEED}:{dotted}")
                step = time.perf_counter()
                totals.update(seeder(size=size, rng=rng, today=DEMO_TODAY))
                timings.append(f"{dotted.split('.')[1]} {time.perf_counter() - step:.1f}s")
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{k}={v}" for k, v in totals.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ({size}) ready in {elapsed:.1f}s: {summary}"))
        self.stdout.write(f"Time per app: {', '.join(timings)}")
