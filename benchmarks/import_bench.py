"""Importing people at the large demo size: 20,000 learners and 5,000 mentors from CSV, through the real path.

For each import the child process builds a CSV of new people, uploads it with ``import_batch_create`` (parse and
check, no people written), confirms it with ``import_batch_start`` and lets the real ``import_people`` task
commit it (the immediate task backend runs it as soon as the confirming transaction commits), then lets the
welcome-mail task send the invitations (locmem mail backend). Every outermost transaction is timed
(``txn_probe``): the import's write transaction must not hold the write lock longer than 1 s (issue 14).

Results: ``benchmarks/results/import.json`` (``import_quick.json`` with ``--quick``: small demo, 2,000 + 500 rows).
``--from-db PATH`` measures on a migrated copy of an already seeded demo (e.g. /tmp/large/large.sqlite3, ~2 minutes
saved); the file itself is never written. Besides the longest transaction it reports the go-live statements' own
time, the invitation task's CPU per mail and the longest garbage-collection pause seen.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from demo_db import measure_on_seeded_demo

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LOCK_TARGET_S = 1.0
STAGES = ["high school", "undergraduate", "medical student", "resident"]
SPECIALTIES = ["Family medicine", "Pediatrics", "Surgery", "Psychiatry", "Internal medicine"]


def _csv(kind: str, n: int, languages: list[str]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    if kind == "learners":
        writer.writerow(["email", "full_name", "stage", "date_of_birth", "school", "languages"])
        for i in range(n):
            writer.writerow(
                [
                    f"bench-learner-{i}@example.org",
                    f"Bench Learner {i}",
                    STAGES[i % len(STAGES)],
                    f"{1995 + i % 12}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    f"Bench School {i % 300}",
                    ", ".join(languages[j % len(languages)] for j in range(i % 3)),
                ]
            )
    else:
        writer.writerow(["email", "full_name", "specialty", "capacity", "languages", "organization"])
        for i in range(n):
            writer.writerow(
                [
                    f"bench-mentor-{i}@example.org",
                    f"Dr. Bench Mentor {i}",
                    SPECIALTIES[i % len(SPECIALTIES)],
                    str(1 + i % 4),
                    ", ".join(languages[j % len(languages)] for j in range(1 + i % 2)),
                    f"Bench Health {i % 40}",
                ]
            )
    return out.getvalue().encode()


def measure(learners: int, mentors: int) -> dict[str, Any]:
    """Runs inside a child process whose DATABASE_URL points at a fresh database seeded with the demo."""
    import django

    django.setup()
    from django.core import mail
    from django.db import connection

    from mentorfold.accounts.models import Language, Role, User
    from mentorfold.core.tracking import task_run_start
    from mentorfold.programs import importing
    from mentorfold.programs import tasks as program_tasks
    from mentorfold.programs.models import ImportBatch
    from mentorfold.programs.tasks import import_people

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from txn_probe import TransactionProbe

    mail_time = {"wall": 0.0, "cpu": 0.0}
    real_welcome = program_tasks.import_welcome_send

    def timed_welcome(**kwargs: Any) -> int:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return real_welcome(**kwargs)
        finally:
            mail_time["wall"] += time.perf_counter() - wall
            mail_time["cpu"] += time.process_time() - cpu

    program_tasks.import_welcome_send = timed_welcome  # the invitation task's own share of commit+mail
    go_live = {"wall": 0.0, "cpu": 0.0}
    real_make_live = importing.make_live

    def timed_make_live(*args: Any) -> int:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return real_make_live(*args)
        finally:
            go_live.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)

    importing.make_live = timed_make_live  # the statements of the last (go-live) transaction
    gc_pause = {"start": 0.0, "longest": 0.0}

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_pause["start"] = time.perf_counter()
        else:
            gc_pause["longest"] = max(gc_pause["longest"], time.perf_counter() - gc_pause["start"])

    gc.callbacks.append(gc_timer)  # a long garbage collection inside a transaction counts as lock time
    languages = list(Language.objects.values_list("name", flat=True)) or ["English"]
    actor = User.objects.filter(groups__name=Role.COORDINATOR.value).order_by("pk").first()
    assert actor is not None, "the demo has a coordinator"
    results = {}
    for kind, n in (("learners", learners), ("mentors", mentors)):
        data = _csv(kind, n, languages)
        users_before = User.objects.count()
        mail.outbox = []
        mail_time.update(wall=0.0, cpu=0.0)
        gc_pause["longest"] = 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        batch = importing.import_batch_create(actor=actor, kind=kind, name=f"{kind}.csv", data=data)
        parse_s, parse_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        assert not batch.errors, batch.errors[:3]

        def enqueue(b: ImportBatch) -> Any:
            return task_run_start(
                task=import_people,
                kind="programs.import",
                label=f"bench {b.kind}",
                user=actor,
                batch_id=b.pk,
                actor_id=actor.pk,
            )

        probe = TransactionProbe()
        cpu1, wall1 = time.process_time(), time.perf_counter()
        with probe:
            importing.import_batch_start(batch=batch, actor=actor, enqueue=enqueue)
        commit_s, commit_cpu = time.perf_counter() - wall1, time.process_time() - cpu1
        batch.refresh_from_db()
        created = User.objects.count() - users_before
        results[kind] = {
            "rows": n,
            "file_bytes": len(data),
            "parse_s": round(parse_s, 3),
            "parse_cpu_s": round(parse_cpu, 3),
            "commit_and_mail_s": round(commit_s, 3),
            "commit_and_mail_cpu_s": round(commit_cpu, 3),
            "status": batch.status,
            "created": created,
            "mails": len(mail.outbox),
            "mail_s": round(mail_time["wall"], 3),
            "mail_cpu_s": round(mail_time["cpu"], 3),
            "mail_cpu_ms_per_mail": round(1000 * mail_time["cpu"] / max(len(mail.outbox), 1), 3),
            "longest_write_transaction": probe.report(),
            "go_live_statements_s": round(go_live["wall"], 3),
            "go_live_statements_cpu_s": round(go_live["cpu"], 3),
            "longest_gc_pause_s": round(gc_pause["longest"], 3),
            "transactions": probe.blocks,
            "met": probe.longest <= LOCK_TARGET_S and created == n and batch.status == "done",
        }
    longest = max((r["longest_write_transaction"] for r in results.values()), key=lambda r: r["seconds"])
    return {
        "database": connection.vendor,
        "imports": results,
        "longest_write_transaction": longest,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _measure_on_copy(source: Path, child_args: list[str], env_extra: dict[str, str]) -> dict[str, Any]:
    """Like ``measure_on_seeded_demo``, on a migrated copy of an already seeded demo database."""
    import shutil
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        copy = Path(tmp) / "bench.sqlite3"
        shutil.copyfile(source, copy)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{copy}",
            "DJANGO_SETTINGS_MODULE": "mentorfold.settings",
            "PYTHONPATH": str(ROOT / "src"),
            **env_extra,
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        out = subprocess.run([sys.executable, __file__, *child_args], env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"measuring failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small demo, 2,000 learners and 500 mentors")
    parser.add_argument(
        "--from-db",
        type=Path,
        help="an already seeded demo SQLite file: a copy of it is migrated and used (the file is never written)",
    )
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return 0
    size, learners, mentors = ("small", 2000, 500) if args.quick else ("large", 20000, 5000)
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "import-bench-only",  # noqa: S106 (a throwaway database that is deleted afterwards)
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "EMAIL_URL": "memorymail://",
    }
    child = ["--child", str(learners), str(mentors)]
    if args.from_db:
        result = _measure_on_copy(args.from_db, child, env)
    else:
        result = measure_on_seeded_demo(__file__, size, child, **env)
    result = {
        "case": f"CSV import into the {size} demo (SQLite), real task",
        "lock_target_s": LOCK_TARGET_S,
        **result,
    }
    result["all_met"] = all(r["met"] for r in result["imports"].values())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("import_quick.json" if args.quick else "import.json")).write_text(
        json.dumps(result, indent=2) + "\n"
    )
    for kind, r in result["imports"].items():
        t = r["longest_write_transaction"]
        print(
            f"{kind:<9} {r['rows']:>6} rows: parse {r['parse_s']:.2f} s, commit+mail {r['commit_and_mail_s']:.2f} s "
            f"({r['commit_and_mail_cpu_s']:.2f} cpu s), longest write transaction {t['seconds']:.3f} s "
            f"({t['where']}), {r['mails']} mails ({r['mail_cpu_ms_per_mail']:.2f} cpu ms each), "
            f"{'met' if r['met'] else 'NOT MET'}"
        )
    print(f"load average {result['load_average']}")
    return 0 if result["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
