"""Outcome dashboards at the large demo size: the coordinator's outcomes page and every chart export.

Builds a fresh SQLite database in a temporary folder, seeds the demo society (``--size small`` then the same
pages on a second database seeded ``--size large``), signs the coordinator in, renders each page once to warm
up and then seven times UNCACHED (the chart cache cleared before each request, so every figure is computed from
the database) and seven times cached; medians are reported. A page passes when its uncached median is under
300 ms at the large size and it runs the same number of SQL queries at both sizes (constant, not growing with
the data). The cached median (charts kept for 10 minutes), the CPU time of the uncached request and the
machine's load average are reported beside it: on a shared, busy machine wall time includes waiting for a CPU.

Results: ``benchmarks/results/outcomes.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LIMIT_MS = 300.0
REPEATS = 7
PAGES = ["/outcomes/"] + [
    f"/outcomes/export/{chart}/{fmt}/"
    for chart in ("response_rates", "burnout", "learner_change", "acceptance", "hours", "grants", "learning")
    for fmt in ("csv", "xlsx")
]


def measure(size: str) -> dict[str, Any]:
    """Runs in a child process whose DATABASE_URL points at a fresh database."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from mentorfold.accounts.demo import DEMO_DOMAIN
    from mentorfold.accounts.models import User
    from mentorfold.outcomes.models import SurveyInvitation, SurveyResponse

    call_command("migrate", verbosity=0, skip_checks=True)
    started = time.perf_counter()
    call_command("seed_demo", "--size", size, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seed_s = time.perf_counter() - started
    client = Client(HTTP_HOST="127.0.0.1")
    from mentorfold.accounts.tests.auth import force_login_counting_as_mfa

    force_login_counting_as_mfa(client, User.objects.get(email=f"coordinator@{DEMO_DOMAIN}"))
    pages = {}
    for url in PAGES:
        cache.clear()
        if client.get(url).status_code != 200:  # warm-up: imports, templates, connection
            raise SystemExit(f"{url} did not answer 200")
        uncached, uncached_cpu, cached, queries = [], [], [], 0
        for _ in range(REPEATS):
            cache.clear()  # every figure computed from the database
            with CaptureQueriesContext(connection) as captured:
                c0, t0 = time.process_time(), time.perf_counter()
                response = client.get(url)
                uncached.append((time.perf_counter() - t0) * 1000)
                uncached_cpu.append((time.process_time() - c0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            queries = len(captured.captured_queries)
            t0 = time.perf_counter()
            client.get(url)  # the 10-minute chart cache is warm now
            cached.append((time.perf_counter() - t0) * 1000)
        pages[url] = {
            "uncached_ms": round(statistics.median(uncached), 1),
            # CPU time of this process (SQLite runs in it): what the page costs without waiting for a busy CPU
            "uncached_cpu_ms": round(statistics.median(uncached_cpu), 1),
            "cached_ms": round(statistics.median(cached), 1),
            "queries": queries,
        }
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "seed_seconds": round(seed_s, 1),
        "invitations": SurveyInvitation.objects.count(),
        "responses": SurveyResponse.objects.count(),
        "pages": pages,
    }


def _child(size: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mentorfold.settings"),
            "PYTHONPATH": str(ROOT / "src"),
        }
        out = subprocess.run(
            [sys.executable, __file__, "--child", size], env=env, capture_output=True, text=True
        )
        if out.returncode:
            raise SystemExit(f"{size} run failed:\n{out.stderr[-3000:]}\n{out.stdout[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    args, _rest = parser.parse_known_args()  # run_all.py passes its own options to every script
    if args.child:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(measure(args.child)))
        return 0
    small, large = _child("small"), _child("large")
    result: dict[str, Any] = {"limit_ms": LIMIT_MS, "small": {}, "large": {}, "pages": {}}
    for key in ("seed_seconds", "invitations", "responses", "load_average"):
        result["small"][key], result["large"][key] = small[key], large[key]
    ok = True
    for url, big in large["pages"].items():
        little = small["pages"][url]
        passed = big["uncached_ms"] < LIMIT_MS and big["queries"] == little["queries"]
        ok = ok and passed
        result["pages"][url] = {"small": little, "large": big, "passed": passed}
        print(
            f"{url:44} uncached {big['uncached_ms']:7.1f} ms (cpu {big['uncached_cpu_ms']}), cached {big['cached_ms']:6.1f} ms, "
            f"{big['queries']} queries (small: {little['uncached_ms']} / {little['cached_ms']} ms, "
            f"{little['queries']} queries)  {'ok' if passed else 'FAILED'}"
        )
    result["passed"] = ok
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "outcomes.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"large: {large['invitations']} invitations, {large['responses']} responses, seed {large['seed_seconds']} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
