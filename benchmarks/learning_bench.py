"""Learning pages at scale: the flashcard review page with 5,000 cards due and a mentor's "What I learned from my
learners" page with 2,000 teaching moments.

Builds a fresh SQLite database in a temporary folder, creates one mentorship with the cards and moments, then
renders each page once to warm up and five times measured (median). Each page also renders with a handful of
rows, and must run the same number of SQL queries at both sizes (constant, not growing with the data).

A page passes when its median is under 150 ms at full size and its query count is the same at both sizes.
Results: ``benchmarks/results/learning.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LIMIT_MS = 150.0
REPEATS = 5
CARDS = 5_000
MOMENTS = 2_000


def _measure(client: Any, url: str) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    timings = []
    queries = 0
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return {"median_ms": round(statistics.median(timings), 1), "queries": queries}


def _fill(mentorship: Any, *, cards: int, moments: int, start: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from mentorfold.learning.models import Flashcard, GlossaryEntry, TeachingMoment

    now = timezone.now()
    user = mentorship.learner.user
    entries = GlossaryEntry.objects.bulk_create(
        [
            GlossaryEntry(
                mentorship=mentorship,
                term=f"Term {start + n}",
                meaning="A plain explanation of the word.",
                example="An example sentence a patient might hear.",
                direction=GlossaryEntry.Direction.JARGON,
                added_by=mentorship.mentor.user,
            )
            for n in range(cards)
        ],
        batch_size=1000,
    )
    Flashcard.objects.bulk_create(
        [
            Flashcard(owner=user, glossary_entry=entry, due=now - timedelta(minutes=n + 1))
            for n, entry in enumerate(entries)
        ],
        batch_size=1000,
    )
    TeachingMoment.objects.bulk_create(
        [
            TeachingMoment(
                mentorship=mentorship,
                mentor_id=mentorship.mentor_id,
                direction=TeachingMoment.Direction.LEARNER_TO_MENTOR,
                category=TeachingMoment.Category.TECHNOLOGY,
                text=f"Something the learner taught me ({start + n}).",
                recorded_by=mentorship.mentor.user,
                created_at=now - timedelta(hours=n),
            )
            for n in range(moments)
        ],
        batch_size=1000,
    )


def run() -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from mentorfold.matching.tests.factories import MentorshipFactory

    call_command("migrate", verbosity=0, skip_checks=True)
    mentorship = MentorshipFactory()
    pages = {"review": "/learning/review/", "learned": "/learning/learned/", "learned_last_page": None}
    _fill(mentorship, cards=5, moments=30, start=0)
    learner = Client(HTTP_HOST="127.0.0.1")
    learner.force_login(mentorship.learner.user)
    mentor = Client(HTTP_HOST="127.0.0.1")
    mentor.force_login(mentorship.mentor.user)
    small = {
        "review": _measure(learner, pages["review"]),
        "learned": _measure(mentor, pages["learned"]),
        "learned_last_page": _measure(mentor, "/learning/learned/?page=2"),
    }
    _fill(mentorship, cards=CARDS - 5, moments=MOMENTS - 30, start=100_000)
    large = {
        "review": _measure(learner, pages["review"]),
        "learned": _measure(mentor, pages["learned"]),
        "learned_last_page": _measure(mentor, f"/learning/learned/?page={MOMENTS // 25}"),
    }
    result: dict[str, Any] = {"cards_due": CARDS, "moments": MOMENTS, "limit_ms": LIMIT_MS, "pages": {}}
    ok = True
    for name in small:
        passed = large[name]["median_ms"] < LIMIT_MS and large[name]["queries"] == small[name]["queries"]
        ok = ok and passed
        result["pages"][name] = {"small": small[name], "large": large[name], "passed": passed}
    result["passed"] = ok
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_known_args()  # run_all.py passes its own options to every script
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorfold.settings")
        sys.path.insert(0, str(ROOT / "src"))
        result = run()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning.json").write_text(json.dumps(result, indent=2) + "\n")
    for name, page in result["pages"].items():
        print(
            f"{name:18} {page['large']['median_ms']:7.1f} ms  {page['large']['queries']} queries "
            f"(small: {page['small']['median_ms']} ms, {page['small']['queries']} queries)  "
            f"{'ok' if page['passed'] else 'FAILED'}"
        )
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
