#!/usr/bin/env bash
# Load test (issue 14 §5): gunicorn (2 workers) + the task worker on 127.0.0.1, locust headless for a bounded
# time, then a report (rate, p50/p95/p99 per page, 5xx count) and a check that every confirmed write is in
# the database.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:54330/mentorfold_load benchmarks/load/run.sh
#   USERS=20 RUN_TIME=60s benchmarks/load/run.sh        # default: a fresh SQLite file under var/load/
#   RESULT=benchmarks/results/load_sqlite.json ...       # also save the figures there
#   SEED_SIZE=large, LOAD_MENTORS / LOAD_LEARNERS / LOAD_PAST: see prepare.py
#
# Exits 1 when a confirmed write is missing afterwards or a kind of write never succeeded (verify.py).
#
# Needs locust (pip install locust==2.47.0, or set LOCUST=/path/to/locust). Traffic goes to 127.0.0.1 only.
# The site runs with DEBUG on (plain http, no collectstatic): numbers are a pessimistic bound.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/benchmarks/load"
PY="${PY:-$ROOT/.venv/bin/python}"
GUNICORN="${GUNICORN:-$ROOT/.venv/bin/gunicorn}"
LOCUST="${LOCUST:-$ROOT/.venv/bin/locust}"
PORT="${PORT:-8765}"
USERS="${USERS:-20}"
SPAWN_RATE="${SPAWN_RATE:-5}"
RUN_TIME="${RUN_TIME:-60s}"
OUT="${OUT:-$ROOT/var/load/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$OUT/load.sqlite3}"
export MENTORFOLD_VAR_DIR="${MENTORFOLD_VAR_DIR:-$OUT/var}"
export AXES_ENABLED=false  # many sign-ins from one address in a minute are the test, not an attack
export DEBUG=true LOG_LEVEL=WARNING PYTHONUNBUFFERED=1
export EMAIL_URL="filemail:///$OUT/mail"  # mails land in files: counted, never sent
cd "$ROOT"

[[ -x "$LOCUST" ]] || { echo "locust not found at $LOCUST: pip install locust==2.47.0 or set LOCUST=" >&2; exit 2; }
case "$DATABASE_URL" in
  *@127.0.0.1*|*@localhost*|sqlite:*) ;;
  *) echo "DATABASE_URL must point at 127.0.0.1 or a SQLite file" >&2; exit 2 ;;
esac

echo "== preparing $DATABASE_URL (results in $OUT)"
case "$DATABASE_URL" in
  postgres*) # create the database when it is missing (the server's own "postgres" database is always there)
    "$PY" - "$DATABASE_URL" <<'PYEOF'
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")
PYEOF
    ;;
esac
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo --size "${SEED_SIZE:-small}" >/dev/null
"$PY" "$HERE/prepare.py" "$OUT/accounts.json"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$PY" manage.py worker --interval 1 --no-reload >"$OUT/worker.log" 2>&1 &
pids+=($!)
"$GUNICORN" mentorfold.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
  --access-logfile "$OUT/access.log" --error-logfile "$OUT/gunicorn.log" >"$OUT/gunicorn.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "the site did not start; see $OUT/gunicorn.log" >&2; exit 1; }

echo "== locust: $USERS users for $RUN_TIME"
LOAD_ACCOUNTS="$OUT/accounts.json" LOAD_WRITES="$OUT/writes.jsonl" LOAD_SUMMARY="$OUT/summary.json" \
  "$LOCUST" -f "$HERE/locustfile.py" --headless --host "http://127.0.0.1:$PORT" \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --stop-timeout 10 \
  --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1 || true

cleanup
pids=()

echo "== every confirmed write is in the database?"
verified=0
"$PY" "$HERE/verify.py" "$OUT/writes.jsonl" "$OUT/summary.json" >"$OUT/verify.json" || verified=$?
cat "$OUT/verify.json"

echo "== results"
"$PY" - "$OUT" "$DATABASE_URL" "$USERS" "$RUN_TIME" "${SEED_SIZE:-small}" "${RESULT:-}" <<'PYEOF'
import csv, json, os, sys
from pathlib import Path
out, url, users, run_time, size, result = Path(sys.argv[1]), *sys.argv[2:]
rows = list(csv.DictReader((out / "locust_stats.csv").open()))
print(f"{'page':44} {'reqs':>6} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
for r in rows:
    print(f"{r['Name'][:44]:44} {r['Request Count']:>6} {r['Failure Count']:>5} {float(r['Requests/s']):6.1f} "
          f"{r['50%']:>6} {r['95%']:>6} {r['99%']:>6}")
summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
verify = json.loads((out / "verify.json").read_text() or "{}") if (out / "verify.json").exists() else {}
print("5xx responses:", summary.get("server_errors", "unknown"), summary.get("server_errors_by_page", {}))
print("confirmed writes:", summary.get("writes", {}), " refused (not errors):", summary.get("refused", {}))
print("could not sign in:", summary.get("sign_in_failed", {}))
pages = [
    {"name": r["Name"], "method": r["Type"], "requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
     "p50_ms": float(r["50%"] or 0), "p95_ms": float(r["95%"] or 0), "p99_ms": float(r["99%"] or 0),
     "rps": round(float(r["Requests/s"]), 2)}
    for r in rows
]
engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
# Signing in hashes the password on purpose (slow by design, once per user): not held to the page target.
slow = [p["name"] for p in pages if p["name"] != "Aggregated" and not p["name"].startswith("login")
        and p["p95_ms"] > 300]
report = {
    "case": f"locust {run_time}, {users} users (wait 1-3 s), gunicorn 2 workers + 1 task worker, {engine}, "
            f"{size} demo + load program",
    "machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end",
    "pages": pages,
    "server_errors": summary.get("server_errors"),
    "server_errors_by_page": summary.get("server_errors_by_page", {}),
    "confirmed_writes": summary.get("writes", {}),
    "refused": summary.get("refused", {}),
    "sign_in_failed": summary.get("sign_in_failed", {}),
    "writes_checked": verify.get("checked", {}),
    "kinds_without_success": verify.get("kinds_without_success"),
    "missing_writes_after_run": verify.get("missing"),
    "p95_target_ms": 300,
    "pages_over_p95_target": slow,
    "writes_ok": summary.get("server_errors") == 0 and verify.get("missing") == []
                 and verify.get("kinds_without_success") == [],
    "met": False,
}
report["met"] = report["writes_ok"] and not slow
(out / "result.json").write_text(json.dumps(report, indent=2) + "\n")
if result:
    Path(result).write_text(json.dumps(report, indent=2) + "\n")
    print("result saved to", result)
PYEOF
echo "(mails written: $(find "$OUT/mail" -type f 2>/dev/null | wc -l); logs and CSVs in $OUT)"
exit "$verified"
