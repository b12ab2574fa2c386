"""API list endpoints (50 per page) at the small and the large demo size: time and SQL queries per call.

For each size this script builds a fresh SQLite database in a temporary folder, seeds the demo society, makes a
personal access token for each demo login, and calls every list endpoint that login may read: once to warm
up, once to count queries, five times measured (median). An endpoint passes when at the large size its median
is under 50 ms and it runs the same number of queries as at the small size (constant in the data size).

Results: ``benchmarks/results/api.json`` (``api_quick.json`` with ``--quick``: small only, a smoke run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from demo_db import measure_on_seeded_demo

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LIMIT_S = 0.050
REPEATS = 5
ENDPOINTS = {
    "coordinator": [
        "/api/v1/programs",
        "/api/v1/terms",
        "/api/v1/sites",
        "/api/v1/mentors",
        "/api/v1/slots",
        "/api/v1/bookings",
        "/api/v1/match-runs",
        "/api/v1/grant-cycles",
    ],
    "mentor": ["/api/v1/slots", "/api/v1/bookings", "/api/v1/mentors", "/api/v1/me/requirements"],
    "adult learner": [
        "/api/v1/slots",
        "/api/v1/bookings",
        "/api/v1/me/enrollments",
        "/api/v1/me/certificates",
        "/api/v1/me/applications",
        "/api/v1/me/requirements",
    ],
    "guardian": ["/api/v1/bookings"],
    "reviewer": ["/api/v1/reviews", "/api/v1/grant-cycles"],
}


class _Counter:
    def __init__(self, into: list[str]) -> None:
        self.into = into

    def __call__(self, execute: Any, sql: str, *args: Any) -> Any:
        self.into.append(sql)
        return execute(sql, *args)


def measure() -> dict[str, Any]:
    """Runs inside a child process whose DATABASE_URL points at a seeded database."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from mentorfold.accounts.demo import DEMO_LOGINS
    from mentorfold.accounts.models import User
    from mentorfold.api.tests.factories import make_token

    rows: dict[str, dict[str, Any]] = {}
    with override_settings(API_RATE_LIMIT="100000/m", ALLOWED_HOSTS=["*"]):
        for login in DEMO_LOGINS:
            urls = ENDPOINTS.get(login.role, [])
            if not urls:
                continue
            _token, raw = make_token(User.objects.get(email=login.email), scope="read")
            client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            for url in urls:
                cache.clear()
                first = client.get(url)
                if first.status_code != 200:
                    raise SystemExit(f"{login.role} {url}: {first.status_code} {first.content[:300]!r}")
                # Counted with a wrapper: the request_started signal clears connection.queries mid-capture.
                executed: list[str] = []
                with connection.execute_wrapper(_Counter(executed)):
                    client.get(url)
                times = []
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    client.get(url)
                    times.append(time.perf_counter() - started)
                body = first.json()
                rows[f"{login.role} {url}"] = {
                    "median_s": statistics.median(times),
                    "queries": len(executed),
                    "items": len(body["items"]),
                    "count": body["count"],
                }
    return rows


def run_size(size: str) -> dict[str, Any]:
    return measure_on_seeded_demo(__file__, size, ["--child"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small demo only (a smoke run)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.child:
        print(json.dumps(measure()))
        return 0
    small = run_size("small")
    large = small if args.quick else run_size("large")
    rows = []
    for key, big in sorted(large.items()):
        base = small.get(key, big)
        rows.append(
            {
                "endpoint": key,
                "small_ms": round(base["median_s"] * 1000, 1),
                "large_ms": round(big["median_s"] * 1000, 1),
                "queries_small": base["queries"],
                "queries_large": big["queries"],
                "items_large": big["items"],
                "count_large": big["count"],
                "met": big["median_s"] < LIMIT_S and big["queries"] == base["queries"],
            }
        )
    result = {
        "case": "API list endpoints, 50 per page, token auth, small vs "
        + ("small (quick)" if args.quick else "large")
        + " demo (SQLite)",
        "limit_ms": LIMIT_S * 1000,
        "endpoints": rows,
        "all_met": all(r["met"] for r in rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("api_quick.json" if args.quick else "api.json")).write_text(
        json.dumps(result, indent=2) + "\n"
    )
    print(f"{'endpoint':<46} {'small ms':>9} {'large ms':>9} {'queries':>8} {'rows':>11} met")
    for r in rows:
        print(
            f"{r['endpoint'][:46]:<46} {r['small_ms']:>9.1f} {r['large_ms']:>9.1f} "
            f"{r['queries_small']:>3}/{r['queries_large']:<4} {r['items_large']:>4}/{r['count_large']:<6} "
            f"{'yes' if r['met'] else 'NO'}"
        )
    print(f"endpoints: {len(rows)}, all met: {result['all_met']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
