"""``make bench``: run every benchmark script in this folder, each in its own process; results go to results/.

At the end it prints and saves (``results/summary.json``, ``summary_quick.json`` with ``--quick``) the longest
write transaction any benchmark measured, and where: issue 14 asks that no request or task hold the write lock
longer than 1 s. Benchmarks report it as ``longest_write_transaction`` ({"seconds", "where"}), or as a number
under one of ``WRITE_KEYS`` (the write step of a run, timed by the benchmark itself). It also gathers the
load test's figures (``results/load_*.json``); ``--load`` runs the short SQLite load test first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ["engine_bench.py", "grants_engine_bench.py", "seed_bench.py", "web_bench.py"]
LOCK_TARGET_S = 1.0
# Numbers that time one write transaction (or a write step that is one transaction), and their unit in seconds.
WRITE_KEYS = {
    "longest_transaction_seconds": 1.0,
    "write_s": 1.0,
    "write_step_seconds": 1.0,
    "write_ms": 0.001,
}


def write_transactions(result: Any, source: str, path: str = "") -> list[dict[str, Any]]:
    """Every write transaction a benchmark's JSON reports: ``{"seconds", "where", "source"}``."""
    found: list[dict[str, Any]] = []
    if isinstance(result, dict):
        for key, value in result.items():
            here = f"{path}/{key}"
            if key == "longest_write_transaction" and isinstance(value, dict) and "seconds" in value:
                entry = {"seconds": float(value["seconds"]), "where": value.get("where") or here}
                if "cpu_seconds" in value:
                    entry["cpu_seconds"] = value["cpu_seconds"]
                found.append({**entry, "source": source})
            elif key in WRITE_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append({"seconds": round(value * WRITE_KEYS[key], 4), "where": here, "source": source})
            else:
                found.extend(write_transactions(value, source, here))
    elif isinstance(result, list):
        for index, value in enumerate(result):
            found.extend(write_transactions(value, source, f"{path}[{index}]"))
    return found


def summarise(names: list[str], quick: bool) -> dict[str, Any]:
    """The longest write transaction across the results the benchmarks in ``names`` wrote."""
    found: list[dict[str, Any]] = []
    for name in names:
        stem = name.removesuffix("_bench.py")
        candidates = [f"{stem}_quick.json", f"{stem}.json"] if quick else [f"{stem}.json"]
        for candidate in candidates:
            path = RESULTS / candidate
            if path.exists():
                found.extend(write_transactions(json.loads(path.read_text()), candidate))
                break
    # A benchmark may repeat its overall longest next to the per-case ones: count each once.
    found = list({(t["source"], t["where"], t["seconds"]): t for t in found}.values())
    longest = max(found, key=lambda t: t["seconds"], default=None)
    return {
        "lock_target_s": LOCK_TARGET_S,
        "longest_write_transaction": longest,
        "met": longest is None or longest["seconds"] <= LOCK_TARGET_S,
        "write_transactions": sorted(found, key=lambda t: -t["seconds"]),
    }


def load_figures() -> dict[str, Any]:
    """The load test's headline figures (issue 14 §5), from the last ``results/load_*.json`` each database wrote.

    The load test itself runs apart (``benchmarks/load/run.sh``, or ``run_all.py --load`` for the short SQLite
    one): it needs locust and a free port, and the PostgreSQL one takes 10 minutes.
    """
    figures: dict[str, Any] = {}
    for path in sorted(RESULTS.glob("load_*.json")):
        result = json.loads(path.read_text())
        total = next((p for p in result.get("pages", []) if p.get("name") == "Aggregated"), {})
        figures[path.stem] = {
            "case": result.get("case"),
            "requests_per_s": total.get("rps"),
            "p50_ms": total.get("p50_ms"),
            "p95_ms": total.get("p95_ms"),
            "p99_ms": total.get("p99_ms"),
            "server_errors": result.get("server_errors"),
            "confirmed_writes": result.get("confirmed_writes"),
            "missing_writes": len(result.get("missing_writes_after_run") or []),
            "pages_over_p95_target": result.get("pages_over_p95_target"),
            "met": result.get("met"),
        }
    return figures


def run_load() -> bool:
    """``--load``: the short SQLite load test (small demo, 2 minutes); its figures go to results/load_sqlite.json."""
    env = {
        **os.environ,
        "RUN_TIME": os.environ.get("RUN_TIME", "2m"),
        "USERS": os.environ.get("USERS", "10"),
        "RESULT": str(RESULTS / "load_sqlite.json"),
    }
    env.pop("DATABASE_URL", None)  # a fresh SQLite file, never the database of another run
    print("\n=== load/run.sh (SQLite) ===", flush=True)
    return subprocess.call(["bash", str(HERE / "load" / "run.sh")], env=env) == 0


def main() -> int:
    failed = []
    extra = [a for a in sys.argv[1:] if a != "--load"]
    ran = []
    for name in ORDER + sorted(p.name for p in HERE.glob("*_bench.py") if p.name not in ORDER):
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        ran.append(name)
        if subprocess.call([sys.executable, str(script), *extra]) != 0:
            failed.append(name)
    if "--load" in sys.argv[1:] and not run_load():
        failed.append("load/run.sh")
    summary = summarise(ran, quick="--quick" in extra)
    summary["load"] = load_figures()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("summary_quick.json" if "--quick" in extra else "summary.json")).write_text(
        json.dumps(summary, indent=2) + "\n"
    )
    longest = summary["longest_write_transaction"]
    if longest:
        print(
            f"\nlongest write transaction: {longest['seconds']:.3f} s in {longest['source']} "
            f"({longest['where']}); target {LOCK_TARGET_S:.0f} s: {'met' if summary['met'] else 'NOT met'}"
        )
    for name, load in summary["load"].items():
        print(
            f"{name}: {load['requests_per_s']} req/s, p50/p95/p99 {load['p50_ms'] or 0:.0f}/{load['p95_ms'] or 0:.0f}/"
            f"{load['p99_ms'] or 0:.0f} ms, {load['server_errors']} 5xx, {load['missing_writes']} writes missing "
            f"({load['case']})"
        )
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
