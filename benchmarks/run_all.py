"""``make bench``: run every benchmark script in this folder, each in its own process; results go to results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["engine_bench.py", "grants_engine_bench.py", "seed_bench.py", "web_bench.py"]


def main() -> int:
    failed = []
    extra = sys.argv[1:]
    for name in ORDER + sorted(p.name for p in HERE.glob("*_bench.py") if p.name not in ORDER):
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        if subprocess.call([sys.executable, str(script), *extra]) != 0:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
