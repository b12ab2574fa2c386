"""Every page each demo role reaches from its dashboard, at the small and the large demo size.

For each size this script builds a fresh SQLite database in a temporary folder, seeds the demo society, signs
every demo login in through the real login form (coordinator and reviewer with their authenticator code), then
visits the dashboard and every same-site page linked from it (and from those pages, one level further), once
to warm up and five times measured. For each page it records the median time and the number of SQL queries.

A page passes when, at the large size, it takes at most 1.5x its small-size time (with 5 ms of slack for pages
that take a few milliseconds, where timer noise dominates) and runs the same number of queries. Every write
transaction opened while the pages render is timed too (`txn_probe`), and the longest one is reported.

Results: ``benchmarks/results/web.json`` (``web_quick.json`` with ``--quick``, which compares small with
small and only checks that the script works).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from demo_db import measure_on_seeded_demo

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RATIO_LIMIT = 1.5
SLACK_S = 0.005
REPEATS = 5
MAX_PAGES_PER_ROLE = 60
SKIP_PARTS = (
    "logout",
    "/admin/",
    "/static/",
    "export",
    "download",
    ".ics",
    ".pdf",
    ".csv",
    ".xlsx",
    "/i18n/",
)


def measure(size: str) -> dict[str, Any]:
    """Runs inside a child process whose DATABASE_URL points at a fresh database seeded with ``size``."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve

    from mentorfold.accounts.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET
    from mentorfold.accounts.totp import current_totp_code

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from txn_probe import TransactionProbe

    href = re.compile(r'href="(/[^"#]*)"')
    pages: dict[str, dict[str, Any]] = {}
    probe = TransactionProbe()
    with probe:
        for login in DEMO_LOGINS:
            client = Client(HTTP_HOST="127.0.0.1")
            response = client.post(
                "/accounts/login/", {"login": login.email, "password": DEMO_PASSWORD}, follow=True
            )
            if "/2fa/" in response.request["PATH_INFO"]:
                response = client.post(
                    response.request["PATH_INFO"], {"code": current_totp_code(DEMO_TOTP_SECRET)}, follow=True
                )
            if client.get("/dashboard/").status_code != 200:
                raise SystemExit(f"could not sign in as {login.email}")
            seen_names: set[str] = set()
            queue = ["/dashboard/"]
            depth = {"/dashboard/": 0}
            while queue and len(seen_names) < MAX_PAGES_PER_ROLE:
                url = queue.pop(0)
                try:
                    match = resolve(url.split("?")[0])
                except Resolver404:
                    continue
                name = match.view_name
                if name in seen_names:
                    continue
                seen_names.add(name)
                first = client.get(url)
                if first.status_code != 200 or "text/html" not in first.get("Content-Type", ""):
                    continue
                times = []
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                query_count = len(queries.captured_queries)
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    client.get(url)
                    times.append(time.perf_counter() - started)
                pages[f"{login.role} {name}"] = {
                    "url": url,
                    "median_s": statistics.median(times),
                    "queries": query_count,
                }
                if depth[url] < 2:
                    for link in href.findall(first.content.decode()):
                        link = link.replace("&amp;", "&")
                        if link not in depth and not any(part in link for part in SKIP_PARTS):
                            depth[link] = depth[url] + 1
                            queue.append(link)
    return {"pages": pages, "longest_write_transaction": probe.report()}


def run_size(size: str) -> dict[str, Any]:
    return measure_on_seeded_demo(__file__, size, ["--child", size], DEBUG="true")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="compare small with small (a smoke run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0

    small = run_size("small")
    large = run_size("small" if args.quick else "large")
    rows = []
    for key, base in sorted(small["pages"].items()):
        big = large["pages"].get(key)
        if big is None:
            continue
        ratio = big["median_s"] / base["median_s"] if base["median_s"] else 0.0
        met = (
            big["median_s"] <= RATIO_LIMIT * base["median_s"] + SLACK_S and big["queries"] == base["queries"]
        )
        rows.append(
            {
                "page": key,
                "url_small": base["url"],
                "small_ms": round(base["median_s"] * 1000, 1),
                "large_ms": round(big["median_s"] * 1000, 1),
                "ratio": round(ratio, 2),
                "queries_small": base["queries"],
                "queries_large": big["queries"],
                "met": met,
            }
        )
    only_small = sorted(set(small["pages"]) - set(large["pages"]))
    longest = max(
        (small["longest_write_transaction"], large["longest_write_transaction"]), key=lambda r: r["seconds"]
    )
    result = {
        "case": "pages per role, small vs " + ("small (quick)" if args.quick else "large") + " demo (SQLite)",
        "ratio_limit": RATIO_LIMIT,
        "pages": rows,
        "pages_not_compared": only_small,
        "all_met": all(r["met"] for r in rows),
        "longest_write_transaction": longest,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("web_quick.json" if args.quick else "web.json")).write_text(
        json.dumps(result, indent=2) + "\n"
    )
    print(f"{'page':<58} {'small ms':>9} {'large ms':>9} {'ratio':>6} {'queries':>9} met")
    for r in rows:
        queries = f"{r['queries_small']}/{r['queries_large']}"
        print(
            f"{r['page'][:58]:<58} {r['small_ms']:>9.1f} {r['large_ms']:>9.1f} {r['ratio']:>6.2f} "
            f"{queries:>9} {'yes' if r['met'] else 'NO'}"
        )
    print(f"pages compared: {len(rows)}, all met: {result['all_met']}")
    print(
        f"longest write transaction while rendering pages: {longest['seconds'] * 1000:.1f} ms ({longest['where']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
