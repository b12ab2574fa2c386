"""Time ``seed_demo --size large`` (5,000 mentors, 20,000 learners) on a fresh SQLite database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "seed.json"
TARGET_S = 60.0
COUNT_ROWS = (
    "import django, json; django.setup(); from django.apps import apps; "
    "print(json.dumps({m._meta.label: m.objects.count() for m in apps.get_models()}))"
)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "DEBUG": "true"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        started = time.perf_counter()
        out = subprocess.run(
            [*manage, "seed_demo", "--size", "large"], env=env, check=True, capture_output=True, text=True
        ).stdout
        wall = time.perf_counter() - started
        count = [sys.executable, "-c", COUNT_ROWS]
        count_env = {**env, "DJANGO_SETTINGS_MODULE": "mentorfold.settings", "PYTHONPATH": str(ROOT / "src")}
        rows_first = subprocess.run(count, env=count_env, check=True, capture_output=True, text=True).stdout
        again_started = time.perf_counter()
        subprocess.run([*manage, "seed_demo", "--size", "large"], env=env, check=True, capture_output=True)
        again = time.perf_counter() - again_started
        rows_again = subprocess.run(count, env=count_env, check=True, capture_output=True, text=True).stdout

    def totals(text: str) -> dict[str, str]:
        # "*_added" counts what a run inserted: it is 0 on a re-run by design, so it is not compared.
        return {k: v for k, v in re.findall(r"(\w+)=(\d+)", text) if not k.endswith("_added")}

    counts = totals(out)
    # Idempotency is judged on every table's row count after the first and the second run.
    same = json.loads(rows_first) == json.loads(rows_again)
    per_app = re.search(r"Time per app: (.*)", out)
    result = {
        "case": "seed_demo --size large (SQLite, incl. process start)",
        "seconds": round(wall, 2),
        "rerun_seconds": round(again, 2),
        "rerun_same_counts": same,
        "counts": {k: int(v) for k, v in counts.items()},
        "per_app": per_app.group(1) if per_app else "",
        "target_seconds": TARGET_S,
        "met": wall < TARGET_S and same,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'case':<55} {'seconds':>8} {'target':>8} met")
    print(f"{result['case']:<55} {wall:>8.2f} {TARGET_S:>8.0f} {'yes' if result['met'] else 'NO'}")
    print(f"per app: {result['per_app']}")
    print(f"re-run (idempotent): {again:.2f}s, same counts: {same}; counts: {result['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
