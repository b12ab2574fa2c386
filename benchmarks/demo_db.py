"""Run a benchmark's measuring half in a child process against a fresh SQLite database seeded with the demo.

Used by the page and API benchmarks: each size gets its own temporary database, so the numbers of one size never
depend on what the other left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def measure_on_seeded_demo(script: str, size: str, child_args: list[str], **env_extra: str) -> dict[str, Any]:
    """Migrate and seed ``size`` in a temporary database, run ``script`` with ``child_args``, return its JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "mentorfold.settings",
            "PYTHONPATH": str(ROOT / "src"),
            **env_extra,
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        started = time.perf_counter()
        seeded = subprocess.run(
            [*manage, "seed_demo", "--size", size], env=env, capture_output=True, text=True
        )
        if seeded.returncode:
            raise SystemExit(f"seed_demo --size {size} failed:\n{seeded.stderr[-3000:]}")
        print(f"  seeded {size} in {time.perf_counter() - started:.1f} s", flush=True)
        out = subprocess.run([sys.executable, script, *child_args], env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"measuring the {size} demo failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
