"""Benchmark the grants engine: reviewer calibration and budget allocation at state-wide scale.

Usage: ``.venv/bin/python benchmarks/grants_engine_bench.py [--quick]``

Each case runs in a fresh subprocess (so peak RSS is that case's own), times only the engine call on
pre-generated seeded data, and reports the median of 5 runs (1 with --quick). Results go to
benchmarks/results/grants_engine.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "grants_engine.json"
sys.path.insert(0, str(ROOT.parent / "src"))

CASES: dict[str, dict[str, Any]] = {
    "calibrate_30k_reviews": {
        "what": "reviewer_offsets: 10,000 applications x 1,000 reviewers, 3 reviews each (30,000) + SEs",
        "target_s": 2.0,
    },
    "budget_10k_partial_floor": {
        "what": "budget: 10,000 applications, partial=True, one floor (600 members, >= 150 awards)",
        "target_s": 5.0,
    },
    "budget_10k_whole_floor": {
        "what": "budget: 10,000 applications, partial=False, one floor (600 members, >= 150 awards)",
        "target_s": 5.0,
    },
    "budget_10k_partial": {
        "what": "budget: 10,000 applications, partial=True, no floor",
        "target_s": 5.0,
    },
    "budget_10k_whole": {
        "what": "budget: 10,000 applications, partial=False, no floor",
        "target_s": 5.0,
    },
}


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def calibrate_case() -> tuple[Callable[[], Any], Callable[[Any], dict[str, Any]]]:
    from mentorfold.engine.calibrate import Reviews, reviewer_offsets

    rng = np.random.default_rng(2026)
    n_apps, n_rev, per_app = 10_000, 1_000, 3
    merit = rng.normal(0, 1, n_apps)
    leniency = rng.normal(0, 0.8, n_rev)
    app = np.repeat(np.arange(n_apps), per_app)
    # Three distinct reviewers per application without a Python loop: random offsets mod n_rev.
    first = rng.integers(0, n_rev, n_apps)
    steps = np.stack(
        [np.zeros(n_apps, int), rng.integers(1, n_rev // 2, n_apps), rng.integers(n_rev // 2, n_rev, n_apps)]
    )
    rev = ((first + steps) % n_rev).T.ravel()
    score = merit[app] + leniency[rev] + rng.normal(0, 0.6, app.size)
    reviews = Reviews(app, rev, score)

    def run() -> Any:
        return reviewer_offsets(reviews)

    def check(cal: Any) -> dict[str, Any]:
        k = n_apps // 5
        overlap = len(set(np.argsort(-cal.merit)[:k]) & set(np.argsort(-merit)[:k])) / k
        raw = len(set(np.argsort(-cal.raw_mean)[:k]) & set(np.argsort(-merit)[:k])) / k
        return {"components": cal.n_components, "top20_overlap_calibrated": overlap, "top20_overlap_raw": raw}

    return run, check


def budget_case(partial: bool, with_floor: bool) -> tuple[Callable[[], Any], Callable[[Any], dict[str, Any]]]:
    from mentorfold.engine.allocate import Floor, allocation_violations, budget

    rng = np.random.default_rng(7)
    n = 10_000
    requests = rng.integers(500, 10_001, n)
    scores = np.clip(rng.normal(3.5, 0.7, n), 0, None)
    total = int(requests.sum() * 0.3)
    low = np.argsort(scores / requests)[:3000]  # a floor over low merit-per-dollar applications, so it binds
    floors = (
        [Floor("first-year students", np.sort(rng.choice(low, 600, replace=False)), 150)]
        if with_floor
        else []
    )

    def run() -> Any:
        return budget(requests, scores, total, 1000, 8000, partial, floors)

    def check(alloc: Any) -> dict[str, Any]:
        violations = allocation_violations(alloc.amounts, requests, total, 1000, 8000, partial, floors)
        return {
            "status": alloc.status,
            "mip_gap": alloc.mip_gap,
            "funded": int(alloc.funded.sum()),
            "spent_fraction": alloc.total / total,
            "floor_awards": alloc.reason_codes.count("funded_floor"),
            "violations": len(violations),
        }

    return run, check


def run_case(name: str, repeats: int) -> dict[str, Any]:
    if name == "calibrate_30k_reviews":
        run, check = calibrate_case()
    else:
        run, check = budget_case(partial="partial" in name, with_floor=name.endswith("floor"))
    times, cpu, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "runs_s": times,
        "median_s": statistics.median(times),
        "median_cpu_s": statistics.median(cpu),
        "peak_rss_mb": peak_rss_mb(),
        **check(result),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per case instead of five")
    parser.add_argument(
        "--blas-threads",
        default="1",
        help="OPENBLAS_NUM_THREADS for each case (default 1: stable on a shared machine; 'default' leaves it unset)",
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case in this process
    parser.add_argument("--repeats", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.repeats)))
        return

    repeats = 1 if args.quick else 5
    env = dict(os.environ)
    if args.blas_threads != "default":
        env.update(OPENBLAS_NUM_THREADS=args.blas_threads, OMP_NUM_THREADS=args.blas_threads)
    rows = []
    for name, spec in CASES.items():
        proc = subprocess.run(
            [sys.executable, __file__, "--case", name, "--repeats", str(repeats)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append({"case": name, **spec, **out, "met": out["median_s"] < spec["target_s"]})

    import scipy

    report = {
        "benchmark": "grants_engine",
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "repeats": repeats,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cpus": os.cpu_count(),
        "blas_threads": args.blas_threads,
        "load_average_at_end": os.getloadavg(),
        "cases": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")

    header = (
        f"{'case':<26} {'median s':>9} {'cpu s':>7} {'target s':>9} {'met':>4} {'peak RSS MB':>12}  notes"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        notes = (
            f"overlap cal {row['top20_overlap_calibrated']:.3f} vs raw {row['top20_overlap_raw']:.3f}"
            if "top20_overlap_raw" in row
            else f"{row['status']}, gap {row['mip_gap']:.1e}, funded {row['funded']}, floor awards {row['floor_awards']}, "
            f"violations {row['violations']}"
        )
        print(
            f"{row['case']:<26} {row['median_s']:>9.3f} {row['median_cpu_s']:>7.3f} {row['target_s']:>9.1f} {'yes' if row['met'] else 'NO':>4} "
            f"{row['peak_rss_mb']:>12.0f}  {notes}"
        )
    print(
        f"\nwritten to {RESULTS.relative_to(ROOT.parent)} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
